# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Tabulate finished training runs: architecture, cost, validation and test accuracy.

``python -m training.tools.study --runs runs/study/a runs/study/b --out docs/results/study.md``

For every run folder: its exported weights file (``<task>_<method>.safetensors``), the
network's parameters and multiply-accumulates per crop, the steps and wall-clock seconds of
training (last row of ``curve.csv``), then the weights evaluated end to end on the validation
frames (for choosing) and on the test frames (for reporting) with ``training.evaluate``. Writes a
Markdown table (with this command) and the full reports as JSON next to it.
"""

import argparse
import glob
import json
import os
import sys

from fm_pose_ros.core.fileio import atomic_write_text
from fm_pose_ros.core.networks import count_macs, count_parameters, FeatureMappingNet, NetConfig
from fm_pose_ros.core.weights import read_metadata, WeightsError
from training.evaluate import evaluate_file

SPLITS = ('val', 'test')


def run_weights(run):
    """Return the exported weights file of a run folder; ValueError if there is not exactly one."""
    found = [p for p in glob.glob(os.path.join(run, '*.safetensors'))
             if not p.endswith('resume.safetensors')]
    if len(found) != 1:
        raise ValueError(f'{run}: expected one exported weights file, found {len(found)}')
    return found[0]


def last_curve_row(run):
    """Return ``(steps, elapsed_s)`` of the run's last ``curve.csv`` row (NaN if none)."""
    try:
        with open(os.path.join(run, 'curve.csv'), encoding='utf-8') as handle:
            rows = handle.read().split()[1:]
    except FileNotFoundError:
        rows = []
    if not rows:
        return float('nan'), float('nan')
    step, elapsed = rows[-1].split(',')[:2]
    return int(step), float(elapsed)


def describe_run(run):
    """Architecture, cost and per-split reports of one run folder."""
    weights = run_weights(run)
    metadata = read_metadata(weights)
    cfg = NetConfig.from_dict(metadata['net'])
    model = FeatureMappingNet(cfg)
    steps, elapsed = last_curve_row(run)
    return {'run': os.path.basename(os.path.normpath(run)), 'weights': weights,
            'task': metadata.get('task'), 'head': cfg.head, 'arch': cfg.arch,
            'in_size': cfg.in_size, 'stage_channels': list(cfg.stage_channels),
            'params': count_parameters(model),
            'macs': count_macs(model, (cfg.in_channels, cfg.in_size, cfg.in_size)),
            'steps': steps, 'train_min': elapsed / 60.0,
            'reports': {split: evaluate_file(weights, split=split) for split in SPLITS}}


def _cost(row):
    return (f"| {row['run']} | {row['head']} {row['arch']} {row['stage_channels']} | "
            f"{row['in_size']} | {row['params'] / 1e6:.2f} M | {row['macs'] / 1e6:.0f} M | "
            f"{row['steps']} | {row['train_min']:.0f} |")


def object_table(rows):
    """Header and rows for object runs (accuracies in %, estimate per VGA frame in ms)."""
    header = ('| run | network | input px | params | MACs / crop | steps | train min | '
              'val 2D proj | val ADD | test 2D proj | test ADD | test ADD-S | test 5cm5deg | '
              'test median 2D px | estimate ms / frame |\n' + '|---' * 15 + '|')
    lines = []
    for row in rows:
        val, test = row['reports']['val'], row['reports']['test']
        lines.append(
            _cost(row) + f" {100 * val['proj2d_acc']:.1f} | {100 * val['add_acc']:.1f} | "
            f"{100 * test['proj2d_acc']:.1f} | {100 * test['add_acc']:.1f} | "
            f"{100 * test['adds_acc']:.1f} | {100 * test['cm5deg5_acc']:.1f} | "
            f"{test['median_proj2d_px']:.1f} | {test['estimate_ms_per_frame']:.1f} |")
    return header, lines


def hand_table(rows):
    """Header and rows for hand runs (mean 3D joint errors in mm)."""
    header = ('| run | network | input px | params | MACs / crop | steps | train min | '
              'val mm | test mm | test twins mm | synthetic mm |\n' + '|---' * 11 + '|')
    lines = []
    for row in rows:
        val, test = row['reports']['val'], row['reports']['test']
        lines.append(_cost(row) + f" {val['mean_joint_error_mm']:.2f} | "
                     f"{test['mean_joint_error_mm']:.2f} | "
                     f"{test['twin_mean_joint_error_mm']:.2f} | "
                     f"{test['synthetic_mean_joint_error_mm']:.2f} |")
    return header, lines


def study_markdown(rows, command):
    """Return the table of ``rows`` (one task) with the command that made it."""
    tasks = {row['task'] for row in rows}
    if len(tasks) != 1:
        raise ValueError(f'runs of one task per table, got {sorted(tasks)}')
    header, lines = (object_table if tasks == {'object'} else hand_table)(rows)
    return '\n'.join([f'Command: `{command}`', '', header, *lines]) + '\n'


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', nargs='+', required=True, help='run folders')
    parser.add_argument('--out', required=True, help='Markdown file (JSON written beside it)')
    args = parser.parse_args(argv)
    try:
        rows = [describe_run(run) for run in args.runs]
        command = 'python -m training.tools.study ' + ' '.join(
            sys.argv[1:] if argv is None else argv)
        table = study_markdown(rows, command)
    except (WeightsError, OSError, ValueError) as exc:
        print(f'training.tools.study: {exc}', file=sys.stderr)
        return 2
    print(table)
    atomic_write_text(args.out, table)
    atomic_write_text(os.path.splitext(args.out)[0] + '.json', json.dumps(rows, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
