# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Learned hand localiser: input and target codecs, probability -> centre, its robustness."""

from conftest import blob_frame
import numpy as np
import pytest

from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.hand_com import centre_of_mass, locate_hand
from fm_pose_ros.core.hand_locator import (
    centre_from_probability, full_resolution, hand_cells, hand_mask, locator_input)
from fm_pose_ros.core.networks import HAND_LOCATOR

SETTINGS = HandCropSettings()


def test_input_is_letterboxed_normalised_depth():
    depth = np.zeros((480, 640), np.float32)
    depth[:, 160:320], depth[:, 320:480], depth[:, 480:] = 500.0, 1000.0, 3000.0
    canvas, scale = locator_input(depth)
    assert canvas.shape == (HAND_LOCATOR.height, HAND_LOCATOR.width) and scale == 0.25
    assert canvas[60, 20] == 1.0 and canvas[60, 60] == -0.5    # missing = far; 500 mm
    assert canvas[60, 100] == 0.0 and canvas[60, 140] == 1.0   # 1000 mm; clipped
    square, scale = locator_input(np.full((480, 480), 500.0, np.float32))
    assert scale == 0.25 and np.all(square[:, 120:] == 1.0) and np.all(square[:, :120] == -0.5)


def test_cell_targets_round_trip_to_the_pixel_mask():
    mask = np.zeros((480, 640), bool)
    mask[160:320, 320:480] = True                               # whole 16x16-pixel cells
    cells = hand_cells(mask)
    assert cells.shape == (30, 40)
    assert cells[10:20, 20:30].min() == 1.0 and cells.sum() == 100.0
    back = full_resolution(cells, mask.shape, 0.25) > 0.5
    assert (back & mask).sum() / (back | mask).sum() > 0.95


def test_hand_mask_is_where_the_frame_agrees_with_its_twin():
    twin = np.full((4, 4), 600.0, np.float32)
    twin[0] = 0.0
    depth = twin + np.array([[0.0], [5.0], [40.0], [-10.0]], np.float32)
    depth[3, 3] = 0.0
    expected = np.array([[0] * 4, [1] * 4, [0] * 4, [1, 1, 1, 0]], bool)
    np.testing.assert_array_equal(hand_mask(depth, twin), expected)


def _hand_with_forearm():
    """Blob hand at 550 mm plus a forearm slab reaching to the image bottom, hand mask."""
    depth, K, _ = blob_frame()
    hand = depth < 1500.0
    rows, cols = np.nonzero(hand)
    arm = np.zeros_like(hand)
    arm[rows.max() - 10:, cols.min() + 20:cols.max() - 20] = True
    arm &= ~hand
    depth[arm] = 540.0
    return depth, K, hand


def test_centre_follows_the_hand_not_the_forearm():
    depth, K, hand = _hand_with_forearm()
    probability = hand_cells(hand)
    centre = centre_from_probability(depth, K, probability, SETTINGS)
    true = centre_of_mass(depth, hand, K)
    assert np.linalg.norm(centre - true) < 15.0
    # the closest-object localiser is pulled down the forearm
    assert np.linalg.norm(locate_hand(depth, K, SETTINGS) - true) > 40.0


def test_false_positive_on_a_far_surface_is_dropped():
    depth, K, hand = _hand_with_forearm()
    depth[:48, :96] = 1400.0                                     # in range, far behind
    probability = hand_cells(hand)
    probability[:3, :6] = 1.0
    centre = centre_from_probability(depth, K, probability, SETTINGS)
    assert np.linalg.norm(centre - centre_of_mass(depth, hand, K)) < 15.0


@pytest.mark.parametrize('probability', [0.0, 0.3])
def test_no_hand_cells_gives_none(probability):
    depth, K, _ = blob_frame()
    cells = np.full((30, 40), probability, np.float32)
    assert centre_from_probability(depth, K, cells, SETTINGS) is None
