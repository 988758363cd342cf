# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Where a training step's time goes, per network variant: render, forward, backward.

``python -m training.tools.bench_train_step [--steps 20]
[--out docs/results/benchmarks_train_step.md]``
``python -m training.tools.bench_train_step [--task object] --configs a.yaml b.yaml
[--out docs/results/benchmarks_train_step_object.md]`` (one variant per training config file;
hands without ``--configs``: the built-in input-size variants). ``--compile``: every variant also
once with its objective through ``torch.compile`` (compiled during the warm-up steps).

One feature-mapping joint step (stage 2) of batch 32 per stream, as ``training.train`` runs
it: render 32 synthetic crops (hands: ``HandTrainingData.synthetic_batch``, clean renders
straight into crops, with a config's ``data.synthetic_ego`` / ``data.synthetic_grasp``
shares; objects: ``ObjectTrainingData.synthetic_batch``, renders into the crop camera over
a background), draw 32 real crops and their twins from the prepared set (indexing only),
the forward pass of f over synthetic + real and of f over the twins (no gradient), the
backward pass and the Adam step. Times are medians over ``--steps`` steps after 3 warm-up
steps, on ``torch.get_num_threads()`` threads; run it on a quiet machine.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

from fm_pose_ros.core.fileio import atomic_write_text
from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.networks import count_macs, FeatureMappingNet, NetConfig
from training.config import DataConfig, load_config
from training.hand.datasets import SimRealSource, synthetic_poses
from training.hand.robot_view import stream_crops
from training.layout import apply_layout
from training.losses import Objective

VARIANTS = {  # name -> NetConfig arguments (crop size = in_size), NHWC tensors or not
    '128 px, 0.4.0 trunk': {'net': {}, 'channels_last': False},
    '96 px, 0.4.0 trunk': {'net': {'in_size': 96}, 'channels_last': False},
    '96 px, channels_last': {'net': {'in_size': 96}, 'channels_last': True},
}


def timed(clock, name, action):
    """Run ``action()``, add its wall-clock milliseconds to ``clock[name]``; return its value."""
    start = time.perf_counter()
    value = action()
    clock.setdefault(name, []).append((time.perf_counter() - start) * 1e3)
    return value


class HandStreams:
    """The hand task's two streams: online synthetic crops, a prepared real set (random)."""

    def __init__(self, net_cfg, data_cfg=DataConfig()):
        self.source, self.data_cfg = SimRealSource(data_cfg), data_cfg
        self.settings = HandCropSettings(crop_size=net_cfg.in_size)
        size = net_cfg.in_size
        self.real = np.random.default_rng(0).uniform(-1, 1, (1500, 1, size, size)).astype(
            np.float32)
        self.targets = np.zeros((1500, net_cfg.num_outputs), np.float32)

    def synthetic_batch(self, rng, n):
        crops, targets = stream_crops(rng, synthetic_poses(rng, n), self.settings, 10.0,
                                      self.data_cfg, self.source)
        return crops.reshape(n, 1, *crops.shape[-2:]), targets.reshape(n, -1)

    def paired_batch(self, rng, n):
        index = rng.integers(0, len(self.real), n)
        return self.real[index], self.real[index], self.targets[index]


def step(model, objective, optimizer, streams, rng, clock, memory_format):
    """One stage-2 step with its parts timed into ``clock``."""
    n = 32
    crops, targets = timed(clock, 'render 32 synthetic crops',
                           lambda: streams.synthetic_batch(rng, n))
    real, twin, real_targets = timed(clock, 'draw 32 real crops + twins',
                                     lambda: streams.paired_batch(rng, n))
    batch = {'syn': crops, 'syn_target': targets, 'real': real, 'twin': twin,
             'real_target': real_targets}
    batch = {k: torch.from_numpy(np.ascontiguousarray(v, np.float32)) for k, v in batch.items()}
    for key in ('syn', 'real', 'twin'):
        batch[key] = batch[key].contiguous(memory_format=memory_format)
    losses = timed(clock, 'forward', lambda: objective(batch, True))
    optimizer.zero_grad(set_to_none=True)
    timed(clock, 'backward', lambda: losses['total'].backward())
    timed(clock, 'optimizer step', optimizer.step)


def config_variant(task, config_path):
    """``(name, NetConfig, streams, channels_last)`` of a training config file."""
    name = os.path.splitext(os.path.basename(config_path))[0]
    if task == 'hand':
        cfg = load_config(config_path, task='hand')
        return name, cfg.net, HandStreams(cfg.net, cfg.data), cfg.channels_last
    from training.object.data import ObjectTrainingData
    cfg = load_config(config_path, ['data.num_real_train=64', 'data.num_real_test=0',
                                    'data.num_real_val=0'], task='object')
    return name, cfg.net, ObjectTrainingData(cfg), cfg.channels_last


def measure(name, cfg, streams, steps, channels_last, compiled=False):
    """``(row dict)`` of one variant: parts in ms, samples/s, MACs per crop."""
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = apply_layout(FeatureMappingNet(cfg), memory_format)
    objective = Objective(model, 1.0, 0.2)
    if compiled:
        objective, name = torch.compile(objective), f'{name}, torch.compile'
    optimizer = torch.optim.Adam(model.parameters(), lr=3.3e-4)
    rng, clock = np.random.default_rng(0), {}
    for _ in range(3):
        step(model, objective, optimizer, streams, rng, {}, memory_format)
    for _ in range(steps):
        step(model, objective, optimizer, streams, rng, clock, memory_format)
    parts = {part: statistics.median(values) for part, values in clock.items()}
    total = sum(parts.values())
    return {'name': name, 'parts': parts, 'total': total,
            'samples_per_s': 3 * 32 / total * 1e3,
            'macs': count_macs(model, (cfg.in_channels, cfg.in_size, cfg.in_size))}


def variants(task, configs):
    """``[(name, NetConfig, streams, channels_last)]``: config files, else the hand variants."""
    if configs:
        return [config_variant(task, path) for path in configs]
    return [(name, NetConfig(**variant['net']), HandStreams(NetConfig(**variant['net'])),
             variant['channels_last']) for name, variant in VARIANTS.items()]


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
    parser.add_argument('--task', default='hand', choices=('hand', 'object'))
    parser.add_argument('--configs', nargs='*', default=[],
                        help='training config files, one variant each (object: required)')
    parser.add_argument('--compile', action='store_true',
                        help='also measure every variant with torch.compile')
    parser.add_argument('--out', help='default: docs/results/benchmarks_train_step[_object].md')
    args = parser.parse_args(argv)
    if args.task == 'object' and not args.configs:
        parser.error('--task object needs --configs')
    out = args.out or ('docs/results/benchmarks_train_step_object.md' if args.task == 'object'
                       else 'docs/results/benchmarks_train_step.md')
    torch.set_num_threads(args.threads)
    rows = [measure(*variant[:3], args.steps, variant[3], compiled)
            for variant in variants(args.task, args.configs)
            for compiled in ((False, True) if args.compile else (False,))]
    command = 'python -m training.tools.bench_train_step ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    text = table(rows, command.strip())
    print(text)
    atomic_write_text(out, text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
