# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Sensor families of the robot views: active stereo and time of flight; held-out fairness."""

from dataclasses import fields

import numpy as np
import pytest

from training.hand.heldout import TofSensorModel
from training.hand.sensor_families import (
    ActiveStereo, draw_sensor, FAMILIES, occlusion_band, TofFamily)
from training.hand.sensor_sim import plane_depth, SensorModel

K = np.array([[450.0, 0.0, 159.5], [0.0, 450.0, 119.5], [0.0, 0.0, 1.0]])
SIZE = (240, 320)


def bar_scene(near=500.0):
    """A 20 px wide bar at ``near`` mm in front of a wall at 1,000 mm."""
    depth = plane_depth(K, *SIZE, np.array([0.0, 0.0, 1.0]), 1000.0)
    depth[60:180, 150:170] = near
    return depth


def test_active_stereo_loses_the_band_left_of_the_bar_and_fattens_it():
    sensor = ActiveStereo(disparity_noise_px=(0.0, 0.0), speckle_drop=(0.0, 0.0),
                          fattening=(1.0, 1.0), window_px=(9, 9))
    out = sensor.apply(bar_scene(), K, np.random.default_rng(0))
    assert out.dtype == np.float32 and out.shape == SIZE
    assert not out[120, 135:148].any()                # left of the bar: unseen by the right view
    assert out[120, 175] > 900.0                      # right of it: the wall
    assert abs(out[120, 171] - 500.0) < 5.0           # the bar spreads over the wall's edge
    assert abs(out[120, 160] - 500.0) < 5.0


def test_active_stereo_has_a_minimum_distance():
    sensor = ActiveStereo(baseline_mm=(50.0, 50.0))   # fx * B / 126 px = 179 mm
    out = sensor.apply(bar_scene(near=150.0), K, np.random.default_rng(0))
    assert not out[100:140, 155:165].any()
    assert out[20, 20] > 900.0


def test_time_of_flight_family_pushes_depth_back_near_a_farther_surface():
    sensor = TofFamily(noise_mm=(0.0, 0.0), noise_per_m=(0.0, 0.0), mixed=(0.0, 0.0),
                       dark_spots=(0, 0), multipath=(0.2, 0.2), grazing_slope=(1e9, 1e9))
    out = sensor.apply(bar_scene(), K, np.random.default_rng(0))
    assert out[120, 151] > 510.0                       # the bar's border: biased farther
    assert out[120, 160] < out[120, 151]               # its middle less so
    assert abs(out[20, 20] - 1000.0) < 1.0


def test_the_held_out_time_of_flight_sensor_is_outside_every_training_range():
    held_out, family = TofSensorModel(), TofFamily()
    pairs = {'noise_mm': 'noise_mm', 'noise_per_m': 'noise_per_m', 'multipath': 'multipath',
             'flying': 'mixed', 'grazing_slope': 'grazing_slope'}
    for held_name, family_name in pairs.items():
        low, high = getattr(family, family_name)
        assert not low <= getattr(held_out, held_name) <= high, held_name
    assert held_out.dark_blobs > family.dark_spots[1]
    assert {f.name for f in fields(held_out)} >= set(pairs)


def test_every_family_is_drawn_and_an_unknown_one_is_refused():
    rng = np.random.default_rng(0)
    kinds = {family: type(draw_sensor(rng, family)) for family in FAMILIES}
    assert kinds == {'structured_light': SensorModel, 'active_stereo': ActiveStereo,
                     'tof': TofFamily}
    with pytest.raises(ValueError, match='unknown sensor family'):
        draw_sensor(rng, 'sonar')


def test_occlusion_band_follows_the_side_of_the_second_view():
    depth = bar_scene()
    right, left = (occlusion_band(depth, K, 60.0, side) for side in ('right', 'left'))
    assert right[120, 140:150].all() and not right[120, 170:180].any()
    assert left[120, 170:180].all() and not left[120, 140:150].any()
