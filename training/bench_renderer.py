# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark the capsule depth renderer: maps/s on one core at 128x128 (crops) and VGA.

``python -m training.bench_renderer [--count 512] [--out docs/benchmarks_renderer.md]``

Scenes: random hands from ``sample_poses`` (23 capsules each). 128x128: the training path
(``synthetic_crops``' crop camera around the palm). VGA: full frames, K of a VGA sensor.
"""

import argparse
import sys
import time

import numba
import numpy as np

from fm_pose_ros.checkpoint import atomic_write_text
from fm_pose_ros.hand_codec import crop_camera
from training.datasets import K_VGA
from training.hand_model import capsules, joints, sample_poses
from training.render_depth import render_depth


def maps_per_second(ends, radii, K, height, width, repeats=3):
    """Best-of-``repeats`` rendering rate in maps/s."""
    render_depth(ends[:2], radii[:2], K[:2] if K.ndim == 3 else K, height, width)  # compile
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        render_depth(ends, radii, K, height, width)
        best = min(best, time.perf_counter() - start)
    return len(ends) / best


def main(argv=None):
    """Print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=512)
    parser.add_argument('--out', default='docs/benchmarks_renderer.md')
    args = parser.parse_args(argv)
    numba.set_num_threads(1)
    pose = sample_poses(np.random.default_rng(0), args.count)
    ends, radii = capsules(pose)
    crop_K = np.stack([crop_camera(c, np.full(3, 300.0), K_VGA, 128)
                       for c in joints(pose)[:, 13]])
    rows = [('128x128 (crop camera)', maps_per_second(ends, radii, crop_K, 128, 128)),
            ('640x480 (VGA)', maps_per_second(ends, radii, K_VGA, 480, 640))]
    command = 'python -m training.bench_renderer ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    lines = [f'Command: `{command.strip()}` ({args.count} random hands, 23 capsules each, '
             'numba with 1 thread)', '', '| resolution | maps/s on one core |', '|---|---|']
    lines += [f'| {name} | {rate:.0f} |' for name, rate in rows]
    text = '\n'.join(lines) + '\n'
    print(text)
    atomic_write_text(args.out, text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
