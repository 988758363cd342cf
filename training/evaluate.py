# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Offline evaluation of hand or object weights on the real-like test set (or NYU frames).

``python -m training.evaluate --weights W [--out DIR] [--set data.source=...]
[--fit-iterations N]`` writes the same report (JSON + PNG + Markdown) as the bag evaluation,
from the same metric code (fm_pose_ros/evaluation/metrics.py). Predictions use the node's
path: ``h(g(f(crop)))``, decoded by the crop transform travelling with each test sample, then
with ``--fit-iterations`` N > 0 refined against the crop's depth as the node's
``fit_iterations`` does (core/hand_fit.py).
"""

import argparse
from dataclasses import replace
import logging
import sys

from fm_pose_ros.core.hand_fit import FitSettings, refine_joints
from fm_pose_ros.core.weights import load_hand_parts, read_metadata, WeightsError
from fm_pose_ros.evaluation.report import write_report
from training.config import from_dict, load_config
from training.predict import predictor
from training.tasks import make_training_data

LOGGER = logging.getLogger('training.evaluate')


def main(argv=None):
    """Evaluate a weights file on the configured test set and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--weights', required=True)
    parser.add_argument('--out', default='runs/eval')
    parser.add_argument('--config', help='YAML overrides (data section used)')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    parser.add_argument('--split', choices=('test', 'val'), default='test',
                        help='the test frames or the held-out validation frames (tuning)')
    parser.add_argument('--fit-iterations', type=int, default=0, metavar='N',
                        help='hand: depth-fitting steps per frame, as the node parameter '
                        'fit_iterations (0 = off)')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    try:
        report = evaluate_file(args.weights, args.config, args.set, args.split,
                               args.fit_iterations)
    except (WeightsError, OSError, ValueError) as exc:
        print(f'training.evaluate: {exc}', file=sys.stderr)
        return 2
    write_report(args.out, report, f"{report['task'].capitalize()} evaluation: {args.weights}")
    LOGGER.info('%s on %d frames -> %s', ', '.join(
        f'{k} {report[k]:.4g}' for k in ('mean_joint_error_mm', 'twin_mean_joint_error_mm',
                                         'synthetic_mean_joint_error_mm',
                                         'crop_centre_error_mm', 'locator_misses',
                                         'thumb_tip_over_index_tip',
                                         'pinky_tip_over_index_tip', 'add_acc', 'proj2d_acc')
        if k in report), report['frames_in'], args.out)
    if report.get('rgbd'):
        keys = ('add_acc', 'cm5deg5_acc', 'proj2d_acc', 'refined')
        LOGGER.info('RGB-D (refined by aligned depth): %s',
                    ', '.join(f"{k} {report['rgbd'][k]:.4g}" for k in keys))
    if 'per_joint_error_mm' in report:
        LOGGER.info('per joint (mm): %s', ', '.join(
            f'{name} {value:.1f}' for name, value in report['per_joint_error_mm'].items()))
    return 0


def evaluate_file(weights, config=None, set_items=(), split='test', fit_iterations=0):
    """Report of a weights file on its task's test set (the config it was trained with).

    ``split='val'``: on the held-out validation frames instead, for tuning.
    ``fit_iterations`` > 0 (hand): the decoded joints are refined against the crop's depth.
    """
    refine = _refiner(fit_iterations)             # a bad count fails before any preparation
    metadata = read_metadata(weights)
    training = {k: v for k, v in metadata.get('training', {}).items() if k != 'steps'}
    base = from_dict(training) if training else None
    cfg = load_config(config, set_items, base=base, task=metadata.get('task', 'hand'))
    if split == 'test':                         # no need to prepare the validation frames
        cfg = replace(cfg, data=replace(cfg.data, num_real_val=0))
    if cfg.task == 'object':
        from fm_pose_ros.core.object_estimator import ObjectEstimator
        data = make_training_data(cfg, train=False)
        report = data.evaluate_estimator(ObjectEstimator(
            weights, 'cpu', 'torch', refine_steps=cfg.object.refine_steps,
            rotation_deg=cfg.object.test_rotation_deg), split)
    else:
        # the test frames are cropped by the file's own locator (none: centre of mass)
        model, locator, _, _ = load_hand_parts(weights)
        if locator is None:
            cfg = replace(cfg, data=replace(cfg.data, locator_steps=0))
        data = make_training_data(cfg, False, locator)
        report = data.evaluate(predictor(model, 'cpu'), split, refine)
        report['twin_mean_joint_error_mm'] = data.evaluate_twins(model, split=split)
        report['synthetic_mean_joint_error_mm'] = data.evaluate_synthetic(model)
    report.update(weights=weights, method=metadata.get('training', {}).get('method'),
                  split=split)
    if cfg.task == 'hand':
        report['fit_iterations'] = fit_iterations
    return report


def _refiner(iterations):
    """``(joints, crop, transform) -> joints`` of the node's depth fitting, or None (off)."""
    settings = FitSettings(iterations=iterations).validate()
    if iterations == 0:
        return None
    return lambda joints, crop, transform: refine_joints(joints, crop, transform,
                                                         settings).joints_mm


if __name__ == '__main__':
    sys.exit(main())
