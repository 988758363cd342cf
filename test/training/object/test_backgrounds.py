# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Varied locator backgrounds: ranges, texture, clutter; the config names them."""

import cv2
import numpy as np
import pytest

from training.config import ObjectConfig
from training.object.backgrounds import (
    grating, LOCATOR_BACKGROUNDS, value_noise, varied_background)


def _texture(image):
    """Mean absolute Laplacian of the grey image: 0 for flat, large for fine texture."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F)).mean())


def test_varied_backgrounds_stay_in_range_and_are_textured_where_smooth_ones_are_not():
    rng = np.random.default_rng(0)
    varied = [varied_background(rng, 160, 120) for _ in range(60)]
    smooth = [LOCATOR_BACKGROUNDS['smooth'](rng, 160, 120) for _ in range(60)]
    for image in varied:
        assert image.shape == (120, 160, 3) and image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0
    smooth_texture = max(_texture(image) for image in smooth)
    textured = np.mean([_texture(image) > 4 * smooth_texture for image in varied])
    assert 0.3 < textured < 1.0            # many textured, some plain ones too
    # near-white, textureless regions (distractors like a white object) occur
    assert np.mean([(image.min(axis=2) > 0.85).mean() > 0.02 for image in varied]) > 0.1


def test_grating_has_its_two_colours_and_value_noise_spans_the_range():
    rng = np.random.default_rng(1)
    stripes = grating(rng, 64, 48)
    assert len(np.unique(np.round(stripes.reshape(-1, 3), 3), axis=0)) >= 2
    noise = value_noise(rng, 64, 48)
    assert noise.min() == pytest.approx(0.0, abs=1e-5)
    assert noise.max() == pytest.approx(1.0, abs=1e-5)


def test_config_names_the_locator_backgrounds():
    assert set(LOCATOR_BACKGROUNDS) == {'smooth', 'varied'}
    ObjectConfig(locator_backgrounds='varied').validate()
