# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Pinhole camera geometry shared by both tasks.

Units: points in the camera optical frame (REP 103: x right, y down, z forward), in the
caller's unit (the hand task uses mm); pixels in image coordinates; K is the ``(3, 3)``
intrinsic matrix.
"""

import numpy as np


def project(points_mm, K):
    """Pinhole projection of ``(N, 3)`` camera-frame points to ``(N, 2)`` pixels."""
    points = np.asarray(points_mm, np.float64).reshape(-1, 3)
    z = np.where(np.abs(points[:, 2]) < 1e-6, 1e-6, points[:, 2])
    u = points[:, 0] * K[0, 0] / z + K[0, 2]
    v = points[:, 1] * K[1, 1] / z + K[1, 2]
    return np.stack([u, v], axis=1)


def backproject(u, v, depth_mm, K):
    """Pixel coordinates and depth (mm) -> ``(..., 3)`` camera-frame points in mm."""
    x = (u - K[0, 2]) * depth_mm / K[0, 0]
    y = (v - K[1, 2]) * depth_mm / K[1, 1]
    return np.stack([x, y, depth_mm], axis=-1)


def check_intrinsics(K):
    """Return K as a float64 (3, 3) array or raise ValueError if it cannot be used."""
    K = np.asarray(K, np.float64).reshape(3, 3)
    if not np.all(np.isfinite(K)) or K[0, 0] <= 0 or K[1, 1] <= 0:
        raise ValueError(f'camera intrinsics unusable (fx={K[0, 0]}, fy={K[1, 1]})')
    return K
