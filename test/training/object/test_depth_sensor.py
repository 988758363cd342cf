# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Aligned depth of the real-like object frames: the scene, the sensor's effects, and ICP on
a rendered duck frame recovering a known pose offset."""

import cv2
import numpy as np
import pytest

from fm_pose_ros.core.depth_refine import DepthRefiner, rotation_angle_deg
from training.object.datasets import K_LINEMOD
from training.object.depth_sensor import apply_sensor, DepthSensor, scene_depth

SHAPE = (480, 640)


def flat_object(z=0.6):
    """A 100 x 100 px square at depth ``z`` in the middle of the frame (0 elsewhere)."""
    depth = np.zeros(SHAPE, np.float32)
    depth[190:290, 270:370] = z
    return depth


def test_scene_puts_a_wall_behind_and_occluders_in_front():
    occluders = np.zeros(SHAPE, np.int32)
    occluders[200:220, 280:300] = 1
    depth = scene_depth(np.random.default_rng(0), flat_object(), occluders, K_LINEMOD)
    assert np.all(depth > 0)
    assert np.all(depth[occluders == 1] < 0.6)
    on_object = (flat_object() > 0) & (occluders == 0)
    np.testing.assert_array_equal(depth[on_object], np.float32(0.6))
    assert np.median(depth[flat_object() == 0]) > 0.6


def test_noise_grows_with_z_squared_in_millimetre_steps():
    sensor = DepthSensor(noise_per_m2=(0.004, 0.004), blobs=(0, 0), shift_px=0.0,
                         edge_drop=(0.0, 0.0))
    spread = {}
    for z in (0.5, 2.0):
        measured = apply_sensor(np.random.default_rng(1), np.full(SHAPE, z, np.float32), sensor)
        assert measured.dtype == np.uint16
        spread[z] = np.std(measured.astype(np.float64) - z * 1000.0)
    assert spread[0.5] == pytest.approx(1.0, rel=0.35)  # 0.004 * 0.25 m = 1 mm
    assert spread[2.0] == pytest.approx(16.0, rel=0.1)  # 16x at 4x the distance


def test_edges_lose_pixels_blobs_drop_out_and_depth_is_shifted():
    depth = np.where(flat_object() > 0, 0.6, 1.2).astype(np.float32)
    sensor = DepthSensor(edge_drop=(1.0, 1.0), edge_width_px=(2, 2), blobs=(0, 0),
                         shift_px=0.0)
    measured = apply_sensor(np.random.default_rng(2), depth, sensor)
    assert np.all(measured[189:192, 270:370] == 0)  # the object's top edge
    assert np.all(measured[230:250, 300:340] > 0)   # its inside
    blobs = apply_sensor(np.random.default_rng(3), depth, DepthSensor(blobs=(3, 3)))
    assert (blobs == 0).sum() > (measured == 0).sum() * 0.5
    shifted = apply_sensor(np.random.default_rng(4), depth,
                           DepthSensor(shift_px=2.0, edge_drop=(0.0, 0.0), blobs=(0, 0)))
    columns = np.flatnonzero(np.abs(shifted[240].astype(np.float64) - 600.0) < 20.0)
    assert abs(columns.min() - 270) <= 2 and abs(columns.max() - 369) <= 2


@pytest.fixture(scope='module')
def duck():
    from training.object.meshes import load_mesh
    from training.render.rgb import MeshRenderer
    mesh = load_mesh('pybullet_data/duck.obj', 'm', 0.05)
    try:
        return mesh, MeshRenderer(mesh)
    except Exception as exc:  # moderngl present but no EGL
        pytest.skip(f'no headless OpenGL: {exc}')


def test_real_like_frames_keep_their_colour_and_gain_aligned_depth(duck):
    from training.object.datasets import real_frames
    mesh, renderer = duck
    photos = [np.full((120, 160, 3), 128, np.uint8)]
    plain = list(real_frames(renderer, mesh, np.random.default_rng(5), 2, photos, '+y',
                             (0.45, 0.85)))
    with_depth = list(real_frames(renderer, mesh, np.random.default_rng(5), 2, photos, '+y',
                                  (0.45, 0.85), depth_rng=np.random.default_rng(9)))
    for a, b in zip(plain, with_depth):
        np.testing.assert_array_equal(a['rgb'], b['rgb'])
        assert 'depth_mm' not in a and b['depth_mm'].dtype == np.uint16
        on_object = b['mask'] & (b['depth_mm'] > 0)
        assert on_object.sum() > 0.5 * b['mask'].sum()
        centre = (mesh.centre() @ b['R'].T + b['t'])[2] * 1000.0
        assert abs(np.median(b['depth_mm'][on_object]) - centre) < 60.0


def test_icp_recovers_a_known_offset_on_a_rendered_duck(duck):
    mesh, renderer = duck
    R = cv2.Rodrigues(np.array([2.0, 0.3, -0.2]))[0]
    t = np.array([0.02, 0.01, 0.6]) - R @ mesh.centre()
    view = renderer.render(R[None], t[None], K_LINEMOD, SHAPE[1], SHAPE[0], depth=True)
    rng = np.random.default_rng(0)
    depth_mm = apply_sensor(rng, scene_depth(rng, view['depth'][0], np.zeros(SHAPE, np.int32),
                                             K_LINEMOD), DepthSensor(shift_px=0.0))
    turn = cv2.Rodrigues(np.radians(4.0) * np.array([[0.0], [0.6], [0.8]]))[0]
    R0, t0 = turn @ R, t * (1.0 + 0.03 / t[2])  # 3 cm deeper, turned 4 deg: a PnP-like error
    refiner = DepthRefiner(mesh.sample_points(), mesh.diameter())
    fit = refiner.refine(R0, t0, depth_mm * np.float32(1e-3), K_LINEMOD)
    assert fit.accepted, fit

    def centre_error(R_, t_):
        return np.linalg.norm((R_ - R) @ mesh.centre() + t_ - t)
    assert centre_error(R0, t0) > 0.025
    assert centre_error(fit.R, fit.t) < 0.004
    assert rotation_angle_deg(fit.R @ R.T) < 2.5
