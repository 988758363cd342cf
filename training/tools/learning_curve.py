# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Learning curve over the number of labelled real frames: FM against the three baselines.

``python -m training.tools.learning_curve --config c.yaml --sizes 100,300,1500
--out runs/curve --table docs/results/curve.md [--set k=v ...]``

For every size N (``data.num_real_train``), ``real``, ``mix`` and ``fm`` are trained with the
same config and step budget into ``out/n<N>/<method>`` (resumable: a finished run is reused).
Synthetic-only does not see labelled real frames, so it is trained once (at the largest N) and
evaluated on the test crops of every N, which depend on N through the locator trained on the N
labelled frames. Writes a Markdown table (with this command), the reports as JSON and a plot
(``.png``) next to ``--table``.
"""

import argparse
from dataclasses import replace
import json
import logging
import os
import sys

from fm_pose_ros.core.fileio import atomic_write_text
from training.compare import METHOD_NAMES, train_method
from training.config import load_config
from training.predict import predictor
from training.tasks import make_training_data

METHODS = ('synthetic', 'real', 'mix', 'fm')


def with_size(cfg, size):
    """``cfg`` with ``size`` labelled real training frames."""
    return replace(cfg, data=replace(cfg.data, num_real_train=size))


def run_size(sized, data, out, synthetic_model):
    """Train real, mix and fm on ``data`` (of config ``sized``); return ``{method: report}``."""
    folder = os.path.join(out, f'n{sized.data.num_real_train}')
    reports = {'synthetic': data.evaluate(predictor(synthetic_model, 'cpu'))}
    for method in METHODS[1:]:
        _, trainer = train_method(sized, method, folder, data)
        reports[method] = data.evaluate(predictor(trainer.model, trainer.device))
    return reports


def curve(cfg, sizes, out):
    """Return ``{size: {method: report}}`` over ``sizes`` (ascending)."""
    largest = with_size(cfg, sizes[-1])
    largest_data = make_training_data(largest)
    _, synthetic = train_method(largest, 'synthetic', os.path.join(out, f'n{sizes[-1]}'),
                                largest_data)
    model = synthetic.model.cpu().eval()
    results = {}
    for size in sizes:
        sized = with_size(cfg, size)
        data = largest_data if size == sizes[-1] else make_training_data(sized)
        results[size] = run_size(sized, data, out, model)
    return results


def headline(report, task):
    """Return the headline number: mean joint error (mm) or 2D projection accuracy (%)."""
    return report['mean_joint_error_mm'] if task == 'hand' else 100 * report['proj2d_acc']


def table(results, task, command):
    """Markdown table: one row per size, one column per method, FM's ratios to the baselines.

    A ratio to a baseline of 0 (an object method with no frame right) is ``-``.
    """
    unit = 'mean 3D joint error (mm)' if task == 'hand' else '2D projection < 5 px (%)'
    names = ' | '.join(METHOD_NAMES[m] for m in METHODS)
    lines = [f'Command: `{command}`', '', f'Test set, {unit}.', '',
             f'| labelled real frames | {names} | FM / synthetic only | FM / real only | '
             'FM / naive mix |', '|---' * 8 + '|']
    for size, reports in sorted(results.items()):
        values = {m: headline(reports[m], task) for m in METHODS}
        ratios = ' | '.join(f"{values['fm'] / values[m]:.2f}" if values[m] else '-'
                            for m in METHODS[:3])
        cells = ' | '.join(f'{values[m]:.2f}' for m in METHODS)
        lines.append(f'| {size} | {cells} | {ratios} |')
    return '\n'.join(lines) + '\n'


def plot(results, task, path):
    """Write the curve (error or accuracy against labelled frames, one line per method)."""
    from fm_pose_ros.evaluation.report import plot_series
    sizes = sorted(results)
    series = {METHOD_NAMES[m]: (sizes, [headline(results[s][m], task) for s in sizes])
              for m in METHODS}
    plot_series(series, path, 'labelled real training frames',
                'mean 3D joint error (mm)' if task == 'hand' else '2D projection < 5 px (%)',
                log_x=True)


def parse_sizes(text):
    """Ascending positive sizes from ``'100,300,1500'``; ValueError otherwise."""
    try:
        sizes = sorted({int(s) for s in text.split(',')})
    except ValueError:
        raise ValueError(f'--sizes: comma-separated integers, got {text!r}') from None
    if not sizes or sizes[0] < 1:
        raise ValueError(f'--sizes: positive frame counts, got {text!r}')
    return sizes


def main(argv=None):
    """Train and evaluate every (size, method); write table, JSON and plot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--task', default='hand', help='hand | object')
    parser.add_argument('--config')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    parser.add_argument('--sizes', default='100,300,1000,1500')
    parser.add_argument('--out', default='runs/learning_curve')
    parser.add_argument('--table', required=True, help='Markdown file to write (.json, .png '
                        'beside it)')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    try:
        sizes = parse_sizes(args.sizes)
        cfg = load_config(args.config, args.set, task=args.task)
    except (OSError, ValueError) as exc:
        print(f'learning_curve: {exc}', file=sys.stderr)
        return 2
    results = curve(cfg, sizes, args.out)
    command = 'python -m training.tools.learning_curve ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    stem = os.path.splitext(args.table)[0]
    text = table(results, cfg.task, command.strip())
    atomic_write_text(args.table, text)
    atomic_write_text(stem + '.json', json.dumps(
        {str(s): r for s, r in results.items()}, indent=1))
    plot(results, cfg.task, stem + '.png')
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
