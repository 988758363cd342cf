# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Depth renderer against an independent reference: sphere tracing of the capsule SDF."""

import numpy as np
import pytest

from training.render.depth import render_depth

K = np.array([[200.0, 0.0, 47.5], [0.0, 210.0, 39.5], [0.0, 0.0, 1.0]])
H, W = 80, 96


def capsule_sdf(points, a, b, r):
    ab = b - a
    t = np.clip(((points - a) @ ab) / max(ab @ ab, 1e-12), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[..., None] * ab), axis=-1) - r


def sphere_traced_depth(capsules):
    v, u = np.mgrid[:H, :W].astype(np.float64)
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1)
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    t = np.zeros((H, W))
    for _ in range(400):
        points = rays * t[..., None]
        sdf = np.min([capsule_sdf(points, a, b, r) for a, b, r in capsules], axis=0)
        t += np.where(sdf > 1e-4, sdf, 0.0)
    points = rays * t[..., None]
    sdf = np.min([capsule_sdf(points, a, b, r) for a, b, r in capsules], axis=0)
    return np.where(sdf < 1e-2, points[..., 2], 0.0)


@pytest.mark.parametrize('scene', [
    [((0.0, 0.0, 500.0), (0.0, 0.0, 500.0), 60.0)],                        # sphere
    [((-60.0, -20.0, 450.0), (70.0, 30.0, 560.0), 25.0)],                   # tilted capsule
    [((0.0, -80.0, 400.0), (0.0, 60.0, 700.0), 20.0),                       # two, occluding
     ((-50.0, 0.0, 520.0), (60.0, 10.0, 500.0), 30.0)],
])
def test_matches_sphere_tracing(scene):
    ends = np.array([[[a, b] for a, b, _ in scene]])
    radii = np.array([[r for _, _, r in scene]])
    ours = render_depth(ends, radii, K, H, W)[0]
    reference = sphere_traced_depth([(np.array(a), np.array(b), r) for a, b, r in scene])
    both = (ours > 0) & (reference > 0)
    assert np.abs(ours[both] - reference[both]).max() < 0.5
    assert ((ours > 0) != (reference > 0)).sum() <= 0.01 * both.sum() + 4


def test_batch_and_per_frame_intrinsics():
    ends = np.array([[[[0.0, 0.0, 500.0], [0.0, 0.0, 500.0]]]] * 2)
    radii = np.full((2, 1), 20.0)
    zoomed = K.copy()
    zoomed[0, 0] *= 2.0
    zoomed[1, 1] *= 2.0
    depth = render_depth(ends, radii, np.stack([K, zoomed]), H, W)
    assert depth.shape == (2, H, W) and depth.dtype == np.float32
    assert (depth[1] > 0).sum() > 3.5 * (depth[0] > 0).sum()
    assert depth[0][depth[0] > 0].min() == pytest.approx(480.0, abs=0.5)
    behind = render_depth(-ends[:1], radii[:1], K, H, W)
    assert not behind.any()
