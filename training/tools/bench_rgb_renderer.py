# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark the RGB mesh renderer against pybullet's TinyRenderer, same mesh, same run.

``LP_NUM_THREADS=1 python -m training.tools.bench_rgb_renderer [--count 256]``

Scene: the demo object (pybullet's textured duck, 4,212 triangles) at random poses from
``training.object.datasets.sample_poses``, rendered into crop cameras (64x64, 128x128, the training
path) and full VGA frames; RGB + mask (+ depth for ours) read back to numpy. Both run on one
core: llvmpipe with LP_NUM_THREADS=1, TinyRenderer is single-threaded. Also prints how well
the two agree (mask IoU) so the comparison is of equal work.
"""

import argparse
import os
import sys
import time

import numpy as np

from fm_pose_ros.core.object_codec import box_around, ObjectCropSettings
from training.object.datasets import corner_pixels, K_LINEMOD, sample_poses
from training.object.meshes import load_mesh, resolve_mesh_path
from training.render.rgb import MeshRenderer, projection_matrix
from training.tools import publish_table

SIZES = ((64, 64), (128, 128), (640, 480))


class TinyRenderer:
    """pybullet DIRECT client with the mesh as one visual body."""

    def __init__(self, path, scale):
        import pybullet
        self.p = pybullet
        self.client = pybullet.connect(pybullet.DIRECT)
        shape = pybullet.createVisualShape(pybullet.GEOM_MESH, fileName=path,
                                           meshScale=[scale] * 3, physicsClientId=self.client)
        self.body = pybullet.createMultiBody(baseVisualShapeIndex=shape,
                                             physicsClientId=self.client)

    def render(self, R, t, K, width, height):
        """RGB ``(H, W, 3)`` uint8 and mask of one view (OpenCV camera -> OpenGL)."""
        from scipy.spatial.transform import Rotation
        flip = np.diag([1.0, -1.0, -1.0])  # optical frame -> OpenGL camera (y up, -z ahead)
        view = np.eye(4)
        view[:3, :3], view[:3, 3] = flip, 0.0
        self.p.resetBasePositionAndOrientation(
            self.body, t.tolist(), Rotation.from_matrix(R).as_quat().tolist(),
            physicsClientId=self.client)
        projection = projection_matrix(K, width, height) @ np.diag([1.0, -1.0, -1.0, 1.0])
        _, _, rgba, _, segmentation = self.p.getCameraImage(
            width, height, viewMatrix=view.T.ravel().tolist(),
            projectionMatrix=projection.T.ravel().tolist(),
            renderer=self.p.ER_TINY_RENDERER, physicsClientId=self.client)
        rgba = np.reshape(rgba, (height, width, 4)).astype(np.uint8)
        return rgba[..., :3], np.reshape(segmentation, (height, width)) >= 0


def views(mesh, count, width, height, seed=0):
    """Poses and per-view K: crop cameras for square sizes, LINEMOD K for VGA."""
    R, t = sample_poses(np.random.default_rng(seed), count, mesh, '+y')
    if (width, height) == (640, 480):
        return R, t, np.broadcast_to(K_LINEMOD, (count, 3, 3))
    settings = ObjectCropSettings(crop_size=width)
    uv = corner_pixels(mesh, R, t, K_LINEMOD)
    return R, t, np.stack([box_around(c, settings).camera(K_LINEMOD) for c in uv])


def rates(mesh, path, scale, count, tiny_count):
    """Rows ``(size, ours maps/s, pybullet maps/s, mask IoU)``."""
    ours, tiny = MeshRenderer(mesh), TinyRenderer(path, scale)
    rows = []
    for width, height in SIZES:
        R, t, K = views(mesh, count, width, height)
        ours.render(R[:2], t[:2], K[:2], width, height)  # warm up (shaders, framebuffer)
        start = time.perf_counter()
        for begin in range(0, count, 32):
            out = ours.render(R[begin:begin + 32], t[begin:begin + 32], K[begin:begin + 32],
                              width, height)
        ours_rate = count / (time.perf_counter() - start)
        n = min(tiny_count, count)
        start = time.perf_counter()
        masks = [tiny.render(R[i], t[i], K[i], width, height)[1] for i in range(n)]
        tiny_rate = n / (time.perf_counter() - start)
        mine = ours.render(R[:n], t[:n], K[:n], width, height)['mask']
        iou = np.mean([(a & b).sum() / max((a | b).sum(), 1) for a, b in zip(mine, masks)])
        rows.append((f'{width}x{height}', ours_rate, tiny_rate, iou))
        del out
    return rows


def main(argv=None):
    """Print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=256)
    parser.add_argument('--tiny-count', type=int, default=64, help='views for pybullet')
    parser.add_argument('--out', default='docs/results/benchmarks_rgb_renderer.md')
    args = parser.parse_args(argv)
    path, scale = resolve_mesh_path('pybullet_data/duck.obj'), 0.05
    mesh = load_mesh(path, scale=scale)
    rows = rates(mesh, path, scale, args.count, args.tiny_count)
    command = 'LP_NUM_THREADS=1 python -m training.tools.bench_rgb_renderer ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    lines = [f'Command: `{command.strip()}` (pybullet duck, {len(mesh.faces)} triangles, '
             f'random poses; LP_NUM_THREADS={os.environ.get("LP_NUM_THREADS", "unset")})', '',
             '| size | ours: moderngl/EGL llvmpipe, batched (maps/s) | pybullet TinyRenderer '
             '(maps/s) | ours / pybullet | mask IoU ours vs pybullet |', '|---|---|---|---|---|']
    lines += [f'| {size} | {a:.0f} | {b:.0f} | {a / b:.1f}x | {iou:.3f} |'
              for size, a, b, iou in rows]
    return publish_table(lines, args.out)


if __name__ == '__main__':
    sys.exit(main())
