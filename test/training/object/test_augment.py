# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Augmented real/twin crops: image and targets warped alike, the node's crop geometry."""

from types import SimpleNamespace

import numpy as np

from fm_pose_ros.core.object_codec import (
    box_around, BoxCrop, decode_corners, encode_corners, ObjectCropSettings)
from training.object.augment import (
    augmented_pair, colour_jitter, margin_box, random_warp, warp_crop, warp_targets)

SETTINGS = ObjectCropSettings(crop_size=32)
UV = np.array([[300, 200], [340, 205], [310, 250], [345, 245],
               [302, 198], [338, 210], [305, 255], [350, 240]], np.float64)


def test_unrotated_warp_is_a_crop_box_of_the_full_image():
    """Without rotation a warp equals some node crop box: targets as encode_corners gives."""
    mbox = margin_box(UV, SETTINGS, 1.6)
    assert mbox.crop_size == 51 and np.isclose(mbox.scale, box_around(UV, SETTINGS).scale)
    matrix = random_warp(np.random.default_rng(1), 32, mbox.crop_size, 0.1, 0.15, 0.0)
    scale = matrix[0, 0]  # crop px per margin px
    # the full-image box the warp corresponds to
    centre_margin = (np.array([15.5, 15.5]) - matrix[:, 2]) / scale
    box = BoxCrop(centre=mbox.to_image(centre_margin[None])[0],
                  side=32 / scale / mbox.scale, crop_size=32)
    np.testing.assert_allclose(warp_targets(mbox.to_crop(UV), matrix, 32),
                               encode_corners(UV, box), atol=1e-5)
    np.testing.assert_allclose(decode_corners(encode_corners(UV, box), box), UV, atol=1e-6)


def test_image_and_targets_are_warped_alike():
    """A dot drawn at a corner of the margin crop lands where the warped target says."""
    rng = np.random.default_rng(0)
    margin = np.zeros((64, 64, 3), np.uint8)
    corner = np.array([40.0, 22.0])
    margin[22, 40] = 255
    margin = np.asarray(np.maximum.reduce([np.roll(margin, s, (0, 1)) for s in
                                           [(0, 0), (0, 1), (1, 0), (0, -1), (-1, 0)]]))
    for _ in range(5):
        matrix = random_warp(rng, 40, 64, 0.1, 0.15, 40.0)
        warped = warp_crop(margin, matrix, 40)
        target = warp_targets(np.repeat(corner[None], 8, 0), matrix, 40)[:2]
        uv = target * 20.0 + 19.5
        peak = np.unravel_index(np.argmax(warped[..., 0]), warped.shape[:2])[::-1]
        assert np.abs(np.asarray(peak) - uv).max() <= 1.0, (peak, uv)


def test_rotation_keeps_the_shape_of_the_corners():
    matrix = random_warp(np.random.default_rng(2), 32, 51, 0.0, 0.0, 30.0)
    linear = matrix[:, :2]
    np.testing.assert_allclose(linear @ linear.T, np.eye(2) * np.linalg.det(linear), atol=1e-9)
    assert not np.allclose(linear, np.diag(np.diag(linear)))  # a rotation was drawn


def test_colour_jitter_changes_the_real_crop_only():
    rng = np.random.default_rng(0)
    real = rng.integers(0, 255, (51, 51, 3), dtype=np.uint8)
    twin = real.copy()
    corners = margin_box(UV, SETTINGS, 1.6).to_crop(UV)
    ocfg = SimpleNamespace(box_shift=0.1, box_scale=0.15, augment_rotation_deg=30.0,
                           augment_colour=0.3)
    out_real, out_twin, target = augmented_pair(rng, real, twin, corners, 32, ocfg)
    assert out_real.shape == out_twin.shape == (32, 32, 3) and out_real.dtype == np.uint8
    assert target.shape == (16,) and target.dtype == np.float32
    assert not np.array_equal(out_real, out_twin)
    assert np.array_equal(colour_jitter(rng, real, 0.0), real)
