# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The held-out time-of-flight domain: its sensor effects, its frames, evaluation only."""

import numpy as np
import pytest

from training.config import DataConfig
from training.hand.datasets import K_VGA, real_like_frames
from training.hand.heldout import (
    apply_tof, HeldOutSource, K_TOF, TOF_SIZE, TofSensorModel)
from training.hand.sensor_sim import plane_depth


def step_scene():
    """A near square (600 mm) in front of a wall (1200 mm), ToF intrinsics."""
    depth = plane_depth(K_TOF, *TOF_SIZE, np.array([0.0, 0.0, 1.0]), 1200.0)
    depth[150:270, 200:320] = 600.0
    return depth


def test_tof_noise_grows_with_depth_and_respects_the_range():
    sensor = TofSensorModel(multipath=0.0, flying=0.0, dark_blobs=0, grazing_slope=1e9)
    depth = step_scene()
    out = apply_tof(depth, K_TOF, np.random.default_rng(0), sensor)
    near, far = out[170:250, 220:300] - 600.0, out[20:120, 20:120] - 1200.0
    assert 0.5 < near.std() < far.std() < 6.0
    closer = apply_tof(np.full(TOF_SIZE, 400.0, np.float32), K_TOF,
                       np.random.default_rng(0), sensor)
    assert not closer.any()                       # below the minimum range: no return


def test_multipath_pushes_surfaces_near_a_farther_one_back():
    sensor = TofSensorModel(noise_mm=0.0, noise_per_m=0.0, flying=0.0, dark_blobs=0,
                            grazing_slope=1e9)
    out = apply_tof(step_scene(), K_TOF, np.random.default_rng(0), sensor)
    assert out[210, 203] > 610.0                  # near the square's border: biased farther
    assert out[210, 260] == pytest.approx(600.0)  # its middle: no bias
    assert out[20, 20] == pytest.approx(1200.0, abs=1.0)


def test_flying_pixels_lie_between_the_surfaces():
    sensor = TofSensorModel(noise_mm=0.0, noise_per_m=0.0, multipath=0.0, flying=1.0,
                            dark_blobs=0, grazing_slope=1e9)
    out = apply_tof(step_scene(), K_TOF, np.random.default_rng(0), sensor)
    border = out[150:270, 200]
    assert np.all((border >= 600.0) & (border <= 1200.0))
    assert np.ptp(border) > 100.0                 # spread along the gap, not one value


def test_heldout_frames_use_the_tof_camera_and_refuse_training():
    source = HeldOutSource(DataConfig(num_real_test=2))
    frames = list(source.test_records())
    assert len(frames) == 2 and frames[0]['depth'].shape == TOF_SIZE
    np.testing.assert_array_equal(frames[0]['K'], K_TOF)
    np.testing.assert_array_equal(frames[0]['joints'], frames[0]['joints_true'])
    assert frames[0]['twin'].shape == TOF_SIZE
    with pytest.raises(ValueError, match='held-out'):
        source.train_records()
    builtin = next(real_like_frames(np.random.default_rng(0), 1))
    assert builtin['depth'].shape != TOF_SIZE and not np.array_equal(builtin['K'], K_TOF)
    assert not np.array_equal(K_VGA, K_TOF)
