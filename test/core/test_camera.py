# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Pinhole geometry: projection round trip; intrinsics checked for their image size."""

import warnings

from conftest import K_VGA
import numpy as np
import pytest

from fm_pose_ros.core.camera import backproject, check_intrinsics, IntrinsicsError, project

VGA = (480, 640)


def with_entry(row, col, value):
    K = K_VGA.copy()
    K[row, col] = value
    return K


def test_project_and_backproject_round_trip():
    points = np.array([[10.0, -20.0, 500.0], [-100.0, 40.0, 900.0]])
    uv = project(points, K_VGA)
    np.testing.assert_allclose(backproject(uv[:, 0], uv[:, 1], points[:, 2], K_VGA), points)


@pytest.mark.parametrize('K', [
    K_VGA, with_entry(0, 0, 32.0), with_entry(1, 1, 32000.0), with_entry(0, 2, -640.0),
    with_entry(1, 2, 960.0), with_entry(0, 1, 0.5)])
def test_plausible_intrinsics_pass(K):
    np.testing.assert_array_equal(check_intrinsics(K, VGA), K)


@pytest.mark.parametrize('K, words', [
    (with_entry(0, 0, 1e300), 'fx=1e+300'), (with_entry(0, 0, 1e-300), 'fx=1e-300'),
    (with_entry(1, 1, 20.0), 'fy=20'), (with_entry(0, 2, 1e9), 'principal point'),
    (with_entry(0, 2, -1e9), 'principal point'), (with_entry(1, 2, 1000.0), 'principal point'),
])
def test_intrinsics_implausible_for_the_image_size_are_refused(K, words):
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(IntrinsicsError, match='implausible for a 640x480 image') as info:
            check_intrinsics(K, VGA)
    assert words in str(info.value) and '\n' not in str(info.value)
    check_intrinsics(K)  # without a size only the size-free checks apply


@pytest.mark.parametrize('K', [
    with_entry(2, 2, 0.0), with_entry(2, 2, 2.0), with_entry(2, 0, 1.0), with_entry(0, 0, np.nan),
    with_entry(1, 2, np.inf), with_entry(1, 1, -475.0), np.zeros((3, 3))])
def test_intrinsics_that_are_no_pinhole_camera_are_refused_at_any_size(K):
    for shape in (None, VGA):
        with pytest.raises(IntrinsicsError, match='intrinsics unusable'):
            check_intrinsics(K, shape)
