# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The held-out egocentric grasp domain: passive stereo, its frames, evaluation only."""

from dataclasses import replace

import numpy as np
import pytest

from training.config import DataConfig
from training.hand.cameras import CAMERAS
from training.hand.data import _make_source
from training.hand.heldout_ego import (
    HeldOutEgoSource, K_STEREO, PassiveStereoModel, STEREO_CAMERA)
from training.hand.sensor_families import FAMILIES
from training.hand.sensor_sim import plane_depth


def ridge_scene():
    """A bumpy ridge (500-520 mm) in front of a flat wall (1,200 mm), stereo intrinsics."""
    height, width = STEREO_CAMERA.size
    depth = plane_depth(K_STEREO, height, width, np.array([0.0, 0.0, 1.0]), 1200.0)
    u = np.arange(200, 260)
    depth[100:300, 200:260] = 500.0 + 20.0 * np.abs(np.sin(u / 2.0))
    return depth


def test_passive_stereo_loses_the_left_band_and_textureless_flat_surfaces():
    sensor = PassiveStereoModel(textureless=0.5)
    depth = ridge_scene()
    out = sensor.apply(depth, K_STEREO, np.random.default_rng(0))
    assert out.dtype == np.float32 and out.shape == depth.shape
    assert not out[200, 190:198].any()                # occluded for the right camera
    wall = out[:, 400:] > 0
    assert 0.3 < 1.0 - wall.mean() < 0.7              # the flat wall: holes where no texture
    assert (out[120:280, 205:255] > 0).mean() > 0.9   # the bumpy ridge is matched
    assert np.abs(out[120:280, 205:255][out[120:280, 205:255] > 0] - 510.0).max() < 30.0


def test_heldout_ego_frames_are_egocentric_grasps_of_a_camera_and_family_never_trained_on():
    source = HeldOutEgoSource(DataConfig(num_real_test=12))
    frames = list(source.test_records())
    assert len(frames) == 12
    for frame in frames:
        assert frame['depth'].shape == frame['twin'].shape == STEREO_CAMERA.size
        np.testing.assert_array_equal(frame['K'], K_STEREO)
        np.testing.assert_array_equal(frame['joints'], frame['joints_true'])
        assert frame['ego']
        assert frame['joints'][5, 2] > frame['joints'][13, 2]   # middle PIP beyond the palm
    assert np.mean([f['grasp'] is not None for f in frames]) >= 0.5
    assert STEREO_CAMERA.family not in FAMILIES
    assert all(c.size != STEREO_CAMERA.size for c in CAMERAS)
    with pytest.raises(ValueError, match='held-out'):
        source.train_records()
    with pytest.raises(ValueError, match='held-out'):
        source.val_records()
    assert isinstance(_make_source(replace(DataConfig(), source='heldout-ego')),
                      HeldOutEgoSource)
