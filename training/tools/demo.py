# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``make demo``: a generated depth bag replayed into the hand node over DDS, then the report.

``python -m training.tools.demo [--task hand|object] [--out build/demo] [--frames 90]
[--weights W]``

1. renders a smooth hand motion in the real-like sensor domain (training/hand/sensor_sim.py:
   noise, holes, forearm, clutter) at 30 Hz, VGA 16UC1, with ground truth;
2. writes it as an mcap rosbag2 (``<out>/bag``);
3. runs ``replay_eval --start-node``: hand_node as its own process, frames published at the
   recorded rate over Fast DDS, outputs matched to the ground truth by stamp;
4. prints the summary (``<out>/report/summary.md``; plots and report.json beside it).

``--task object`` does the same for the object node: real-like RGB frames of the shipped
object (training/object/datasets.py, test-set photos as backgrounds), rgb8, VGA, 30 Hz, with
aligned depth (16UC1, training/object/depth_sensor.py): replay_eval replays the bag colour only,
then with the depth, and prints both scores (RGB, and RGB-D: the node's ICP refinement).
"""

import argparse
import os
import shutil
import sys

import numpy as np

from fm_pose_ros.core.resources import default_hand_weights, default_object_weights
from fm_pose_ros.core.weights import read_metadata
from fm_pose_ros.evaluation.bags import write_hand_bag, write_object_bag
from fm_pose_ros.evaluation.replay_eval import main as replay_main
from training.hand.datasets import pose_sequence, real_like_frames

DEPTH_SEED = 1  # the object demo's depth sensor draws from seed [--seed, DEPTH_SEED]


def write_hand_demo(bag, rng, count):
    """Write a smooth real-like hand motion (VGA 16UC1) as a bag; return the frame count."""
    frames = real_like_frames(rng, count, label_noise=False, poses=pose_sequence(rng, count))
    return write_hand_bag(bag, ({**f, 'joints': f['joints_true']} for f in frames))


def write_object_demo(bag, rng, count, weights, depth_rng):
    """Write real-like RGB-D frames of the weights' object (VGA rgb8 + aligned 16UC1) as a bag.

    Returns the frame count; ``depth_rng`` draws the depth sensor's effects.
    """
    from training.config import from_dict
    from training.object.meshes import load_mesh
    from training.object.datasets import load_photos, real_frames, TEST_PHOTOS
    from training.render.rgb import MeshRenderer
    training = dict(read_metadata(weights)['training'])
    training.pop('steps', None)
    ocfg = from_dict(training).object
    mesh = load_mesh(ocfg.mesh, ocfg.units, ocfg.scale, ocfg.symmetric)
    frames = real_frames(MeshRenderer(mesh), mesh, rng, count, load_photos(TEST_PHOTOS),
                         ocfg.up_axis, ocfg.distance_m, depth_rng=depth_rng)
    return write_object_bag(bag, frames)


def main(argv=None):
    """Generate the bag, replay it into the node, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--task', choices=('hand', 'object'), default='hand')
    parser.add_argument('--out', default='build/demo')
    parser.add_argument('--frames', type=int, default=90)
    parser.add_argument('--seed', type=int, default=7)
    parser.add_argument('--weights', help='default: the shipped model of the task')
    args = parser.parse_args(argv)
    args.weights = args.weights or (default_object_weights() if args.task == 'object'
                                    else default_hand_weights())
    bag = os.path.join(args.out, 'bag')
    shutil.rmtree(bag, ignore_errors=True)
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    count = (write_object_demo(bag, rng, args.frames, args.weights,
                               np.random.default_rng([args.seed, DEPTH_SEED]))
             if args.task == 'object' else write_hand_demo(bag, rng, args.frames))
    label = ('trained' if read_metadata(args.weights).get('trained')
             else 'UNTRAINED placeholder: accuracy is meaningless')
    kind = 'RGB-D' if args.task == 'object' else 'depth'
    print(f'demo: wrote {count} real-like VGA {kind} frames at 30 Hz to {bag}')
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
