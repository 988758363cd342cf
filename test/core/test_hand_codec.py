# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand codec: crop geometry, normalisation and the encode/decode round trip."""

from conftest import blob_frame, K_VGA
import numpy as np
import pytest

from fm_pose_ros.core.camera import backproject, check_intrinsics, project
from fm_pose_ros.core.hand_codec import crop_hand, HandCodec, HandCropSettings


def random_joints(rng, centre, spread=100.0):
    return centre + rng.uniform(-spread, spread, size=(14, 3))


def test_project_backproject_round_trip():
    rng = np.random.default_rng(0)
    points = rng.uniform([-200, -200, 300], [200, 200, 1500], size=(50, 3))
    uv = project(points, K_VGA)
    back = backproject(uv[:, 0], uv[:, 1], points[:, 2], K_VGA)
    np.testing.assert_allclose(back, points, atol=1e-9)


def test_encode_decode_round_trip_of_joints():
    depth, K, centre = blob_frame()
    rng = np.random.default_rng(1)
    joints = random_joints(rng, centre)
    codec = HandCodec()
    sample = codec.encode(depth, K, centre, joints_mm=joints)
    assert sample['target'].shape == (14, 3)
    np.testing.assert_allclose(codec.decode(sample['target'].ravel(), sample['transform']),
                               joints, atol=1e-3)


def test_crop_values_and_geometry():
    depth, K, centre = blob_frame()
    settings = HandCropSettings()
    crop, transform = crop_hand(depth, K, centre, settings)
    assert crop.shape == (128, 128) and crop.dtype == np.float32
    assert crop.min() >= -1.0 and crop.max() <= 1.0
    # the wall at 2.5 m is behind the cube: background = +1
    assert crop[0, 0] == 1.0
    # the cube centre projects to the crop centre
    np.testing.assert_allclose(transform.to_crop_pixels(centre[None])[0], [63.5, 63.5],
                               atol=1e-6)
    # the sphere's front surface (45 mm in front of its centre) is at -45 / 150
    assert crop[64, 64] == pytest.approx(-45.0 / 150.0, abs=0.02)


def test_missing_depth_is_plus_one():
    depth, K, centre = blob_frame()
    u, v = project(centre[None], K)[0].round().astype(int)
    depth[v - 10:v + 11, u - 10:u + 11] = 0.0
    crop, _ = crop_hand(depth, K, centre)
    assert crop[63, 63] == 1.0 and crop[64, 64] == 1.0


def test_bad_intrinsics_raise():
    with pytest.raises(ValueError, match='intrinsics unusable'):
        check_intrinsics(np.zeros((3, 3)))
    with pytest.raises(ValueError, match='intrinsics unusable'):
        HandCodec().encode(np.ones((10, 10), np.float32), np.full((3, 3), np.nan),
                           np.array([0.0, 0.0, 500.0]))


@pytest.mark.parametrize('bad', [dict(cube_mm=(300.0, 0.0, 300.0)), dict(crop_size=4),
                                 dict(depth_min_mm=900.0, depth_max_mm=800.0)])
def test_bad_settings_raise(bad):
    with pytest.raises(ValueError):
        HandCropSettings(**bad).validate()


NAN, INF = float('nan'), float('inf')


@pytest.mark.parametrize('field, value', [
    ('cube_mm', (NAN, 300.0, 300.0)), ('cube_mm', (300.0, 300.0, INF)), ('cube_mm', (1e9,) * 3),
    ('cube_mm', 300.0), ('depth_max_mm', INF), ('depth_max_mm', NAN), ('depth_min_mm', NAN),
    ('depth_min_mm', -INF), ('com_iterations', 1e9), ('com_iterations', 10**9),
    ('min_hand_pixels', 60.0), ('robust_rank', NAN), ('crop_size', 10**400)])
def test_non_finite_or_absurd_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field) as info:
        HandCropSettings(**{field: value}).validate()
    assert '\n' not in str(info.value)


def test_numpy_numbers_are_settings_too():
    settings = HandCropSettings(cube_mm=tuple(np.full(3, 250.0)), crop_size=np.int64(96),
                                depth_max_mm=np.float32(900.0))
    assert settings.validate() is settings
