# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Sensor-model domain randomisation: random sensors, and copies of the training frames."""

from dataclasses import replace

import numpy as np

from training.config import DataConfig
from training.hand.datasets import K_VGA, real_like_frames, SimRealSource, VGA
from training.hand.sensor_random import RandomSensor
from training.hand.sensor_sim import plane_depth


def bar_scene():
    """A 6 px wide bar at 500 mm in front of a wall at 1,000 mm (VGA intrinsics)."""
    depth = plane_depth(K_VGA, *VGA, np.array([0.0, 0.0, 1.0]), 1000.0)
    depth[100:300, 317:323] = 500.0
    depth[400:, :] = 0.0                          # no return at the bottom
    return depth


def test_every_call_draws_another_sensor_of_both_families():
    depth, sensor = bar_scene(), RandomSensor()
    outs = [sensor.apply(depth, K_VGA, np.random.default_rng(seed)) for seed in range(6)]
    assert all(out.dtype == np.float32 and out.shape == VGA for out in outs)
    assert all(not out[400:].any() for out in outs)        # no return stays no return
    bars = [np.median(out[150:250, 320]) for out in outs]
    assert np.ptp(bars) > 1.0                     # not one fixed sensor
    again = sensor.apply(depth, K_VGA, np.random.default_rng(3))
    np.testing.assert_array_equal(again, outs[3])  # seeded


def test_filtered_depth_mixes_a_thin_part_with_the_background():
    sensor = RandomSensor(structured_light=0.0, blur_px=(3.0, 3.0), noise_mm=(0.0, 0.0),
                          noise_per_m=(0.0, 0.0), holes=(0, 0))
    out = sensor.apply(bar_scene(), K_VGA, np.random.default_rng(0))
    assert 600.0 < out[200, 320] < 900.0          # the bar pushed towards the wall
    assert abs(out[200, 100] - 1000.0) < 1.0      # the open wall unchanged


def test_structured_light_draws_stay_in_their_ranges():
    sensor = RandomSensor()
    for seed in range(5):
        drawn = sensor.structured_light_sensor(np.random.default_rng(seed))
        assert sensor.baseline_mm[0] <= drawn.baseline_mm <= sensor.baseline_mm[1]
        assert sensor.flying[0] <= drawn.flying <= sensor.flying[1]


def test_copies_share_scene_label_and_twin_and_leave_the_frames_unchanged():
    plain = list(real_like_frames(np.random.default_rng(0), 2))
    mixed = list(real_like_frames(np.random.default_rng(0), 2, copies=2,
                                  copy_sensor=RandomSensor(),
                                  copy_rng=np.random.default_rng(1)))
    assert len(mixed) == 6
    for i, frame in enumerate(plain):
        original, copies = mixed[3 * i], mixed[3 * i + 1:3 * i + 3]
        np.testing.assert_array_equal(original['depth'], frame['depth'])
        for copy in copies:
            np.testing.assert_array_equal(copy['joints'], frame['joints'])
            np.testing.assert_array_equal(copy['twin'], frame['twin'])
            assert not np.array_equal(copy['depth'], frame['depth'])


def test_the_built_in_source_adds_copies_to_training_frames_only():
    source = SimRealSource(replace(DataConfig(num_real_train=2, num_real_test=1),
                                   sensor_copies=1))
    assert len(list(source.train_records())) == 4
    assert len(list(source.test_records())) == 1
