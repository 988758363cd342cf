# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Write a hand weights file whose learned locator comes from another locator file.

``python -m training.tools.swap_locator --weights models/hand_fm.safetensors
--locator runs/cache/hand-locator-<key>.safetensors --out runs/swapped.safetensors
[--dilations 2,4,8,16]``

The network, its crop settings and metadata stay those of ``--weights``; ``--locator`` is a
locator state file as ``training/locator.cached_locator`` writes it (the architecture of
``HAND_LOCATOR`` with the channels of its layers and ``--dilations``, the
``data.locator_dilations`` it was trained with).
It measures the locator alone: evaluate the result with ``training.evaluate`` beside the
original.
"""

import argparse
import sys

from safetensors import SafetensorError
from safetensors.torch import load_file
import torch

from fm_pose_ros.core.networks import HAND_LOCATOR, Locator
from fm_pose_ros.core.weights import (
    hand_metadata, load_hand_parts, save_weights, weight_modules, WeightsError)
from training.config import DataConfig
from training.hand.data import hand_locator_config


def _layer_order(item):
    """Sort key of a ``Locator`` state entry: its layer index in ``body``."""
    return int(item[0].split('.')[1])


def swap_locator(weights, locator_file, out, dilations=HAND_LOCATOR.dilations):
    """Write ``out``: the network of ``weights`` with the locator of ``locator_file``.

    ``dilations``: the locator's ``data.locator_dilations`` (its channels are read from the
    file).
    """
    model, _, metadata, crop = load_hand_parts(weights, device='cpu')
    state = load_file(locator_file)
    channels = [int(t.shape[0]) for name, t in sorted(state.items(), key=_layer_order)
                if name.endswith('.weight') and t.dim() == 4][:-1]   # the last is the output
    cfg = hand_locator_config(DataConfig(locator_channels=tuple(channels),
                                         locator_dilations=tuple(dilations)))
    locator = Locator(cfg)
    locator.load_state_dict(state)
    new_metadata = hand_metadata(model.cfg, crop, metadata.get('trained', False),
                                 training=metadata.get('training'),
                                 metrics=metadata.get('metrics'), locator_cfg=cfg)
    dtype = max((t.dtype for t in load_file(weights).values() if t.is_floating_point()),
                key=lambda d: torch.finfo(d).bits)  # float16 in shipped files
    save_weights(out, weight_modules(model, locator.eval()), new_metadata, dtype=dtype)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--weights', required=True, help='hand weights file (network)')
    parser.add_argument('--locator', required=True, help='locator state file (safetensors)')
    parser.add_argument('--out', required=True, help='weights file to write')
    parser.add_argument('--dilations', default='2,4',
                        help="the locator's data.locator_dilations, e.g. 2,4,8,16")
    args = parser.parse_args(argv)
    try:
        dilations = [int(value) for value in args.dilations.split(',')]
        swap_locator(args.weights, args.locator, args.out, dilations)
    except (WeightsError, SafetensorError, OSError, RuntimeError, ValueError) as exc:
        print(f'swap_locator: {" ".join(str(exc).split())}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
