# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Accuracy and cost of the depth refinement's levers on the object's RGB-D frames.

``python -m training.tools.depth_sweep --weights models/object_fm.safetensors [--split val]
[--variant NAME:key=value,key=value ...] [--out docs/results/object_depth_sweep.md]``

The weights' RGB poses are estimated once per frame (the node's path: locator, crops, network,
PnP) on the built-in frames with aligned depth (training/object/depth_sensor.py) or a BOP
split with ``depth/``; each variant then refines them with ``RefineSettings`` changed by its
``key=value`` items (core/depth_refine.py). The table gives RGB and every variant: 2D
projection, ADD(-S), 5cm5deg, the share of fits the gate accepted and the refinement's time per
frame (p50: wall-clock, and this process's CPU time, which a shared machine disturbs less).
"""

import argparse
from dataclasses import fields, replace
import sys
import time

import numpy as np

from fm_pose_ros.core.depth_refine import DepthRefiner, RefineSettings
from fm_pose_ros.core.object_estimator import NoObjectError, ObjectEstimator
from fm_pose_ros.core.weights import read_metadata, WeightsError
from training.config import from_dict, load_config
from training.tasks import make_training_data
from training.tools import publish_table

# name -> RefineSettings changes: the defaults, then one lever off or changed at a time
DEFAULT_VARIANTS = ('defaults:', 'no restarts:restart_deg=0',
                    'no search along the ray:search_m=0,search_fraction=0',
                    'stricter gate:min_inlier_fraction=0.75', '8 iterations:iterations=8',
                    'occlusion test looser:occlusion_tolerance=0.15')


def parse_variant(text):
    """``'name:key=value,...'`` -> ``(name, RefineSettings)``; ValueError when malformed."""
    name, _, items = text.partition(':')
    types = {f.name: f.type for f in fields(RefineSettings)}
    changes = {}
    for item in filter(None, items.split(',')):
        key, _, value = item.partition('=')
        if key not in types:
            raise ValueError(f"variant '{name}': no setting '{key}' (settings: "
                             f"{', '.join(types)})")
        changes[key] = (int if types[key] in (int, 'int') else float)(value)
    return name, replace(RefineSettings(), **changes).validate()


def rgb_poses(weights, split):
    """Estimate the RGB poses of the split: ``(data, frames with depth, [(R, t) or None])``."""
    metadata = read_metadata(weights)
    training = {k: v for k, v in metadata.get('training', {}).items() if k != 'steps'}
    cfg = load_config(None, (), base=from_dict(training) if training else None, task='object')
    if split == 'test':
        cfg = replace(cfg, data=replace(cfg.data, num_real_val=0))
    data = make_training_data(cfg, train=False)
    estimator = ObjectEstimator(weights, 'cpu', 'torch', refine_steps=cfg.object.refine_steps,
                                rotation_deg=cfg.object.test_rotation_deg)
    frames = [f for f in data.frames(split) if f.get('depth_mm') is not None]
    if not frames:
        raise ValueError(f'the {split} frames have no aligned depth')
    poses = []
    for frame in frames:
        try:
            estimate = estimator.estimate(frame['rgb'], frame['K'])
            poses.append((estimate.R, estimate.t))
        except NoObjectError:
            poses.append(None)
    return data, frames, poses


def refine_all(frames, poses, refiner):
    """Refined poses (None where no RGB pose), accepted share, p50 wall and CPU ms per fit.

    CPU time (this process, ``time.process_time``) is what a fit costs when the machine is
    shared; the refinement runs on one thread.
    """
    refined, fits, cpu_ms = [], [], []
    for frame, pose in zip(frames, poses):
        if pose is None:
            refined.append(None)
            continue
        start = time.process_time()
        fits.append(refiner.refine(*pose, frame['depth_mm'] * np.float32(1e-3), frame['K']))
        cpu_ms.append((time.process_time() - start) * 1e3)
        refined.append((fits[-1].R, fits[-1].t))
    return (refined, float(np.mean([f.accepted for f in fits])),
            float(np.median([f.ms for f in fits])), float(np.median(cpu_ms)))


def row(data, frames, name, poses, accepted=None, ms=None, cpu_ms=None):
    """One Markdown table row of the poses' metrics."""
    missing = (np.full((3, 3), np.nan), np.full(3, np.nan))
    metrics = data.pose_metrics(frames, [p if p is not None else missing for p in poses])
    extra = ('- | - | - |' if accepted is None
             else f'{100 * accepted:.1f} % | {ms:.1f} | {cpu_ms:.1f} |')
    return (f"| {name} | {100 * metrics['proj2d_acc']:.1f} % | {100 * metrics['add_acc']:.1f} % "
            f"| {100 * metrics['cm5deg5_acc']:.1f} % | {metrics['median_translation_mm']:.1f} | "
            f"{metrics['median_rotation_deg']:.2f} | {extra}")


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--weights', required=True, help='object weights file')
    parser.add_argument('--split', choices=('val', 'test'), default='val')
    parser.add_argument('--variant', nargs='+', default=list(DEFAULT_VARIANTS),
                        help='NAME:key=value,... (RefineSettings fields)')
    parser.add_argument('--out', default='docs/results/object_depth_sweep.md')
    args = parser.parse_args(argv)
    try:
        variants = [parse_variant(text) for text in args.variant]
        data, frames, poses = rgb_poses(args.weights, args.split)
    except (WeightsError, OSError, ValueError) as exc:
        print(f'training.tools.depth_sweep: {exc}', file=sys.stderr)
        return 2
    info = data.info
    command = 'python -m training.tools.depth_sweep ' + ' '.join(
        sys.argv[1:] if argv is None else argv)
    lines = [f'Command: `{command}`', '', f'{len(frames)} {args.split} frames with aligned depth.',
             '',
             '| poses | 2D projection < 5 px | ADD(-S) < 10 % | 5cm5deg | median translation '
             '(mm) | median rotation (deg) | fits accepted | refinement p50 (ms) | '
             'refinement CPU p50 (ms) |',
             '|---|---|---|---|---|---|---|---|---|', row(data, frames, 'RGB (PnP)', poses)]
    for name, settings in variants:
        refiner = DepthRefiner(info['points_m'], info['diameter_m'], settings)
        lines.append(row(data, frames, f'RGB-D, {name}', *refine_all(frames, poses, refiner)))
    return publish_table(lines, args.out)


if __name__ == '__main__':
    sys.exit(main())
