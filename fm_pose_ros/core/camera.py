# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Pinhole camera geometry shared by both tasks.

Units: points in the camera optical frame (REP 103: x right, y down, z forward), in the
caller's unit (the hand task uses mm); pixels in image coordinates; K is the ``(3, 3)``
intrinsic matrix.
"""

import numpy as np

FOCAL_RANGE = (0.05, 50.0)  # plausible fx and fy, in multiples of the image width
PRINCIPAL_MARGIN = 1.0      # cx, cy at most this many image sizes outside the image
ROW_TOLERANCE = 1e-6        # K's last row must be (0, 0, 1) within this


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


class IntrinsicsError(ValueError):
    """Intrinsics that do not describe a usable pinhole camera (for their image size)."""


def check_intrinsics(K, image_shape=None):
    """Return K as a float64 (3, 3) array or raise IntrinsicsError if it cannot be used.

    Always: finite values, fx > 0, fy > 0 and a last row of (0, 0, 1). With ``image_shape``
    (``(H, W, ...)`` of the image K belongs to, pixels): fx and fy within ``FOCAL_RANGE``
    times the width, and the principal point within ``PRINCIPAL_MARGIN`` image sizes of the
    image (a camera's principal point lies near its image centre).
    """
    K = np.asarray(K, np.float64).reshape(3, 3)
    if not np.all(np.isfinite(K)) or K[0, 0] <= 0 or K[1, 1] <= 0:
        raise IntrinsicsError(f'camera intrinsics unusable (fx={K[0, 0]}, fy={K[1, 1]})')
    if np.abs(K[2] - (0.0, 0.0, 1.0)).max() > ROW_TOLERANCE:
        raise IntrinsicsError(f'camera intrinsics unusable: the last row of K is '
                              f'{K[2].tolist()}, not [0, 0, 1]')
    if image_shape is not None:
        _check_for_size(K, int(image_shape[0]), int(image_shape[1]))
    return K


def _check_for_size(K, height, width):
    low, high = FOCAL_RANGE
    if not (low * width <= K[0, 0] <= high * width and low * width <= K[1, 1] <= high * width):
        raise IntrinsicsError(
            f'camera intrinsics implausible for a {width}x{height} image: fx={K[0, 0]:g}, '
            f'fy={K[1, 1]:g} px (expected {low:g} to {high:g} times the width)')
    u_margin, v_margin = PRINCIPAL_MARGIN * width, PRINCIPAL_MARGIN * height
    if not (-u_margin <= K[0, 2] <= width + u_margin
            and -v_margin <= K[1, 2] <= height + v_margin):
        raise IntrinsicsError(
            f'camera intrinsics implausible for a {width}x{height} image: principal point '
            f'({K[0, 2]:g}, {K[1, 2]:g}) px lies far outside the image')
