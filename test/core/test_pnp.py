# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""PnP: the pose of a box from its 8 corner projections, with noise and one bad corner."""

from conftest import random_pose
import numpy as np
import pytest

from fm_pose_ros.core.object_codec import project_points
from fm_pose_ros.core.pnp import solve_pnp

K = np.array([[572.4, 0.0, 325.3], [0.0, 573.6, 242.0], [0.0, 0.0, 1.0]])
CORNERS = np.array([[x, y, z] for z in (-0.03, 0.03) for y in (-0.04, 0.04)
                    for x in (-0.05, 0.05)])


@pytest.mark.parametrize('noise_px', [0.0, 1.0])
def test_pnp_round_trip(noise_px):
    rng = np.random.default_rng(2)
    for _ in range(20):
        R, t = random_pose(rng)
        uv = project_points(CORNERS, R, t, K) + rng.normal(0, noise_px, (8, 2))
        R_est, t_est = solve_pnp(CORNERS, uv, K, threshold_px=5.0)
        assert np.linalg.norm(t_est - t) < 0.002 + 0.01 * noise_px
        assert np.degrees(np.arccos(np.clip((np.trace(R_est.T @ R) - 1) / 2, -1, 1))) < \
            0.5 + 3 * noise_px


def test_pnp_outvotes_one_bad_corner():
    rng = np.random.default_rng(3)
    for _ in range(20):
        R, t = random_pose(rng)
        uv = project_points(CORNERS, R, t, K)
        uv[rng.integers(8)] += rng.choice([-1, 1], 2) * rng.uniform(30, 80, 2)
        R_est, t_est = solve_pnp(CORNERS, uv, K, threshold_px=5.0)
        assert np.linalg.norm(t_est - t) < 0.003
