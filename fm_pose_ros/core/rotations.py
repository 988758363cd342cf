# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Rotation matrices and quaternions in ROS order ``(x, y, z, w)``, for pose messages.

The object node publishes its ``R`` (model -> camera) as a quaternion; scipy does the maths.
"""

import numpy as np


def rotation_to_quaternion(R):
    """``(3, 3)`` rotation -> quaternion ``(x, y, z, w)`` (ROS order), w >= 0."""
    from scipy.spatial.transform import Rotation
    quat = Rotation.from_matrix(np.asarray(R, np.float64)).as_quat()  # x, y, z, w
    return quat if quat[3] >= 0 else -quat


def quaternion_to_rotation(quat_xyzw):
    """Quaternion ``(x, y, z, w)`` -> ``(3, 3)`` rotation."""
    from scipy.spatial.transform import Rotation
    return Rotation.from_quat(np.asarray(quat_xyzw, np.float64)).as_matrix()
