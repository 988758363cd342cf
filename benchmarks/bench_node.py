# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark hand_node as users run it (own process), VGA 16UC1 over Fast DDS (default transport).

``python -m benchmarks.bench_node [--frames 300] [--out docs/results/benchmarks_node.md]``

For each backend (torch eager, ONNX Runtime) and input schedule (30 Hz, 60 Hz, flat out,
lockstep) it replays the same real-like bag with ``replay_eval --start-node`` and reports the
node's own processing time per frame (callback -> published, from its ``final stats`` line),
the end-to-end latency replay_eval measures (publish -> PoseArray received), frames in/out and
the output rate. Also prints the network's size and cost.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

from fm_pose_ros.core.backends import input_shape
from fm_pose_ros.core.fileio import atomic_write_text
from fm_pose_ros.core.networks import (
    count_macs, count_parameters, FeatureMappingNet, HAND_LOCATOR, Locator, LocatorConfig,
    NetConfig)
from fm_pose_ros.core.resources import default_hand_weights
from fm_pose_ros.core.weights import read_metadata
from fm_pose_ros.evaluation.bags import write_hand_bag
from fm_pose_ros.evaluation.replay_eval import main as replay_main
from training.hand.datasets import pose_sequence, real_like_frames

SCHEDULES = (('30 Hz', ['--mode', 'realtime', '--rate', '1']),
             ('60 Hz', ['--mode', 'realtime', '--rate', '2']),
             ('flat out', ['--mode', 'realtime', '--rate', '1000']),
             ('lockstep', ['--mode', 'lockstep']))


def run_case(bag, backend, schedule, folder):
    """Replay once; return one table row."""
    out = os.path.join(folder, f'{backend}-{schedule[0].replace(" ", "_")}')
    replay_main([bag, '--start-node', '--backend', backend, '--out', out, '--no-progress',
                 *schedule[1]])
    with open(os.path.join(out, 'report.json'), encoding='utf-8') as handle:
        report = json.load(handle)
    stats = report.get('node_stats', {})
    return (f"| {backend} | {schedule[0]} | {report['frames_in']} | {stats.get('frames_in')} | "
            f"{report['frames_out']} | {stats.get('dropped', 0)} | {report['fps']:.1f} | "
            f"{stats.get('p50_ms', float('nan')):.2f} / {stats.get('p99_ms', float('nan')):.2f}"
            f" | {report['latency_ms']['p50']:.2f} / {report['latency_ms']['p99']:.2f} |")


def network_line():
    """Parameters, fp16 size and multiply-accumulates of the shipped networks the node runs."""
    metadata = read_metadata(default_hand_weights())
    cfg = NetConfig.from_dict(metadata['net'])
    located = (LocatorConfig.from_dict(metadata['locator']) if 'locator' in metadata
               else HAND_LOCATOR)
    model, locator = FeatureMappingNet(cfg), Locator(located)
    params, locator_params = count_parameters(model), count_parameters(locator)
    side = cfg.in_size
    return (f'Network (shipped model, {cfg.head} head): {params / 1e6:.2f} M parameters '
            f'({params * 2 / 1e6:.1f} MB as float16), '
            f'{count_macs(model, (1, side, side)) / 1e6:.1f} M multiply-accumulates per '
            f'{side}x{side} crop. Hand locator: {locator_params / 1e3:.1f} k parameters, '
            f'{count_macs(locator, input_shape(located)) / 1e6:.1f} M multiply-accumulates '
            f'per {located.width}x{located.height} frame.')


def main(argv=None):
    """Write the bag, run all cases, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=300)
    parser.add_argument('--backends', default='torch,onnxruntime')
    parser.add_argument('--out', default='docs/results/benchmarks_node.md')
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix='fm_bench_')
    bag = os.path.join(folder, 'bag')
    rng = np.random.default_rng(11)
    frames = real_like_frames(rng, args.frames, label_noise=False,
                              poses=pose_sequence(rng, args.frames, keys=8))
    write_hand_bag(bag, ({**f, 'joints': f['joints_true']} for f in frames))
    rows = [run_case(bag, backend, schedule, folder)
            for backend in args.backends.split(',') for schedule in SCHEDULES]
    shutil.rmtree(folder, ignore_errors=True)
    args_text = ' '.join(argv if argv is not None else sys.argv[1:])
    command = 'python -m benchmarks.bench_node ' + args_text
    text = '\n'.join([
        f'<!-- benchmarks/bench_node.py, {time.strftime("%Y-%m-%d")}, '
        f'{os.cpu_count()} cores -->',
        f'Command: `{command.strip()}`', '', network_line(), '',
        f'{args.frames} real-like VGA 16UC1 frames; node threads=2, device cpu, '
        'Fast DDS default transport (no transport variables).', '',
        '| backend | input | published | node in | node out | dropped by queue | '
        'output Hz | node processing p50 / p99 ms | end-to-end p50 / p99 ms |',
        '|---|---|---|---|---|---|---|---|---|', *rows, ''])
    print(text)
    atomic_write_text(args.out, text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
