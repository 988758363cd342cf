# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Learned hand localiser: a coarse hand segmentation of the whole depth frame -> crop centre.

The centre-of-mass localiser ``hand_com.locate_hand`` takes the closest object: in real
scenes the forearm pulls its centre towards the elbow and a near wall or object can win
outright. This localiser segments hand pixels with ``networks.Locator`` (the object node's
coarse FCN, here on one depth channel) and returns the centre of mass of the segmented hand
pixels, i.e. the same definition of "hand centre" as the synthetic training crops use.

Conventions
-----------
- Input: depth ``(H, W)`` float mm (0 = none) letterboxed top-left into ``(height, width)``
  (``letterbox.letterbox_size``) by nearest-neighbour sampling and normalised
  ``clip(d / 1000 mm - 1, -1, 1)``; missing depth and padding are +1 (far).
- Output: per-cell hand probability ``(height / 4, width / 4)``; training targets are the
  fraction of each cell covered by hand pixels (``hand_cells``).
- Centre: mm, camera optical frame, like ``hand_com.locate_hand``; None when no hand is found.
"""

import cv2
import numpy as np

from fm_pose_ros.core.hand_codec import cube_bounds
from fm_pose_ros.core.hand_com import centre_of_mass
from fm_pose_ros.core.letterbox import letterbox_size
from fm_pose_ros.core.networks import HAND_LOCATOR

DEPTH_SCALE_MM = 1000.0   # normalised input = depth / DEPTH_SCALE_MM - 1


def locator_input(depth_mm, cfg=HAND_LOCATOR):
    """Depth ``(H, W)`` mm -> locator input ``(height, width)`` float32 and the scale."""
    depth = np.asarray(depth_mm, np.float32)
    scale, size = letterbox_size(depth.shape, cfg.width, cfg.height)
    small = cv2.resize(depth, size, interpolation=cv2.INTER_NEAREST)
    canvas = np.ones((cfg.height, cfg.width), np.float32)
    canvas[:size[1], :size[0]] = np.where(
        small > 0, np.clip(small / DEPTH_SCALE_MM - 1.0, -1.0, 1.0), 1.0)
    return canvas, scale


def hand_cells(mask, cfg=HAND_LOCATOR):
    """Hand pixel mask ``(H, W)`` -> fraction of each locator cell covered ``(h/4, w/4)``."""
    _, size = letterbox_size(mask.shape, cfg.width, cfg.height)
    canvas = np.zeros((cfg.height, cfg.width), np.float32)
    canvas[:size[1], :size[0]] = cv2.resize(np.asarray(mask, np.float32), size,
                                            interpolation=cv2.INTER_AREA)
    return cv2.resize(canvas, (cfg.width // cfg.stride, cfg.height // cfg.stride),
                      interpolation=cv2.INTER_AREA)


def hand_mask(depth_mm, twin_mm, tolerance_mm=25.0):
    """Visible hand pixels of a real frame: measured where its clean twin render agrees."""
    depth, twin = np.asarray(depth_mm, np.float32), np.asarray(twin_mm, np.float32)
    return (twin > 0) & (depth > 0) & (np.abs(depth - twin) < tolerance_mm)


def full_resolution(probability, shape, scale, cfg=HAND_LOCATOR):
    """Per-cell probability ``(h/4, w/4)`` -> per-pixel probability of the ``(H, W)`` image."""
    _, size = letterbox_size(shape, cfg.width, cfg.height)
    canvas = cv2.resize(np.asarray(probability, np.float32), (cfg.width, cfg.height),
                        interpolation=cv2.INTER_LINEAR)
    return cv2.resize(canvas[:size[1], :size[0]], (shape[1], shape[0]),
                      interpolation=cv2.INTER_LINEAR)


def _hand_window(cells, shape, scale, stride):
    """Image pixel window ``(v0, v1, u0, u1)`` of the hand cells, one cell of margin."""
    rows, cols = np.nonzero(cells)
    step = stride / scale
    return (max(int((rows.min() - 1) * step), 0), min(int((rows.max() + 2) * step) + 1, shape[0]),
            max(int((cols.min() - 1) * step), 0), min(int((cols.max() + 2) * step) + 1, shape[1]))


def centre_from_probability(depth_mm, K, probability, settings, cfg=HAND_LOCATOR,
                            threshold=0.5):
    """Hand centre (mm) from the locator's probability map, or None.

    Hand pixels: probability > ``threshold`` and depth in range; those farther than half the
    cube from their median depth are dropped (a false positive on the wall), then the centre
    of mass is taken once more over the hand pixels inside the cube around the first one.
    Only the window around the hand cells is examined at full resolution.
    """
    depth = np.asarray(depth_mm, np.float32)
    cells = np.asarray(probability) > threshold
    if not cells.any():
        return None
    scale = letterbox_size(depth.shape, cfg.width, cfg.height)[0]
    v0, v1, u0, u1 = _hand_window(cells, depth.shape, scale, cfg.stride)
    full = full_resolution(probability, depth.shape, scale, cfg)[v0:v1, u0:u1]
    depth = depth[v0:v1, u0:u1]
    K = np.array(K, np.float64)            # intrinsics of the window
    K[0, 2] -= u0
    K[1, 2] -= v0
    hand = (depth > settings.depth_min_mm) & (depth < settings.depth_max_mm) & (full > threshold)
    if hand.sum() < settings.min_hand_pixels:
        return None
    hand &= np.abs(depth - np.median(depth[hand])) < settings.cube_mm[2] / 2.0
    return _centre_in_cube(depth, hand, centre_of_mass(depth, hand, K), K, settings)


def _centre_in_cube(depth, hand, com, K, settings):
    """Centre of mass of the ``hand`` pixels inside the cube around ``com``, or None."""
    u0, v0, u1, v1 = cube_bounds(com, settings.cube_mm, K)
    box = np.zeros_like(hand)
    box[max(int(v0), 0):max(int(np.ceil(v1)) + 1, 0),
        max(int(u0), 0):max(int(np.ceil(u1)) + 1, 0)] = True
    inside = hand & box & (np.abs(depth - com[2]) < settings.cube_mm[2] / 2.0)
    if inside.sum() < settings.min_hand_pixels:
        return None
    return centre_of_mass(depth, inside, K)


class HandLocator:
    """Find the hand centre with a trained ``networks.Locator``; call it on a depth frame.

    ``run``: a backend (backends.py) running the locator, ``(B, 1, h, w)`` -> logits
    ``(B, 1, h/4, w/4)``; ``cfg``: its LocatorConfig.
    """

    def __init__(self, run, cfg, settings, threshold=0.5):
        self.run, self.cfg, self.settings, self.threshold = run, cfg, settings, threshold

    def probability(self, depth_mm):
        """Per-cell hand probability ``(h/4, w/4)`` of one depth frame."""
        canvas, _ = locator_input(depth_mm, self.cfg)
        logits = np.asarray(self.run(canvas[None, None]), np.float32)[0, 0]
        return 1.0 / (1.0 + np.exp(-logits))

    def __call__(self, depth_mm, K):
        """Hand centre ``(3,)`` mm, camera frame, or None when no hand is found."""
        return centre_from_probability(depth_mm, K, self.probability(depth_mm), self.settings,
                                       self.cfg, self.threshold)
