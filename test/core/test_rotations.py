# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Rotations: matrix <-> quaternion round trip, ROS order (x, y, z, w), w >= 0; symmetries."""

import numpy as np
from scipy.spatial.transform import Rotation

from fm_pose_ros.core.rotations import (
    axis_symmetries, quaternion_to_rotation, rotation_to_quaternion, transform_points)


def test_quaternion_round_trip_and_order():
    rng = np.random.default_rng(4)
    R = Rotation.random(random_state=int(rng.integers(1 << 30))).as_matrix()
    quat = rotation_to_quaternion(R)
    assert quat[3] >= 0 and abs(np.linalg.norm(quat) - 1) < 1e-9
    np.testing.assert_allclose(quaternion_to_rotation(quat), R, atol=1e-9)
    half = np.radians(90) / 2  # 90 deg about z -> (0, 0, sin, cos)
    Rz = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(rotation_to_quaternion(Rz), [0, 0, np.sin(half), np.cos(half)],
                               atol=1e-9)


def test_axis_symmetries_turn_about_the_axis_through_the_point():
    axis, point = np.array([0.0, 0.6, 0.8]), np.array([0.01, -0.02, 0.03])
    turns = axis_symmetries(axis, 6, point)
    assert turns.shape == (6, 4, 4)
    np.testing.assert_allclose(turns[0], np.eye(4), atol=1e-12)
    on_axis = np.stack([point, point + 0.05 * axis])
    moved = transform_points(turns, on_axis)
    np.testing.assert_allclose(moved, np.broadcast_to(on_axis, (6, 2, 3)), atol=1e-12)
    # six turns of 60 deg: the first composed with itself k times is the k-th
    np.testing.assert_allclose(np.linalg.matrix_power(turns[1], 6), np.eye(4), atol=1e-12)
    np.testing.assert_allclose(turns[1] @ turns[2], turns[3], atol=1e-12)
    angle = np.degrees(Rotation.from_matrix(turns[1, :3, :3]).magnitude())
    assert abs(angle - 60.0) < 1e-9
