# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""What a hand config's data costs before its first step: frames, copies, locator, crops.

``python -m training.tools.bench_hand_data --config training/configs/hand_transfer.yaml
[--frames 16] [--locator-steps 10]``

Measures, on a few frames of the config's own data, the CPU time per labelled training frame
(the frame, its ``data.sensor_copies`` and its ``data.robot_copies``, cropped as
``data.train_crops`` asks), per test or validation frame, per hand locator step, and of one
synthetic batch of 32 (``data.synthetic_ego`` / ``data.synthetic_grasp`` included), then
extrapolates to the config's frame counts and locator steps (``data.train_crops: locator``
makes the training frames twice). Crops are cut by the centre-of-mass localiser here: the
learned locator's forward pass per frame is not counted. Frames: CPU time rather than
wall-clock, since a busy machine stretches the wall-clock, and the frame work is
single-threaded (on 2 quiet cores it takes about its CPU time); the locator (2 threads):
wall-clock, so run it on quiet cores.
"""

import argparse
from dataclasses import replace
import sys
import time

import numpy as np
import torch

from fm_pose_ros.core.networks import HAND_LOCATOR
from fm_pose_ros.core.networks import Locator
from training.config import load_config
from training.hand.data import _make_source, prepare_pairs, training_pass
from training.hand.datasets import synthetic_poses
from training.hand.robot_view import stream_crops
from training.locator import hand_batches, train_locator


def cpu_ms(action):
    """CPU milliseconds of ``action()`` (this process, all threads)."""
    start = time.process_time()
    action()
    return (time.process_time() - start) * 1e3


def measure(cfg, frames, locator_steps):
    """Per-item CPU ms: train frame (with its copies), held-out frame, locator step, batch."""
    data = replace(cfg.data, num_real_train=frames, num_real_test=frames, num_real_val=frames)
    source, settings = _make_source(data), cfg.crop
    locator = Locator(HAND_LOCATOR)
    rng = np.random.default_rng(0)
    source.synthetic_crops(rng, synthetic_poses(rng, 2), settings, 10.0)   # numba's first call
    if cfg.data.train_crops == 'hand':
        train = cpu_ms(lambda: training_pass(source.train_records(), settings, HAND_LOCATOR,
                                             rng, 10.0))
    else:
        train = cpu_ms(lambda: prepare_pairs(source.train_records(), settings))
        train += cpu_ms(lambda: list(source.train_records()))
    held_out = cpu_ms(lambda: prepare_pairs(source.test_records(), settings))
    x = rng.uniform(-1, 1, (64, HAND_LOCATOR.height, HAND_LOCATOR.width)).astype(np.float16)
    cells = np.zeros((64, HAND_LOCATOR.height // 4, HAND_LOCATOR.width // 4), np.float16)
    batches = hand_batches(x, cells, data.locator_batch)
    train_locator(locator, batches, 3)                                     # warm-up
    wall = time.perf_counter()
    step = cpu_ms(lambda: train_locator(locator, batches, locator_steps)) / locator_steps
    step_wall = (time.perf_counter() - wall) * 1e3 / locator_steps
    batch = cpu_ms(lambda: [stream_crops(rng, synthetic_poses(rng, 32), settings, 10.0, data,
                                         source) for _ in range(5)]) / 5
    return {'train_frame': train / frames, 'held_out_frame': held_out / frames,
            'locator_step': step, 'locator_step_wall': step_wall, 'synthetic_batch': batch}


def main(argv=None):
    """Measure the config's data costs and print them with the extrapolation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--locator-steps', type=int, default=20)
    args = parser.parse_args(argv)
    if args.frames < 1 or args.locator_steps < 1:
        print('bench_hand_data: --frames and --locator-steps must be positive', file=sys.stderr)
        return 2
    torch.set_num_threads(2)
    cfg = load_config(args.config)
    costs = measure(cfg, args.frames, args.locator_steps)
    data = cfg.data
    minutes = {'training frames': costs['train_frame'] * data.num_real_train,
               'test and validation frames': costs['held_out_frame'] * (
                   data.num_real_test + data.num_real_val),
               'locator training (wall-clock, 2 threads)': (costs['locator_step_wall']
                                                            * data.locator_steps)}
    print(f'CPU per labelled training frame (with {data.sensor_copies} sensor and '
          f'{data.robot_copies} robot copies, train_crops {data.train_crops}): '
          f"{costs['train_frame']:.0f} ms; per test/validation frame "
          f"{costs['held_out_frame']:.0f} ms; per locator step {costs['locator_step']:.0f} ms "
          f"({costs['locator_step_wall']:.0f} ms wall-clock); "
          f"per synthetic batch of 32: {costs['synthetic_batch']:.0f} ms")
    for name, ms in minutes.items():
        print(f'{name}: {ms / 6e4:.1f} minutes')
    print(f'data before the first step: {sum(minutes.values()) / 6e4:.1f} minutes')
    return 0


if __name__ == '__main__':
    sys.exit(main())
