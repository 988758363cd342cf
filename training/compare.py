# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Train Feature Mapping and the baselines with one budget; write the results table.

``python -m training.compare --out runs/compare [--ship models/hand_fm.safetensors]
[--exemplars 20000] [--config c.yaml] [--set k=v ...]``

Runs ``fm``, ``synthetic``, ``real``, ``mix`` with the same config and step budget, then the
exemplar nearest-neighbour baseline on the synthetic-only f; evaluates each on the same
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

from fm_pose_ros.checkpoint import atomic_write_text
from fm_pose_ros.metrics import hand_report
from training.config import load_config
from training.evaluate import decode_all, evaluate_crops
from training.exemplar import build_index, describe
from training.hand_data import HandTrainingData
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
    test = data.test_set()
    start = time.perf_counter()
    outputs = index.query(describe(trainer.model, test['crops']))
    per_frame_ms = (time.perf_counter() - start) * 1e3 / len(outputs)
    report = hand_report(decode_all(outputs, test['transforms']), test['joints_mm'])
    report.update(exemplars=len(index), index_build_s=build_s,
                  network_ms_per_frame_batched=per_frame_ms)
    return report


def results_table(results, command):
    """Markdown table of mean joint errors and ratios against fm."""
    fm = results['fm']['mean_joint_error_mm']
    lines = [f'Command: `{command}`', '',
             '| method | mean 3D joint error (mm) | frames with all joints < 40 mm | '
             'error / FM error |', '|---|---|---|---|']
    for method in ('synthetic', 'real', 'mix', 'exemplar', 'fm'):
        report = results[method]
        curve = report['within_curve']
        within40 = curve['fraction'][curve['thresholds_mm'].index(40)]
        lines.append(f"| {METHOD_NAMES[method]} | {report['mean_joint_error_mm']:.2f} | "
                     f"{100 * within40:.1f} % | {report['mean_joint_error_mm'] / fm:.2f} |")
    return '\n'.join(lines) + '\n'


def main(argv=None):
    """Train all methods, evaluate, write the table, optionally ship the fm weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='runs/compare')
    parser.add_argument('--ship', help='copy the fm weights here')
    parser.add_argument('--exemplars', type=int, default=20000)
    parser.add_argument('--config')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    cfg = load_config(args.config, args.set)
    data = HandTrainingData(cfg)
    results, weights = {}, {}
    for method in ('fm', 'synthetic', 'real', 'mix'):
        weights[method], trainer = train_method(cfg, method, args.out, data)
        results[method] = evaluate_crops(trainer.model, data.test_set(), trainer.device)
        if method == 'synthetic':
            results['exemplar'] = exemplar_result(trainer, data, args.exemplars)
    command = 'python -m training.compare ' + ' '.join(argv if argv is not None
                                                       else sys.argv[1:])
    table = results_table(results, command.strip())
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
