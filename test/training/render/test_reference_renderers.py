# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The renderer benchmark's references draw the same hands as our ray caster."""

import numpy as np
import pytest

from training.render.depth import render_depth
from training.tools.bench_renderer import agreement, scene


@pytest.fixture(scope='module')
def hands():
    return scene(2, seed=3)


def test_moderngl_capsules_match_the_ray_caster(hands):
    pytest.importorskip('moderngl')
    from training.render.reference import GLCapsules
    ends, radii, K = hands
    ours = render_depth(ends, radii, K, 128, 128)
    try:
        gl = GLCapsules(128, 128)
    except Exception as exc:  # no EGL here
        pytest.skip(f'no headless OpenGL: {exc}')
    for i in range(2):
        iou, dz = agreement(ours[i], gl.render(ends[i], radii[i], K[i]))
        assert iou > 0.98 and dz < 0.5


def test_pybullet_capsules_match_the_ray_caster(hands):
    pytest.importorskip('pybullet')
    from training.render.reference import BulletCapsules
    ends, radii, K = hands
    ours = render_depth(ends, radii, K, 128, 128)
    lengths = np.linalg.norm(ends[0, :, 1] - ends[0, :, 0], axis=-1)
    bullet = BulletCapsules(lengths, radii[0], 128, 128)
    for i in range(2):
        iou, dz = agreement(ours[i], bullet.render(ends[i], K[i]))
        assert iou > 0.9 and dz < 2.0   # TinyRenderer's capsules are coarsely tessellated
