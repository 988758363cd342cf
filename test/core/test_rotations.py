# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Rotations: matrix <-> quaternion round trip, ROS order (x, y, z, w), w >= 0."""

import numpy as np
from scipy.spatial.transform import Rotation

from fm_pose_ros.core.rotations import quaternion_to_rotation, rotation_to_quaternion


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
