# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Write a seeded, UNTRAINED hand model (``python -m training.init_weights --out F``).

Used as a clearly labelled placeholder (metadata ``trained: false``; the node warns) until
a trained model is shipped, and by tests that need a real weights file quickly.
"""

import argparse
import logging
import sys

import torch

from fm_pose_ros.checkpoint import hand_metadata, save_weights
from fm_pose_ros.hand_codec import CropSettings
from fm_pose_ros.networks import FeatureMappingNet, NetConfig


def write_untrained(path, seed=0, net_cfg=NetConfig(), crop=CropSettings()):
    """Initialise the network with ``seed`` and save it with ``trained: false``."""
    torch.manual_seed(seed)
    model = FeatureMappingNet(net_cfg)
    save_weights(path, model, hand_metadata(net_cfg, crop, trained=False,
                                            training={'seed': seed, 'steps': 0}))
    return path


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', required=True, help='output .safetensors path')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    write_untrained(args.out, args.seed)
    logging.info('wrote untrained placeholder weights to %s', args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
