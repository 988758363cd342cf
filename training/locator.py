# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Train the object locator (coarse segmentation, BB8's first stage) from the same renders.

Each step: half synthetic frames rendered straight at the locator's resolution (synthetic
look, the mesh anywhere in the frame) and half real-like training frames (letterboxed).
Target: the fraction of each 4x4-pixel cell covered by the object; loss: binary cross-
entropy with soft targets, positives up-weighted (the object covers few cells).
"""

import logging

import cv2
import numpy as np
import torch
from tqdm import tqdm

from fm_pose_ros.object_codec import normalise_rgb
from training.object_datasets import (
    composite, K_LINEMOD, sample_poses, synthetic_background, synthetic_lighting)

LOGGER = logging.getLogger(__name__)
POSITIVE_WEIGHT = 4.0


def synthetic_locator_batch(data, rng, n, cfg):
    """Synthetic frames ``(n, h, w, 3)`` uint8 at the locator's size, cell targets too.

    The frames are 4:3 like the real-like ones, so letterboxing is a plain downscale.
    """
    width, height, stride = cfg.width, cfg.height, cfg.stride
    scale = width / 640.0
    K = K_LINEMOD.copy()
    K[:2] *= scale
    K[:2, 2] += 0.5 * scale - 0.5  # pixel centres at integers before and after scaling
    R, t = sample_poses(rng, n, data.mesh, data.ocfg.up_axis, data.ocfg.distance_m)
    views = data.renderer.render(R, t, K, width, height, lights=synthetic_lighting(rng, n))
    images, cells = [], []
    for rgb, mask in zip(views['rgb'], views['mask']):
        image = composite({'rgb': rgb, 'mask': mask}, synthetic_background(rng, width, height))
        images.append((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
        cells.append(cv2.resize(mask.astype(np.float32), (width // stride, height // stride),
                                interpolation=cv2.INTER_AREA))
    return np.stack(images), np.stack(cells)


def locator_loss(logits, target):
    """Soft-target binary cross-entropy, positives weighted by POSITIVE_WEIGHT."""
    weight = 1.0 + (POSITIVE_WEIGHT - 1.0) * target
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, target, weight=weight)


def train_locator(locator, data, steps, batch, lr=1e-3, seed=7):
    """Train ``locator`` in place on ``data`` (ObjectTrainingData); return the last loss."""
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(locator.parameters(), lr=lr)
    real_in, real_target = data.train['locator_in'], data.train['locator_target']
    locator.train()
    loss = torch.tensor(float('nan'))
    for step in tqdm(range(steps), desc='locator'):
        images, cells = synthetic_locator_batch(data, rng, batch // 2, locator.cfg)
        index = rng.integers(0, len(real_in), batch - batch // 2)
        images = np.concatenate([images, real_in[index]])
        cells = np.concatenate([cells, real_target[index]])
        x = torch.from_numpy(np.stack([normalise_rgb(i) for i in images]))
        loss = locator_loss(locator(x), torch.from_numpy(cells[:, None]))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step == int(0.7 * steps):
            for group in optimizer.param_groups:
                group['lr'] = lr * 0.1
        if (step + 1) % 100 == 0:
            LOGGER.info('locator step %d loss %.4f', step + 1, float(loss))
    locator.eval()
    return loss.item()
