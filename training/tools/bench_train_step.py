# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Where a hand training step's time goes, per network variant: render, forward, backward.

``python -m training.tools.bench_train_step [--steps 20] [--out docs/benchmarks_train_step.md]``

One feature-mapping joint step (stage 2) of batch 32 per stream, as ``training.train`` runs
it: render 32 synthetic crops (``HandTrainingData.synthetic_batch``: clean renders straight
into crops), draw 32 real crops and their twins from the prepared set (indexing only), the
forward pass of f over synthetic + real and of f over the twins (no gradient), the backward
pass and the Adam step. Times are medians over ``--steps`` steps after 3 warm-up steps, on
``torch.get_num_threads()`` threads; run it on a quiet machine.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

from fm_pose_ros.core.fileio import atomic_write_text
from fm_pose_ros.core.hand_codec import CropSettings
from fm_pose_ros.core.networks import count_macs, FeatureMappingNet, NetConfig
from training.config import DataConfig
from training.hand.datasets import SimRealSource, synthetic_poses
from training.losses import Objective

VARIANTS = {  # name -> NetConfig arguments (crop size = in_size)
    '128 px, 0.4.0 trunk': {},
    '96 px, 0.4.0 trunk': {'in_size': 96},
    '96 px, channels_last': {'in_size': 96},
}


def timed(clock, name, action):
    """Run ``action()``, add its wall-clock milliseconds to ``clock[name]``; return its value."""
    start = time.perf_counter()
    value = action()
    clock.setdefault(name, []).append((time.perf_counter() - start) * 1e3)
    return value


def step(model, objective, optimizer, source, settings, rng, clock, memory_format):
    """One stage-2 step with its parts timed into ``clock``."""
    n, size = 32, settings.crop_size
    crops, targets = timed(clock, 'render 32 synthetic crops', lambda: source.synthetic_crops(
        rng, synthetic_poses(rng, n), settings, 10.0))
    real = np.random.default_rng(0).uniform(-1, 1, (1500, 1, size, size)).astype(np.float32)
    index = timed(clock, 'draw 32 real crops + twins', lambda: rng.integers(0, 1500, n))
    batch = {'syn': crops.reshape(n, 1, size, size), 'syn_target': targets.reshape(n, -1),
             'real': real[index], 'twin': real[index], 'real_target': targets.reshape(n, -1)}
    batch = {k: torch.from_numpy(np.ascontiguousarray(v, np.float32)) for k, v in batch.items()}
    for key in ('syn', 'real', 'twin'):
        batch[key] = batch[key].contiguous(memory_format=memory_format)
    losses = timed(clock, 'forward', lambda: objective(batch, True))
    optimizer.zero_grad(set_to_none=True)
    timed(clock, 'backward', lambda: losses['total'].backward())
    timed(clock, 'optimizer step', optimizer.step)


def measure(name, overrides, steps):
    """``(row dict)`` of one variant: parts in ms, samples/s, MACs per crop."""
    cfg = NetConfig(**overrides)
    memory_format = (torch.channels_last if 'channels_last' in name
                     else torch.contiguous_format)
    model = FeatureMappingNet(cfg).to(memory_format=memory_format)
    objective = Objective(model, 1.0, 0.2)
    optimizer = torch.optim.Adam(model.parameters(), lr=3.3e-4)
    source, settings = SimRealSource(DataConfig()), CropSettings(crop_size=cfg.in_size)
    rng, clock = np.random.default_rng(0), {}
    for _ in range(3):
        step(model, objective, optimizer, source, settings, rng, {}, memory_format)
    for _ in range(steps):
        step(model, objective, optimizer, source, settings, rng, clock, memory_format)
    parts = {part: statistics.median(values) for part, values in clock.items()}
    total = sum(parts.values())
    return {'name': name, 'parts': parts, 'total': total,
            'samples_per_s': 3 * 32 / total * 1e3,
            'macs': count_macs(model, (1, cfg.in_size, cfg.in_size))}


def table(rows, command):
    """Markdown table of the rows, with the command and the machine."""
    parts = list(rows[0]['parts'])
    lines = [f'<!-- training/tools/bench_train_step.py, {time.strftime("%Y-%m-%d")}, '
             f'{os.cpu_count()} cores, {torch.get_num_threads()} torch threads -->',
             f'Command: `{command}`', '',
             '| variant | MACs per crop | ' + ' | '.join(f'{p} (ms)' for p in parts)
             + ' | step (ms) | crops/s |',
             '|---' * (len(parts) + 4) + '|']
    for row in rows:
        lines.append(f"| {row['name']} | {row['macs'] / 1e6:.1f} M | "
                     + ' | '.join(f"{row['parts'][p]:.1f}" for p in parts)
                     + f" | {row['total']:.1f} | {row['samples_per_s']:.0f} |")
    return '\n'.join(lines) + '\n'


def main(argv=None):
    """Measure every variant and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--out', default='docs/benchmarks_train_step.md')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = [measure(name, overrides, args.steps) for name, overrides in VARIANTS.items()]
    command = 'python -m training.tools.bench_train_step ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    text = table(rows, command.strip())
    print(text)
    atomic_write_text(args.out, text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
