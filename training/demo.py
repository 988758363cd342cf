# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``make demo``: a generated depth bag replayed into the hand node over DDS, then the report.

``python -m training.demo [--out build/demo] [--frames 90] [--weights W]``

1. renders a smooth hand motion in the real-like sensor domain (training/sensor_sim.py:
   noise, holes, forearm, clutter) at 30 Hz, VGA 16UC1, with ground truth;
2. writes it as an mcap rosbag2 (``<out>/bag``);
3. runs ``replay_eval --start-node``: hand_node as its own process, frames published at the
   recorded rate over Fast DDS, outputs matched to the ground truth by stamp;
4. prints the summary (``<out>/report/summary.md``; plots and report.json beside it).
"""

import argparse
import os
import shutil
import sys

import numpy as np

from fm_pose_ros.bags import write_hand_bag
from fm_pose_ros.checkpoint import read_metadata
from fm_pose_ros.replay_eval import main as replay_main
from fm_pose_ros.resources import default_weights
from training.datasets import pose_sequence, real_like_frames


def main(argv=None):
    """Generate the bag, replay it into the node, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='build/demo')
    parser.add_argument('--frames', type=int, default=90)
    parser.add_argument('--seed', type=int, default=7)
    parser.add_argument('--weights', default=default_weights())
    args = parser.parse_args(argv)
    bag = os.path.join(args.out, 'bag')
    shutil.rmtree(bag, ignore_errors=True)
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    frames = real_like_frames(rng, args.frames, label_noise=False,
                              poses=pose_sequence(rng, args.frames))
    count = write_hand_bag(bag, ({**f, 'joints': f['joints_true']} for f in frames))
    label = ('trained' if read_metadata(args.weights).get('trained')
             else 'UNTRAINED placeholder: accuracy is meaningless')
    print(f'demo: wrote {count} real-like VGA depth frames at 30 Hz to {bag}')
    print(f'demo: weights {args.weights} ({label})')
    report = os.path.join(args.out, 'report')
    code = replay_main([bag, '--start-node', '--weights', args.weights, '--mode', 'realtime',
                        '--out', report])
    summary = os.path.join(report, 'summary.md')
    if os.path.exists(summary):
        print(open(summary, encoding='utf-8').read())
    return code


if __name__ == '__main__':
    sys.exit(main())
