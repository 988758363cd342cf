# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""A test-side ROS node: publishes depth + CameraInfo, records what the hand node publishes."""

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseArray
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from fm_pose_ros.hand_messages import camera_info_msg, depth_image_msg
from fm_pose_ros.replay_node import spin_until  # noqa: F401 (re-exported for the tests)

FRAME_ID = 'camera_depth_optical_frame'


def header(stamp_ns, frame_id=FRAME_ID):
    """Header with a stamp given in integer nanoseconds."""
    return Header(stamp=Time(sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9),
                  frame_id=frame_id)


def stamp_ns(stamp):
    """builtin_interfaces/Time -> integer nanoseconds."""
    return stamp.sec * 10**9 + stamp.nanosec


class Probe(Node):
    """Publishes inputs on the given topics and records outputs of ``/hand_joints*``."""

    def __init__(self, image_topic='depth/image', info_topic='depth/camera_info',
                 debug=False):
        super().__init__('probe')
        self.image_pub = self.create_publisher(Image, image_topic, 10)
        self.info_pub = self.create_publisher(CameraInfo, info_topic, 10)
        self.joints, self.markers, self.debug_images = [], [], []
        self.create_subscription(PoseArray, '/hand_joints', self.joints.append, 10)
        self.create_subscription(MarkerArray, '/hand_joints/markers', self.markers.append, 10)
        if debug:
            self.create_subscription(Image, '/hand_joints/debug_image',
                                     self.debug_images.append, 10)

    def send_info(self, K, width, height, stamp=1):
        """Publish a CameraInfo."""
        self.info_pub.publish(camera_info_msg(K, width, height, header(stamp)))

    def send_depth(self, depth_mm, stamp, encoding='16UC1'):
        """Publish a depth image built from float mm."""
        self.image_pub.publish(depth_image_msg(depth_mm, header(stamp), encoding))

    def stamps_out(self):
        """Stamps (ns) of the PoseArrays received so far."""
        return [stamp_ns(m.header.stamp) for m in self.joints]
