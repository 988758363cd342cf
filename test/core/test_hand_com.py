# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Centre of mass: the closest-object localiser, its step in the cube, the pixel count."""

from conftest import blob_frame, K_VGA
import numpy as np

from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.hand_com import centre_of_mass_in_cube, count_in_cube, locate_hand


def test_locate_hand_finds_closest_object_centre():
    depth, K, centre = blob_frame(centre_mm=(-60.0, 40.0, 700.0))
    com = locate_hand(depth, K)
    # the centre of mass of the visible surface lies in front of the palm sphere's centre
    assert np.linalg.norm(com[:2] - centre[:2]) < 25.0
    assert centre[2] - 60.0 < com[2] < centre[2]


def test_no_hand_in_range_returns_none():
    depth = np.full((480, 640), 3000.0, np.float32)
    assert locate_hand(depth, K_VGA) is None
    assert locate_hand(np.zeros((480, 640), np.float32), K_VGA) is None


def test_a_step_in_the_cube_moves_towards_the_hand():
    depth, K, _ = blob_frame()
    settings = HandCropSettings()
    located = locate_hand(depth, K, settings)
    start = located + np.array([160.0, 0.0, 0.0])  # the cube holds only the blob's right edge
    step = centre_of_mass_in_cube(depth, start, K, settings)
    assert np.linalg.norm(step - located) < 0.5 * np.linalg.norm(start - located)
    assert count_in_cube(depth, start, K, settings) < count_in_cube(depth, located, K, settings)
    far = np.array([0.0, 0.0, 2000.0])              # an empty cube: no step, no pixels
    assert centre_of_mass_in_cube(depth, far, K, settings) is None
    assert count_in_cube(depth, far, K, settings) == 0
