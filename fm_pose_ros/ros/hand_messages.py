# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand results -> ROS messages (PoseArray, MarkerArray, debug Image) and back.

Positions on the wire are metres in the camera optical frame; arrays here are mm.
"""

from builtin_interfaces.msg import Duration
import cv2
from geometry_msgs.msg import Point, Pose, PoseArray
import numpy as np
from sensor_msgs.msg import Image
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from fm_pose_ros.core.camera import project
from fm_pose_ros.core.hand_codec import cube_bounds
from fm_pose_ros.core.hand_joints import NUM_JOINTS, SKELETON
from fm_pose_ros.core.image_codec import fill_image, mm_to_depth_array

MARKER_LIFETIME = Duration(sec=0, nanosec=500_000_000)  # skeleton vanishes when hand is lost


def joints_to_pose_array(joints_mm, header):
    """``(14, 3)`` mm -> PoseArray in metres, identity orientations, header copied."""
    msg = PoseArray(header=header)
    for x, y, z in np.asarray(joints_mm, np.float64) / 1000.0:
        pose = Pose()
        pose.position.x, pose.position.y, pose.position.z = float(x), float(y), float(z)
        pose.orientation.w = 1.0
        msg.poses.append(pose)
    return msg


def pose_array_to_joints(msg):
    """Convert a PoseArray (metres) to ``(N, 3)`` mm."""
    return np.array([[p.position.x, p.position.y, p.position.z] for p in msg.poses],
                    dtype=np.float64).reshape(-1, 3) * 1000.0


def skeleton_markers(joints_mm, header):
    """Build the RViz skeleton: joints as a SPHERE_LIST, bones as a LINE_LIST (metres)."""
    points = [Point(x=float(x), y=float(y), z=float(z))
              for x, y, z in np.asarray(joints_mm, np.float64) / 1000.0]
    joints = Marker(header=header, ns='hand_joints', id=0, type=Marker.SPHERE_LIST,
                    action=Marker.ADD, points=points, lifetime=MARKER_LIFETIME)
    joints.scale.x = joints.scale.y = joints.scale.z = 0.012
    joints.color = ColorRGBA(r=1.0, g=0.3, b=0.1, a=1.0)
    joints.pose.orientation.w = 1.0
    bones = Marker(header=header, ns='hand_skeleton', id=1, type=Marker.LINE_LIST,
                   action=Marker.ADD, lifetime=MARKER_LIFETIME)
    bones.points = [points[i] for pair in SKELETON for i in pair]
    bones.scale.x = 0.005
    bones.color = ColorRGBA(r=0.1, g=0.8, b=1.0, a=1.0)
    bones.pose.orientation.w = 1.0
    return MarkerArray(markers=[joints, bones])


def debug_image(depth_mm, K, estimate, header, cube_mm):
    """Colourised depth (bgr8) with the crop box and the projected skeleton drawn."""
    valid = depth_mm > 0
    near = float(estimate.com_mm[2]) - cube_mm[2]
    scaled = np.clip((depth_mm - near) / (2.0 * cube_mm[2]) * 255.0, 0, 255).astype(np.uint8)
    canvas = cv2.applyColorMap(255 - scaled, cv2.COLORMAP_JET)
    canvas[~valid] = 0
    u0, v0, u1, v1 = cube_bounds(estimate.com_mm, cube_mm, K)
    cv2.rectangle(canvas, (int(u0), int(v0)), (int(u1), int(v1)), (255, 255, 255), 1)
    uv = project(estimate.joints_mm, K).astype(int)
    for a, b in SKELETON:
        cv2.line(canvas, tuple(uv[a]), tuple(uv[b]), (255, 255, 255), 2)
    for i in range(NUM_JOINTS):
        cv2.circle(canvas, tuple(uv[i]), 3, (0, 0, 255), -1)
    return fill_image(Image(header=header), canvas, 'bgr8')


def depth_image_msg(depth_mm, header, encoding='16UC1'):
    """Float mm depth ``(H, W)`` (0 = none) -> Image in 16UC1 (mm) or 32FC1 (m, NaN = none)."""
    return fill_image(Image(header=header), mm_to_depth_array(depth_mm, encoding), encoding)
