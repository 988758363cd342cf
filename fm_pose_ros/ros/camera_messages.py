# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""CameraInfo <-> intrinsic matrix K, for both nodes, the bag tools and tests."""

import numpy as np
from sensor_msgs.msg import CameraInfo

from fm_pose_ros.core.camera import check_intrinsics


def camera_info_msg(K, width, height, header):
    """Pinhole CameraInfo (no distortion) for a ``(3, 3)`` K."""
    K = np.asarray(K, np.float64).reshape(3, 3)
    msg = CameraInfo(header=header, width=int(width), height=int(height),
                     distortion_model='plumb_bob')
    msg.d = [0.0] * 5
    msg.k = K.ravel().tolist()
    msg.r = np.eye(3).ravel().tolist()
    msg.p = np.hstack([K, np.zeros((3, 1))]).ravel().tolist()
    return msg


def camera_matrix(info):
    """K ``(3, 3)`` float64 of a CameraInfo (the inverse of camera_info_msg's K)."""
    return np.array(info.k, np.float64).reshape(3, 3)


def checked_camera_matrix(info):
    """K ``(3, 3)`` of a CameraInfo, checked against its image size; else IntrinsicsError.

    ``core.camera.check_intrinsics``: finite, last row (0, 0, 1), and, when the CameraInfo
    gives its width and height, focal lengths and principal point plausible for that size.
    """
    size = (info.height, info.width) if info.height and info.width else None
    return check_intrinsics(camera_matrix(info), size)
