# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Train Feature Mapping and the baselines with one budget; write the results table.

``python -m training.compare --out runs/compare [--ship models/hand_fm.safetensors]
[--exemplars 20000] [--methods fm,synthetic,...] [--config c.yaml] [--set k=v ...]``

Runs ``fm``, ``synthetic``, ``real``, ``mix`` with the same config and step budget, then the
exemplar nearest-neighbour baseline on the synthetic-only f (``--methods`` picks a subset that
includes fm; exemplar needs synthetic); evaluates each on the same
real-like test set (training/evaluate.py) and writes ``results.md`` / ``results.json`` into
``--out``. ``--ship`` copies the fm weights (report embedded in its metadata) to the path.
"""

import argparse
import json
import logging
import os
import shutil
import sys
import time

from fm_pose_ros.core.fileio import atomic_write_text
from training.config import load_config
from training.exemplar import build_index, describe
from training.predict import predictor
from training.tasks import make_training_data
from training.train import Trainer

LOGGER = logging.getLogger('training.compare')
METHOD_NAMES = {'synthetic': 'synthetic only', 'real': 'real only', 'mix': 'naive mix',
                'exemplar': 'exemplar NN', 'fm': 'feature mapping'}


def train_method(cfg, method, out, data):
    """Train one method into ``out/<method>``; return (weights path, trainer)."""
    from dataclasses import replace
    run_cfg = replace(cfg, method=method, out_dir=os.path.join(out, method))
    trainer = Trainer(run_cfg, data=data, resume=True)
    return trainer.run(), trainer


def exemplar_result(trainer, data, count):
    """Evaluate the exemplar baseline built on a synthetic-only trainer's f."""
    start = time.perf_counter()
    index = build_index(trainer.model, data, count)
    build_s = time.perf_counter() - start
    report = data.evaluate(lambda crops: index.query(describe(trainer.model, crops)))
    report.update(exemplars=len(index), index_build_s=build_s)
    return report


def hand_rows(results):
    """Header and rows of the hand table: mean error, within 40 mm, ratio to fm."""
    fm = results['fm']['mean_joint_error_mm']
    rows = []
    for method in (m for m in METHOD_NAMES if m in results):
        report = results[method]
        curve = report['within_curve']
        within40 = curve['fraction'][curve['thresholds_mm'].index(40)]
        rows.append(f"| {METHOD_NAMES[method]} | {report['mean_joint_error_mm']:.2f} | "
                    f"{100 * within40:.1f} % | {report['mean_joint_error_mm'] / fm:.2f} |")
    return ('| method | mean 3D joint error (mm) | frames with all joints < 40 mm | '
            'error / FM error |\n|---|---|---|---|', rows)


def object_rows(results):
    """Header and rows of the object table: 2D projection, ADD(-S), 5cm5deg, detected."""
    rows = []
    for method in (m for m in METHOD_NAMES if m in results):
        r = results[method]
        rows.append(f"| {METHOD_NAMES[method]} | {100 * r['proj2d_acc']:.1f} % | "
                    f"{100 * r['add_acc']:.1f} % | {100 * r['cm5deg5_acc']:.1f} % | "
                    f"{100 * r['detected']:.1f} % | {r['median_add_mm']:.1f} |")
    metric = results['fm']['add_metric']
    return (f'| method | 2D projection < 5 px | {metric} < 10 % diameter | 5cm5deg | '
            f'pose found | median {metric} (mm) |\n|---|---|---|---|---|---|', rows)


def results_table(results, command, task='hand'):
    """Markdown table of every method's results on the real-like test set."""
    header, rows = (object_rows if task == 'object' else hand_rows)(results)
    return '\n'.join([f'Command: `{command}`', '', header] + rows) + '\n'


def main(argv=None):
    """Train all methods, evaluate, write the table, optionally ship the fm weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--task', default='hand', help='hand | object')
    parser.add_argument('--out', default='runs/compare')
    parser.add_argument('--ship', help='copy the fm weights here')
    parser.add_argument('--exemplars', type=int, default=20000)
    parser.add_argument('--methods', default=','.join(METHOD_NAMES),
                        help='comma-separated subset of ' + ', '.join(METHOD_NAMES))
    parser.add_argument('--config')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    args = parser.parse_args(argv)
    methods = args.methods.split(',')
    if 'fm' not in methods or not set(methods) <= set(METHOD_NAMES) or (
            'exemplar' in methods and 'synthetic' not in methods):
        parser.error(f'--methods: a subset of {", ".join(METHOD_NAMES)} with fm '
                     '(exemplar needs synthetic)')
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    try:
        cfg = load_config(args.config, args.set, task=args.task)
    except (OSError, ValueError) as exc:
        print(f'training.compare: {exc}', file=sys.stderr)
        return 2
    data = make_training_data(cfg)
    results, weights = {}, {}
    for method in (m for m in ('fm', 'synthetic', 'real', 'mix') if m in methods):
        weights[method], trainer = train_method(cfg, method, args.out, data)
        results[method] = data.evaluate(predictor(trainer.model, trainer.device))
        if method == 'synthetic' and 'exemplar' in methods:
            results['exemplar'] = exemplar_result(trainer, data, args.exemplars)
    command = 'python -m training.compare ' + ' '.join(argv if argv is not None
                                                       else sys.argv[1:])
    table = results_table(results, command.strip(), cfg.task)
    print(table)
    atomic_write_text(os.path.join(args.out, 'results.md'), table)
    atomic_write_text(os.path.join(args.out, 'results.json'), json.dumps(results, indent=1))
    if args.ship:
        shutil.copyfile(weights['fm'], args.ship + '.tmp')
        os.replace(args.ship + '.tmp', args.ship)
        LOGGER.info('shipped %s -> %s', weights['fm'], args.ship)
    return 0


if __name__ == '__main__':
    sys.exit(main())
