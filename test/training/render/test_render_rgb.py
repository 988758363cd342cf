# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""RGB renderer against analytic references: a sphere's mask/depth, texture orientation."""

import numpy as np
import pytest

from training.object.meshes import ObjectMesh

K = np.array([[500.0, 0.0, 63.5], [0.0, 500.0, 47.5], [0.0, 0.0, 1.0]])


@pytest.fixture(scope='module')
def gl():
    moderngl = pytest.importorskip('moderngl')
    try:
        return moderngl.create_standalone_context(backend='egl')
    except Exception as exc:  # no EGL on this machine
        pytest.skip(f'no headless OpenGL: {exc}')


def sphere_mesh(radius):
    import trimesh
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=radius)
    count = len(sphere.vertices)
    return ObjectMesh(name='sphere', vertices=np.asarray(sphere.vertices, np.float32),
                      faces=np.asarray(sphere.faces, np.int32),
                      normals=np.asarray(sphere.vertex_normals, np.float32),
                      colors=np.ones((count, 3), np.float32), uv=np.zeros((count, 2), np.float32),
                      texture=np.full((1, 1, 3), 255, np.uint8))


def analytic_sphere(centre, radius, K, width, height):
    """Exact ray casting of a sphere through pixel centres: (mask, depth z in metres)."""
    u, v = np.meshgrid(np.arange(width), np.arange(height))
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u, float)],
                    -1)
    a = (rays ** 2).sum(-1)
    b = -2 * rays @ centre
    c = centre @ centre - radius ** 2
    disc = b ** 2 - 4 * a * c
    hit = disc > 0
    s = (-b - np.sqrt(np.where(hit, disc, 0))) / (2 * a)   # z of the hit (rays have z = 1)
    return hit, np.where(hit, s, 0.0)


@pytest.mark.parametrize('centre', [(0.0, 0.0, 0.5), (0.03, -0.02, 0.6)])
def test_sphere_mask_and_depth_match_ray_casting(gl, centre):
    from training.render.rgb import MeshRenderer
    radius = 0.04
    renderer = MeshRenderer(sphere_mesh(radius), context=gl)
    centre = np.array(centre)
    out = renderer.render(np.eye(3)[None], centre[None], K, 128, 96, depth=True)
    mask, depth = analytic_sphere(centre, radius, K, 128, 96)
    got = out['mask'][0]
    iou = (got & mask).sum() / (got | mask).sum()
    assert iou > 0.97
    both = got & mask
    assert np.median(np.abs(out['depth'][0][both] - depth[both])) < 0.0005  # 0.5 mm
    assert out['rgb'].shape == (1, 96, 128, 3) and out['rgb'][0][~got].max() == 0


def test_texture_and_rows_are_not_flipped(gl):
    from training.render.rgb import Lighting, MeshRenderer
    # a square facing the camera, texture: top half red, bottom half blue
    vertices = np.array([[-0.05, -0.05, 0], [0.05, -0.05, 0], [0.05, 0.05, 0], [-0.05, 0.05, 0]],
                        np.float32)   # y down in the camera = top row first
    texture = np.zeros((16, 16, 3), np.uint8)
    texture[:8] = (255, 0, 0)
    texture[8:] = (0, 0, 255)
    mesh = ObjectMesh(name='quad', vertices=vertices, faces=np.array([[0, 1, 2], [0, 2, 3]]),
                      normals=np.tile([[0, 0, -1]], (4, 1)).astype(np.float32),
                      colors=np.ones((4, 3), np.float32),
                      uv=np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32),
                      texture=texture)
    light = Lighting(ambient=1.0, diffuse=0.0)
    renderer = MeshRenderer(mesh, context=gl, cull_back_faces=False)  # an open mesh
    out = renderer.render(np.eye(3)[None], np.array([[0, 0, 0.5]]), K, 128, 96, lights=[light])
    rgb = out['rgb'][0]
    assert rgb[30, 64, 0] > 230 and rgb[30, 64, 2] < 25   # upper part red
    assert rgb[65, 64, 2] > 230 and rgb[65, 64, 0] < 25   # lower part blue


def test_batch_views_are_independent(gl):
    from training.render.rgb import MeshRenderer
    renderer = MeshRenderer(sphere_mesh(0.03), context=gl)
    t = np.array([[0.0, 0.0, 0.4], [0.05, 0.0, 0.4], [0.0, 0.0, 0.8]])
    out = renderer.render(np.stack([np.eye(3)] * 3), t, K, 64, 48, columns=2)
    single = renderer.render(np.eye(3)[None], t[1:2], K, 64, 48)
    assert np.array_equal(out['mask'][1], single['mask'][0])
    assert out['mask'][0].sum() > 3 * out['mask'][2].sum()   # twice as far: ~1/4 the area
