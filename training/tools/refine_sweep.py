# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Accuracy against cost of the object estimator's re-crop passes and turned crops.

``python -m training.tools.refine_sweep --weights models/object_fm.safetensors [--steps 0 1 2 3]
[--rotations 0 15] [--split val] [--out docs/results/object_refinement.md]``

Each pass (``refine_steps``) re-crops around the corners the previous pass predicted (the crop
the network was trained on, now centred on the object) and runs the network again; with a
rotation (``test_rotation_deg``) every crop also runs turned by +- that angle and the corners
are averaged. For every combination the weights are evaluated end to end
(``training.evaluate``: locator, crops, network, PnP, torch on this machine's CPU) and the
table gives the accuracies and the estimate time per VGA frame.
"""

import argparse
import sys

from fm_pose_ros.core.fileio import atomic_write_text
from fm_pose_ros.core.weights import WeightsError
from training.evaluate import evaluate_file


def sweep(weights, steps, rotations, split):
    """``[((refine_steps, test_rotation_deg), report)]`` for every combination."""
    return [((count, angle), evaluate_file(
        weights, split=split,
        set_items=[f'object.refine_steps={count}', f'object.test_rotation_deg={angle}']))
        for angle in rotations for count in steps]


def table(rows, command):
    """Markdown table of the sweep, with the command."""
    lines = [f'Command: `{command}`', '',
             '| re-crop passes | turned crops (deg) | 2D projection < 5 px | ADD(-S) < 10 % | '
             '5cm5deg | median 2D error (px) | estimate ms / frame |',
             '|---|---|---|---|---|---|---|']
    for (count, angle), report in rows:
        turns = f'+-{angle:g}' if angle else 'none'
        lines.append(f"| {count} | {turns} | {100 * report['proj2d_acc']:.1f} % | "
                     f"{100 * report['add_acc']:.1f} % | {100 * report['cm5deg5_acc']:.1f} % | "
                     f"{report['median_proj2d_px']:.2f} | "
                     f"{report['estimate_ms_per_frame']:.1f} |")
    return '\n'.join(lines) + '\n'


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--weights', required=True, help='object weights file')
    parser.add_argument('--steps', type=int, nargs='+', default=[0, 1, 2, 3])
    parser.add_argument('--rotations', type=float, nargs='+', default=[0.0, 15.0],
                        help='test_rotation_deg values (0 = one crop)')
    parser.add_argument('--split', choices=('val', 'test'), default='val')
    parser.add_argument('--out', default='docs/results/object_refinement.md')
    args = parser.parse_args(argv)
    try:
        rows = sweep(args.weights, args.steps, args.rotations, args.split)
    except (WeightsError, OSError, ValueError) as exc:
        print(f'training.tools.refine_sweep: {exc}', file=sys.stderr)
        return 2
    command = 'python -m training.tools.refine_sweep ' + ' '.join(
        sys.argv[1:] if argv is None else argv)
    text = table(rows, command)
    print(text)
    atomic_write_text(args.out, text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
