# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Draw what the networks see: synthetic, real-like and twin crops with the joints.

``python -m training.tools.pictures --out docs/results/hand_samples.png [--rows 4] [--seed 0]
[--weights W]``
Columns: synthetic crop (clean render), real-like crop (sensor effects, forearm, clutter,
cropped where the node crops it with the weights' locator), its synthetic twin (same pose,
same crop transform).
"""

import argparse
import sys

import cv2
import numpy as np

from fm_pose_ros.core.hand_codec import crop_hand
from fm_pose_ros.core.hand_estimator import HandEstimator
from fm_pose_ros.core.hand_joints import SKELETON
from fm_pose_ros.core.resources import default_hand_weights
from training.hand.datasets import real_like_frames, synthetic_crops
from training.hand.model import sample_poses


def draw(crop, joints_px):
    """Crop in [-1, 1] -> BGR image (near = bright) with the skeleton drawn."""
    gray = ((1.0 - crop) * 127.5).astype(np.uint8)
    image = cv2.cvtColor(cv2.resize(gray, (256, 256), interpolation=cv2.INTER_NEAREST),
                         cv2.COLOR_GRAY2BGR)
    points = np.round(joints_px * 2 + 0.5).astype(int)
    for a, b in SKELETON:
        cv2.line(image, tuple(points[a]), tuple(points[b]), (0, 200, 255), 2)
    for point in points:
        cv2.circle(image, tuple(point), 3, (0, 0, 255), -1)
    return image


def crop_pixels(target, size):
    """Normalised targets (14, 3) of a crop -> approximate crop pixels (orthographic)."""
    return (target[:, :2] + 1.0) * size / 2.0 - 0.5


def main(argv=None):
    """Write the PNG grid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='docs/results/hand_samples.png')
    parser.add_argument('--rows', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--weights', default=default_hand_weights(), help='whose localiser crops')
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    estimator = HandEstimator(args.weights, 'cpu', 'torch')
    settings, codec = estimator.crop_settings, estimator.codec
    syn, syn_targets = synthetic_crops(rng, sample_poses(rng, args.rows), settings, 0.0)
    rows = []
    for i, record in enumerate(real_like_frames(rng, args.rows)):
        com = estimator.find_hand(record['depth'], record['K'])
        if com is None:
            continue
        sample = codec.encode(record['depth'], record['K'], joints_mm=record['joints'],
                              com=com)
        transform = sample['transform']
        twin, _ = crop_hand(record['twin'], record['K'], transform.com, settings)
        real_px = transform.to_crop_pixels(record['joints'])
        rows.append(np.hstack([draw(syn[i], crop_pixels(syn_targets[i], 128)),
                               draw(sample['crop'], real_px), draw(twin, real_px)]))
    cv2.imwrite(args.out, np.vstack(rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
