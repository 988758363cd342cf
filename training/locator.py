# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Train a locator (coarse segmentation, BB8's first stage): the object's or the hand's.

Target: the fraction of each 4x4-pixel cell covered by the object (or hand); loss: binary
cross-entropy with soft targets, positives up-weighted (the object covers few cells).

- Object: each step half synthetic frames rendered straight at the locator's resolution
  (synthetic look, the mesh anywhere in the frame, on ``object.locator_backgrounds``), half
  real-like training frames.
- Hand: the labelled real frames (hand pixels = where the frame agrees with its clean twin,
  ``hand_locator.hand_mask``), randomly mirrored; the clean synthetic renders have no
  background to tell the hand from, so they would teach nothing.
"""

import hashlib
import json
import logging
import os

import cv2
import numpy as np
from safetensors.torch import load_file, save_file
import torch

from fm_pose_ros.core.fileio import atomic_write
from fm_pose_ros.core.networks import OBJECT_LOCATOR
from fm_pose_ros.core.object_codec import normalise_rgb
from training.object.backgrounds import LOCATOR_BACKGROUNDS
from training.object.datasets import composite, K_LINEMOD, sample_poses, synthetic_lighting
from training.progress import bar, Rate

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
    background = LOCATOR_BACKGROUNDS[data.ocfg.locator_backgrounds]
    R, t = sample_poses(rng, n, data.mesh, data.ocfg.up_axis, data.ocfg.distance_m)
    views = data.renderer.render(R, t, K, width, height, lights=synthetic_lighting(rng, n))
    images, cells = [], []
    for rgb, mask in zip(views['rgb'], views['mask']):
        image = composite({'rgb': rgb, 'mask': mask}, background(rng, width, height))
        images.append((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
        cells.append(cv2.resize(mask.astype(np.float32), (width // stride, height // stride),
                                interpolation=cv2.INTER_AREA))
    return np.stack(images), np.stack(cells)


def locator_loss(logits, target, positive_weight=POSITIVE_WEIGHT):
    """Soft-target binary cross-entropy, positives weighted by ``positive_weight``."""
    weight = 1.0 + (positive_weight - 1.0) * target
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, target, weight=weight)


def object_batches(data, batch, seed=7):
    """Object locator batches: half synthetic renders, half real-like training frames."""
    rng = np.random.default_rng(seed)
    real_in, real_target = data.train['locator_in'], data.train['locator_target']
    while True:
        images, cells = synthetic_locator_batch(data, rng, batch // 2, OBJECT_LOCATOR)
        index = rng.integers(0, len(real_in), batch - batch // 2)
        images = np.concatenate([images, real_in[index]])
        yield (np.stack([normalise_rgb(i) for i in images]),
               np.concatenate([cells, real_target[index]]))


def hand_batches(inputs, cells, batch, seed=7):
    """Hand locator batches from prepared real frames ``(N, h, w)``, half of them mirrored."""
    rng = np.random.default_rng(seed)
    while True:
        index = rng.integers(0, len(inputs), batch)
        x, y = inputs[index].astype(np.float32), cells[index].astype(np.float32)
        flip = rng.random(batch) < 0.5
        x[flip], y[flip] = x[flip, :, ::-1], y[flip, :, ::-1]
        yield x[:, None], y


def train_locator(locator, batches, steps, lr=1e-3, positive_weight=POSITIVE_WEIGHT):
    """Train ``locator`` in place on ``batches`` (iterator of (x, cells)); return last loss.

    ``x``: ``(B, C, H, W)`` float32 normalised input; ``cells``: ``(B, H/4, W/4)`` targets;
    ``positive_weight``: of the hand (object) cells in the loss.
    """
    optimizer = torch.optim.Adam(locator.parameters(), lr=lr)
    locator.train()
    loss = torch.tensor(float('nan'))
    progress, rate = bar(steps, desc='locator'), Rate(steps)
    for step in range(steps):
        x, cells = next(batches)
        loss = locator_loss(locator(torch.from_numpy(np.ascontiguousarray(x))),
                            torch.from_numpy(np.ascontiguousarray(cells, np.float32)[:, None]),
                            positive_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step == int(0.7 * steps):
            for group in optimizer.param_groups:
                group['lr'] = lr * 0.1
        progress.update(1)
        if (step + 1) % 100 == 0:
            LOGGER.info('locator step %d/%d loss %.4f | %s', step + 1, steps, loss.item(),
                        rate.text(step + 1))
    progress.close()
    locator.eval()
    return loss.item()


def state_digest(module):
    """Short content hash of a module's tensors (keys the crops prepared with a locator)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().float().numpy().tobytes())
    return digest.hexdigest()[:12]


def cached_locator(folder, name, key, locator, train):
    """Load ``<folder>/<name>-<hash of key>.safetensors`` into ``locator``, or ``train`` it.

    ``train(locator)`` trains in place; the result is saved atomically for the next run.
    """
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode())
    path = os.path.join(folder, f'{name}-{digest.hexdigest()[:12]}.safetensors')
    if os.path.exists(path):
        try:
            locator.load_state_dict(load_file(path))
            return locator.eval()
        except Exception as exc:  # a truncated or damaged cache file: train it again
            LOGGER.warning('cache %s is damaged (%s): rebuilding it', path, type(exc).__name__)
    train(locator)
    atomic_write(path, lambda tmp: save_file(
        {k: v.contiguous() for k, v in locator.state_dict().items()}, tmp))
    return locator.eval()
