# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Augmentation of the labelled real object crops and their twins (``object.augment``).

The labelled real set is small (1,000 frames in the built-in benchmark) and a fixed crop per
frame is fitted to ~1 px while new frames stay ~7 px off. With augmentation each real frame
is stored once as a *margin crop* (a square ``margin`` x the node's crop box, at the node's
crop resolution, so ``round(S * margin)`` pixels a side) together with its twin rendered into
the same crop camera, and every draw warps both with the same random similarity:

- a new crop box: centre shifted by ``box_shift`` x side, side scaled by ``1 +- box_scale``
  (the locator's error, as the fixed crops had, but fresh at every draw);
- an in-plane rotation of up to ``rotation_deg`` about the box centre;
- a colour change of the real crop only (per-channel gain, contrast, brightness: up to
  ``colour`` relative): the twin is the synthetic look ``g`` maps to, so it stays.

The targets are the corners' projections warped by the same matrix (the network predicts
2D points in the crop, so any 2D similarity keeps image and targets consistent). Pixels the
margin crop does not cover are black, as the node's crops are at the image border.

Shapes: margin crops ``(M, M, 3)`` uint8; corners ``(8, 2)`` (or ``(S, 8, 2)``, one set per
symmetry) margin-crop pixels (pixel
centres at integers, as everywhere in ``fm_pose_ros.core.object_codec``).
"""

import cv2
import numpy as np

from fm_pose_ros.core.object_codec import box_around, BoxCrop


def margin_box(uv, settings, margin):
    """Return the margin crop's BoxCrop around corner pixels ``(8, 2)`` (the node's scale)."""
    box = box_around(uv, settings)
    size = int(round(settings.crop_size * margin))
    return BoxCrop(centre=box.centre, side=size / box.scale, crop_size=size)


def random_warp(rng, size, margin_size, shift, scale, rotation_deg):
    """``(2, 3)`` affine: margin-crop pixel -> crop pixel of a random box (see module doc).

    The unwarped box is the margin crop's centre with side ``size`` (its scale is the crop's).
    """
    side = size * (1.0 + rng.uniform(-scale, scale))
    centre = (margin_size - 1) / 2.0 + rng.uniform(-shift, shift, 2) * size
    angle = np.deg2rad(rng.uniform(-rotation_deg, rotation_deg))
    cos, sin = np.cos(angle), np.sin(angle)
    linear = (size / side) * np.array([[cos, -sin], [sin, cos]])
    offset = (size - 1) / 2.0 - linear @ centre
    return np.hstack([linear, offset[:, None]])


def warp_crop(crop, matrix, size):
    """Resample a margin crop ``(M, M, 3)`` uint8 by ``matrix`` to ``(size, size, 3)``."""
    return cv2.warpAffine(crop, matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def warp_targets(corners, matrix, size):
    """Margin-crop corner pixels ``(..., 8, 2)`` -> targets ``(..., 16)`` of the warped crop.

    The same normalisation as ``object_codec.encode_corners``; leading axes (an object's
    symmetries) are kept.
    """
    corners = np.asarray(corners, np.float64)
    uv = corners @ matrix[:, :2].T + matrix[:, 2]
    return ((uv - (size - 1) / 2.0) / (size / 2.0)).astype(np.float32).reshape(
        *corners.shape[:-2], -1)


def colour_jitter(rng, crop, strength):
    """Random per-channel gain, contrast and brightness of a ``(S, S, 3)`` uint8 crop."""
    if strength <= 0:
        return crop
    image = crop.astype(np.float32)
    mean = image.mean()
    gain = 1.0 + rng.uniform(-strength, strength, 3)
    contrast = 1.0 + rng.uniform(-strength, strength)
    brightness = rng.uniform(-strength, strength) * 128.0
    image = (image - mean) * contrast + mean
    image = image * gain + brightness
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


def augmented_pair(rng, real, twin, corners, size, ocfg):
    """One augmented (real crop, twin crop, targets ``(16,)``) from margin crops."""
    matrix = random_warp(rng, size, real.shape[0], ocfg.box_shift, ocfg.box_scale,
                         ocfg.augment_rotation_deg)
    return (colour_jitter(rng, warp_crop(real, matrix, size), ocfg.augment_colour),
            warp_crop(twin, matrix, size), warp_targets(corners, matrix, size))
