# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Rotation matrices, quaternions in ROS order ``(x, y, z, w)``, symmetry transforms.

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


def axis_symmetries(axis, order, point=(0.0, 0.0, 0.0)):
    """Return the turns by ``k 360 / order`` deg about ``axis`` through ``point``.

    Shape ``(order, 4, 4)``.

    Rigid transforms of the model frame (translation in the point's unit), the identity
    first; an object symmetric about that axis looks the same under each of them. A
    continuous symmetry (a body of revolution) is sampled by ``order`` turns.
    """
    from scipy.spatial.transform import Rotation
    axis = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    point = np.asarray(point, np.float64)
    angles = 2.0 * np.pi * np.arange(int(order)) / int(order)
    transforms = np.tile(np.eye(4), (len(angles), 1, 1))
    transforms[:, :3, :3] = Rotation.from_rotvec(angles[:, None] * axis).as_matrix()
    transforms[:, :3, 3] = point - transforms[:, :3, :3] @ point
    return transforms


def transform_points(transforms, points):
    """Points ``(P, 3)`` under each rigid transform ``(S, 4, 4)`` -> ``(S, P, 3)``."""
    transforms = np.asarray(transforms, np.float64)
    return (np.asarray(points, np.float64) @ transforms[:, :3, :3].transpose(0, 2, 1)
            + transforms[:, None, :3, 3])
