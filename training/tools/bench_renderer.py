# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark the capsule depth renderer against pybullet TinyRenderer and moderngl, same run.

``LP_NUM_THREADS=1 python -m training.tools.bench_renderer [--count 512] [--reference-count 128]``

Scene: random hands from ``sample_poses`` sharing one hand shape (pybullet's capsule sizes are
fixed at creation), 23 capsules each. 128x128: the training path (a crop camera around the
palm); VGA: full frames with the K of a VGA sensor. Depth maps in mm are read back to numpy by
all three. One core each: numba with 1 thread, llvmpipe with LP_NUM_THREADS=1, TinyRenderer
single-threaded. Also prints how well the references agree with our exact ray caster.
"""

import argparse
import os
import sys
import time

import numba
import numpy as np

from fm_pose_ros.core.hand_codec import crop_camera
from training.hand.datasets import K_VGA
from training.hand.model import capsules, joints, sample_poses
from training.render.depth import render_depth
from training.render.reference import BulletCapsules, GLCapsules
from training.tools import publish_table


def scene(count, seed=0):
    """Capsule ends ``(N, 23, 2, 3)``, radii ``(N, 23)`` mm and per-hand 128x128 crop K."""
    pose = sample_poses(np.random.default_rng(seed), count)
    pose.shape[:] = pose.shape[0]
    ends, radii = capsules(pose)
    crop_K = np.stack([crop_camera(c, np.full(3, 300.0), K_VGA, 128)
                       for c in joints(pose)[:, 13]])
    return ends, radii, crop_K


def rate(render, count):
    """Maps/s of ``render(i)`` over ``count`` hands (one warm-up call first)."""
    render(0)
    start = time.perf_counter()
    for i in range(count):
        render(i)
    return count / (time.perf_counter() - start)


def agreement(ours, other):
    """Foreground IoU and median |z difference| (mm) on the common foreground."""
    a, b = ours > 0, other > 0
    both = a & b
    return (both.sum() / max((a | b).sum(), 1),
            float(np.median(np.abs(ours[both] - other[both]))) if both.any() else np.nan)


def measure(size, ends, radii, K, reference_count):
    """One row: maps/s of the three renderers and the references' agreement with ours."""
    width, height = size
    Ks = np.broadcast_to(K, (len(ends), 3, 3)) if K.ndim == 2 else K
    render_depth(ends[:2], radii[:2], Ks[:2], height, width)  # compile
    start = time.perf_counter()
    ours = render_depth(ends, radii, Ks, height, width)
    ours_rate = len(ends) / (time.perf_counter() - start)
    gl = GLCapsules(width, height)
    bullet = BulletCapsules(np.linalg.norm(ends[0, :, 1] - ends[0, :, 0], axis=-1), radii[0],
                            width, height)
    n = min(reference_count, len(ends))
    gl_rate = rate(lambda i: gl.render_batch(ends[i * 32:i * 32 + 32], radii[i * 32:i * 32 + 32],
                                             Ks[i * 32:i * 32 + 32]), len(ends) // 32) * 32
    bullet_rate = rate(lambda i: bullet.render(ends[i], Ks[i]), n)
    checks = [agreement(ours[i], r.render(*args)) for i in range(4) for r, args in (
        (gl, (ends[i], radii[i], Ks[i])), (bullet, (ends[i], Ks[i])))]
    gl_check, bullet_check = np.mean(checks[0::2], axis=0), np.mean(checks[1::2], axis=0)
    return ours_rate, bullet_rate, gl_rate, bullet_check, gl_check


def main(argv=None):
    """Print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=512, help='hands for our renderer')
    parser.add_argument('--reference-count', type=int, default=128,
                        help='hands for pybullet (one call per hand; moderngl renders all '
                        '--count hands in batches of 32)')
    parser.add_argument('--out', default='docs/results/benchmarks_renderer.md')
    args = parser.parse_args(argv)
    numba.set_num_threads(1)
    ends, radii, crop_K = scene(args.count)
    rows = [('128x128 (crop camera)', measure((128, 128), ends, radii, crop_K,
                                              args.reference_count)),
            ('640x480 (VGA)', measure((640, 480), ends, radii, K_VGA, args.reference_count))]
    command = 'LP_NUM_THREADS=1 python -m training.tools.bench_renderer ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    lines = [f'Command: `{command.strip()}` ({args.count} random hands of one shape, 23 '
             f'capsules each; LP_NUM_THREADS={os.environ.get("LP_NUM_THREADS", "unset")})', '',
             '| resolution | ours: numba ray casting (maps/s) | pybullet TinyRenderer | '
             'moderngl EGL llvmpipe | ours / pybullet | ours / moderngl | pybullet vs ours: '
             'IoU, median dz | moderngl vs ours: IoU, median dz |',
             '|---|---|---|---|---|---|---|---|']
    for name, (ours, bullet, gl, b_check, g_check) in rows:
        lines.append(f'| {name} | {ours:.0f} | {bullet:.0f} | {gl:.0f} | {ours / bullet:.1f}x | '
                     f'{ours / gl:.1f}x | {b_check[0]:.3f}, {b_check[1]:.2f} mm | '
                     f'{g_check[0]:.3f}, {g_check[1]:.2f} mm |')
    return publish_table(lines, args.out)


if __name__ == '__main__':
    sys.exit(main())
