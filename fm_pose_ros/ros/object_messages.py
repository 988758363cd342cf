# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object results <-> ROS messages: colour Image, PoseStamped, box Markers, debug Image.

Poses on the wire: position = ``t`` in metres and orientation = ``R`` as a quaternion
``(x, y, z, w)``, both in the camera optical frame of the image (header copied); ``R``
``(3, 3)`` maps model to camera coordinates (object_codec's convention).
"""

from builtin_interfaces.msg import Duration
import cv2
from geometry_msgs.msg import Point, PoseStamped
import numpy as np
from sensor_msgs.msg import Image
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from fm_pose_ros.core.image_codec import fill_image, image_to_array, ImageFormatError
from fm_pose_ros.core.object_codec import NUM_CORNERS, project_points
from fm_pose_ros.core.rotations import quaternion_to_rotation, rotation_to_quaternion

MARKER_LIFETIME = Duration(sec=0, nanosec=500_000_000)  # the box vanishes when object is lost
# corner i of the box has bits (i & 1, i >> 1 & 1, i >> 2 & 1) choosing min/max of x, y, z;
# an edge joins two corners that differ in one bit: 12 edges
BOX_EDGES = tuple((i, i | bit) for i in range(NUM_CORNERS) for bit in (1, 2, 4)
                  if not i & bit)
OPAQUE = 255
BOX_ID = 0  # id of an object's box marker in its namespace (the object's name)

# encoding -> (H, W, C) or (H, W) uint8 pixels -> (H, W, 3) RGB
_TO_RGB = {
    'rgb8': lambda a: a,
    'bgr8': lambda a: a[..., ::-1],
    'rgba8': lambda a: a[..., :3],
    'bgra8': lambda a: a[..., 2::-1],
    'mono8': lambda a: np.repeat(a[..., None], 3, axis=2),
}
# encoding -> (H, W, 3) RGB -> the pixels of that encoding (for tests and tools)
_FROM_RGB = {
    'rgb8': lambda a: a,
    'bgr8': lambda a: a[..., ::-1],
    'rgba8': lambda a: np.dstack([a, np.full(a.shape[:2], OPAQUE, np.uint8)]),
    'bgra8': lambda a: np.dstack([a[..., ::-1], np.full(a.shape[:2], OPAQUE, np.uint8)]),
    'mono8': lambda a: cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_RGB2GRAY),
}
COLOUR_ENCODINGS = tuple(_TO_RGB)


def image_to_rgb(msg):
    """Colour or mono8 Image -> ``(H, W, 3)`` uint8 RGB (mono8 replicated to 3 channels)."""
    if msg.encoding not in _TO_RGB:
        raise ImageFormatError(
            f"colour image has encoding '{msg.encoding}', expected one of "
            f"{', '.join(COLOUR_ENCODINGS)}")
    return np.ascontiguousarray(_TO_RGB[msg.encoding](image_to_array(msg)))


def rgb_image_msg(rgb, header, encoding='rgb8'):
    """``(H, W, 3)`` uint8 RGB -> Image in ``encoding`` (one of COLOUR_ENCODINGS)."""
    if encoding not in _FROM_RGB:
        raise ImageFormatError(f"'{encoding}' is not a colour encoding")
    pixels = np.ascontiguousarray(_FROM_RGB[encoding](np.asarray(rgb, np.uint8)))
    return fill_image(Image(header=header), pixels, encoding)


def pose_stamped(R, t, header):
    """Pose ``R`` (3, 3), ``t`` (3,) m -> PoseStamped, header copied."""
    msg = PoseStamped(header=header)
    msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = (
        float(v) for v in np.asarray(t, np.float64).ravel())
    q = msg.pose.orientation
    q.x, q.y, q.z, q.w = (float(v) for v in rotation_to_quaternion(R))
    return msg


def pose_stamped_to_pose(msg):
    """Convert a PoseStamped to ``(R (3, 3), t (3,) m)``."""
    p, q = msg.pose.position, msg.pose.orientation
    return quaternion_to_rotation([q.x, q.y, q.z, q.w]), np.array([p.x, p.y, p.z])


def corners_in_camera(corners, R, t):
    """Model-frame box corners ``(8, 3)`` m -> camera frame ``(8, 3)`` m."""
    return np.asarray(corners, np.float64) @ np.asarray(R, np.float64).T + np.asarray(t)


def box_marker(corners, R, t, header, ns):
    """Build one object's RViz 3D bounding box: a LINE_LIST of the 12 edges, camera frame.

    ``ns``: the object's name (marker namespace; id BOX_ID).
    """
    points = [Point(x=float(x), y=float(y), z=float(z))
              for x, y, z in corners_in_camera(corners, R, t)]
    box = Marker(header=header, ns=ns, id=BOX_ID, type=Marker.LINE_LIST,
                 action=Marker.ADD, lifetime=MARKER_LIFETIME)
    box.points = [points[i] for edge in BOX_EDGES for i in edge]
    box.scale.x = 0.003
    box.color = ColorRGBA(r=0.1, g=1.0, b=0.2, a=1.0)
    box.pose.orientation.w = 1.0
    return box


def removed_box(header, ns):
    """Marker that removes object ``ns``'s box only (DELETE of its id; not DELETEALL)."""
    return Marker(header=header, ns=ns, id=BOX_ID, action=Marker.DELETE)


def object_markers(header, boxes, missing):
    """MarkerArray: a box per found object, a removal per object not found in this frame.

    ``boxes``: ``[(name, model box corners (8, 3) m, R (3, 3), t (3,) m)]``; ``missing``: names.
    """
    return MarkerArray(markers=[box_marker(c, R, t, header, n) for n, c, R, t in boxes]
                       + [removed_box(header, name) for name in missing])


def debug_image(rgb, K, found, header):
    """bgr8 copy of the input with every found object drawn.

    ``found``: ``[(name, ObjectEstimate, model box corners (8, 3) m)]``; each gets its crop box
    (white) with its name, and its projected 3D box (green).
    """
    canvas = np.ascontiguousarray(rgb[..., ::-1])
    for name, estimate, corners in found:
        _draw_object(canvas, K, name, estimate, corners)
    return fill_image(Image(header=header), canvas, 'bgr8')


def _draw_object(canvas, K, name, estimate, corners):
    half = estimate.box.side / 2.0
    u, v = np.asarray(estimate.box.centre, np.float64)
    cv2.rectangle(canvas, (int(u - half), int(v - half)), (int(u + half), int(v + half)),
                  (255, 255, 255), 1)
    cv2.putText(canvas, name, (int(u - half), int(v - half) - 4), cv2.FONT_HERSHEY_SIMPLEX,
                0.5, (255, 255, 255), 1)
    if np.all(corners_in_camera(corners, estimate.R, estimate.t)[:, 2] > 0):
        limit = 4 * max(canvas.shape)  # keeps far-off points in cv2's int range
        uv = np.clip(project_points(corners, estimate.R, estimate.t, K), -limit, limit)
        uv = np.rint(uv).astype(int)
        for a, b in BOX_EDGES:
            cv2.line(canvas, tuple(uv[a]), tuple(uv[b]), (0, 255, 0), 2)
