# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Depth camera models: intrinsics from the field of view, randomisation inside its ranges."""

import numpy as np
import pytest

from training.hand.cameras import CAMERA_NAMES, CameraRandomisation, CAMERAS, in_range
from training.hand.sensor_families import FAMILIES


def test_nominal_intrinsics_reproduce_the_field_of_view():
    for camera in CAMERAS:
        K = camera.intrinsics()
        height, width = camera.size
        hfov = 2 * np.degrees(np.arctan((width / 2) / K[0, 0]))
        assert hfov == pytest.approx(camera.hfov_deg)
        assert K[0, 0] == K[1, 1] and K[0, 2] == (width - 1) / 2 and K[1, 2] == (height - 1) / 2
        assert camera.family in FAMILIES
        assert 0 < camera.range_mm[0] < 1000 < camera.range_mm[1]


def test_randomised_cameras_stay_in_their_ranges_and_cover_every_model():
    spread, rng = CameraRandomisation(), np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        camera, K = spread.draw(rng)
        seen.add(camera.name)
        nominal = camera.intrinsics()
        height, width = camera.size
        assert abs(K[0, 0] / nominal[0, 0] - 1) <= spread.focal
        assert abs(K[1, 1] / K[0, 0] - 1) <= spread.aspect
        assert abs(K[0, 2] - nominal[0, 2]) <= spread.centre * width
        assert abs(K[1, 2] - nominal[1, 2]) <= spread.centre * height
    assert seen == set(CAMERA_NAMES)
    only, _ = spread.draw(rng, ('realsense_sr300',))
    assert only.name == 'realsense_sr300'


def test_unknown_cameras_are_refused_and_the_range_cuts_depth():
    with pytest.raises(ValueError, match='unknown depth camera'):
        CameraRandomisation().draw(np.random.default_rng(0), ('kinect_v9',))
    sr300 = CAMERAS[CAMERA_NAMES.index('realsense_sr300')]
    depth = np.array([[150.0, 300.0, 1400.0, 1600.0]], np.float32)
    np.testing.assert_array_equal(in_range(depth, sr300), [[0.0, 300.0, 1400.0, 0.0]])
