# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Boxes and flat-capped cylinders ray cast in numpy: depths, silhouettes, occlusion."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from training.render.solids import BOX, CYLINDER, render_solids, Solids

K = np.array([[300.0, 0.0, 79.5], [0.0, 300.0, 59.5], [0.0, 0.0, 1.0]])
SIZE = (120, 160)


def solid(kind, centre, frame, half):
    return Solids(np.array([kind]), np.array([centre], float), np.array([frame], float),
                  np.array([half], float))


def test_a_box_facing_the_camera_shows_its_front_face_with_its_width():
    depth = render_solids(solid(BOX, (0, 0, 500), np.eye(3), (40, 20, 10)), K, *SIZE)
    assert depth.dtype == np.float32 and depth.shape == SIZE
    assert depth[59, 79] == pytest.approx(490.0, abs=1e-3)       # front face at z = 490
    columns = np.nonzero(depth[59] > 0)[0]
    width_px = columns.max() - columns.min() + 1                 # 80 mm at 490 mm: 49 px
    assert abs(width_px - 80 * 300 / 490) <= 2
    assert depth[0, 0] == 0.0                                    # nothing around it


def test_a_cylinder_shows_its_round_side_or_its_flat_cap():
    side = Rotation.from_euler('x', 90, degrees=True).as_matrix()   # axis along camera y
    across = render_solids(solid(CYLINDER, (0, 0, 500), side, (30, 30, 60)), K, *SIZE)
    assert across[59, 79] == pytest.approx(470.0, abs=0.5)       # nearest point of the side
    assert across[59, 79 + 15] > across[59, 79] + 1.0            # curved across the axis
    assert np.ptp(across[40:80, 79]) < 0.5                       # straight along it
    along = render_solids(solid(CYLINDER, (0, 0, 500), np.eye(3), (30, 30, 60)), K, *SIZE)
    assert along[59, 79] == pytest.approx(440.0, abs=1e-3)       # the flat cap
    assert along[59, 79 + 10] == pytest.approx(440.0, abs=1e-3)


def test_the_nearest_solid_wins_and_solids_behind_the_camera_are_not_drawn():
    near = solid(BOX, (0, 0, 400), np.eye(3), (10, 10, 10))
    far = solid(BOX, (0, 0, 600), np.eye(3), (50, 50, 10))
    behind = solid(BOX, (0, 0, -300), np.eye(3), (500, 500, 10))
    depth = render_solids(Solids.concatenate([far, near, behind]), K, *SIZE)
    assert depth[59, 79] == pytest.approx(390.0, abs=1e-3)
    assert depth[59, 79 + 25] == pytest.approx(590.0, abs=1e-3)
    assert not render_solids(behind, K, *SIZE).any()
    assert not render_solids(Solids.empty(), K, *SIZE).any()
