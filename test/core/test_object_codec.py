# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object codec: crop boxes, the corner encode/decode round trip, settings."""

from conftest import random_pose
import numpy as np
import pytest

from fm_pose_ros.core.object_codec import (
    box_around, BoxCrop, crop_image, decode_corners, encode_corners, normalise_rgb,
    ObjectCropSettings, project_points)

K = np.array([[572.4, 0.0, 325.3], [0.0, 573.6, 242.0], [0.0, 0.0, 1.0]])
CORNERS = np.array([[x, y, z] for z in (-0.03, 0.03) for y in (-0.04, 0.04)
                    for x in (-0.05, 0.05)])


def test_encode_decode_round_trip():
    rng = np.random.default_rng(0)
    settings = ObjectCropSettings()
    for _ in range(20):
        uv = project_points(CORNERS, *random_pose(rng), K)
        box = box_around(uv, settings)
        target = encode_corners(uv, box)
        assert target.shape == (16,) and np.abs(target).max() <= 1.0 / settings.margin + 1e-3
        np.testing.assert_allclose(decode_corners(target, box), uv, atol=1e-3)


@pytest.mark.parametrize('angle_deg', [0.0, 20.0])
def test_crop_camera_equals_cropping(angle_deg):
    box = BoxCrop(centre=np.array([300.0, 200.0]), side=120.0, crop_size=64, angle_deg=angle_deg)
    points = np.random.default_rng(1).uniform([-0.1, -0.1, 0.5], [0.1, 0.1, 0.8], (10, 3))
    via_crop = box.to_crop(project_points(points, np.eye(3), np.zeros(3), K))
    via_camera = project_points(points, np.eye(3), np.zeros(3), box.camera(K))
    np.testing.assert_allclose(via_crop, via_camera, atol=1e-9)
    np.testing.assert_allclose(box.to_image(via_crop), project_points(
        points, np.eye(3), np.zeros(3), K), atol=1e-9)


def test_crop_image_samples_the_box():
    image = np.zeros((480, 640, 3), np.uint8)
    image[190:211, 290:311] = 255  # a bright square centred at (300, 200)
    box = BoxCrop(centre=np.array([300.0, 200.0]), side=42.0, crop_size=64)
    crop = crop_image(image, box)
    assert crop.shape == (64, 64, 3)
    assert crop[32, 32].min() == 255 and crop[2, 2].max() == 0
    x = normalise_rgb(crop)
    assert x.shape == (3, 64, 64) and x.min() == -1.0 and x.max() == 1.0


def test_a_turned_crop_moves_image_and_corners_alike():
    """A dot at a full-image pixel lands where ``to_crop`` says, at any crop angle."""
    image = np.zeros((480, 640, 3), np.uint8)
    image[209:212, 329:332] = 255  # a dot around (330, 210)
    for angle in (0.0, 15.0, -30.0):
        box = BoxCrop(centre=np.array([300.0, 200.0]), side=96.0, crop_size=96, angle_deg=angle)
        crop = crop_image(image, box)
        weight = crop[..., 0].astype(np.float64)
        rows, cols = np.indices(weight.shape)
        centroid = np.array([(cols * weight).sum(), (rows * weight).sum()]) / weight.sum()
        expected = box.to_crop([[330.0, 210.0]])[0]
        np.testing.assert_allclose(centroid, expected, atol=0.2)
        np.testing.assert_allclose(decode_corners(encode_corners(CORNERS[:, :2] * 1e3 + 300,
                                                                 box), box),
                                   CORNERS[:, :2] * 1e3 + 300, atol=1e-6)


def test_settings_validation():
    with pytest.raises(ValueError, match='crop_size'):
        ObjectCropSettings(crop_size=8).validate()
    with pytest.raises(ValueError, match='margin'):
        ObjectCropSettings(margin=0.5).validate()
    with pytest.raises(ValueError, match='mask_margin'):
        ObjectCropSettings(mask_margin=5.0).validate()


NAN, INF = float('nan'), float('inf')


@pytest.mark.parametrize('field, value', [
    ('min_side_px', NAN), ('min_side_px', INF), ('min_side_px', 0.0), ('margin', NAN),
    ('mask_margin', INF), ('pnp_threshold', NAN), ('crop_size', 64.5), ('crop_size', True),
    ('crop_size', 10**400)])
def test_non_finite_or_absurd_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field) as info:
        ObjectCropSettings(**{field: value}).validate()
    assert '\n' not in str(info.value)
