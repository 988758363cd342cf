# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The object locator's crop boxes against the true ones, per set of training backgrounds.

``python -m training.tools.locator_boxes --config C [--backgrounds smooth varied]
[--set KEY=VALUE ...] [--out docs/results/object_locator_boxes.md]``

The locator alone, no corner network: for each ``object.locator_backgrounds`` value a
locator is trained as training trains it (``object.locator_steps`` on the config's labelled
frames and synthetic renders on those backgrounds), then on the validation and test frames
its box (``ObjectEstimator.locate``: the strongest blob, squared, with the node's margin) is
compared with the box around the object's true corners (``box_around``, the same margin):
side ratio (locator / true; 1 is right, above 1 the box took in the background), centre
offset in true sides, and misses (no box: the node publishes nothing for that frame).
"""

import argparse
from dataclasses import replace
import sys
import time

import numpy as np
import torch

from fm_pose_ros.core.networks import Locator, OBJECT_LOCATOR
from fm_pose_ros.core.object_codec import box_around, project_points
from fm_pose_ros.core.object_estimator import ObjectEstimator
from training.config import load_config
from training.locator import object_batches, train_locator
from training.object.backgrounds import LOCATOR_BACKGROUNDS
from training.tasks import make_training_data
from training.tools import publish_table


def box_errors(estimator, mesh, settings, frames):
    """Side ratios and centre offsets (in true sides) of the found boxes; the miss count."""
    ratios, offsets, misses = [], [], 0
    for frame in frames:
        box = estimator.locate(frame['rgb'])
        if box is None:
            misses += 1
            continue
        true = box_around(project_points(mesh.corners(), frame['R'], frame['t'], frame['K']),
                          settings, settings.mask_margin)
        ratios.append(box.side / true.side)
        offsets.append(np.linalg.norm(np.subtract(box.centre, true.centre)) / true.side)
    return np.array(ratios), np.array(offsets), misses


def row(name, split, frames, ratios, offsets, misses, minutes):
    """One Markdown table row."""
    if not len(ratios):
        return f'| {name} | {split} | {len(frames)} | - | - | - | - | {misses} | {minutes:.1f} |'
    near = np.mean(np.abs(np.log(ratios)) < np.log(1.25)) * 100
    return (f'| {name} | {split} | {len(frames)} | {np.median(ratios):.2f} | {near:.0f} % | '
            f'{np.median(offsets):.2f} | {np.mean(offsets < 0.15) * 100:.0f} % | {misses} | '
            f'{minutes:.1f} |')


def compare(data, backgrounds):
    """Train one locator per backgrounds value and yield its table rows (val, then test)."""
    splits = [('val', data.val), ('test', data.test)] if data.val else [('test', data.test)]
    for name in backgrounds:
        data.ocfg = replace(data.ocfg, locator_backgrounds=name)
        torch.manual_seed(data.cfg.seed)
        locator = Locator(OBJECT_LOCATOR)
        start = time.perf_counter()
        train_locator(locator, object_batches(data, data.ocfg.locator_batch),
                      data.ocfg.locator_steps)
        minutes = (time.perf_counter() - start) / 60.0
        estimator = ObjectEstimator.from_parts(None, locator.eval(), data.settings,
                                               {'object': data.info})
        for split, frames in splits:
            yield row(name, split, frames,
                      *box_errors(estimator, data.mesh, data.settings, frames), minutes)


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True, help='object training config (YAML)')
    parser.add_argument('--backgrounds', nargs='+', default=['smooth', 'varied'],
                        choices=sorted(LOCATOR_BACKGROUNDS))
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    parser.add_argument('--out', default='docs/results/object_locator_boxes.md')
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, args.set, task='object')
        if cfg.task != 'object':
            raise ValueError(f'{args.config} is a {cfg.task} config, not an object one')
        data = make_training_data(cfg, train=True)
        rows = list(compare(data, args.backgrounds))
    except (OSError, ValueError) as exc:
        print(f'training.tools.locator_boxes: {" ".join(str(exc).split())}', file=sys.stderr)
        return 2
    command = 'python -m training.tools.locator_boxes ' + ' '.join(
        sys.argv[1:] if argv is None else argv)
    return publish_table([
        f'Command: `{command}`', '',
        f'{cfg.object.mesh}: one locator per background set, {cfg.object.locator_steps} steps '
        f'of {cfg.object.locator_batch} frames each. Side ratio = locator box side / true box '
        'side (true box: around the projected corners, with the node\'s margin); offset = '
        'distance between the box centres in true sides.', '',
        '| backgrounds | split | frames | median side ratio | side within 1.25x | median '
        'offset | offset < 0.15 | misses | locator training (min) |',
        '|---|---|---|---|---|---|---|---|---|', *rows], args.out)


if __name__ == '__main__':
    sys.exit(main())
