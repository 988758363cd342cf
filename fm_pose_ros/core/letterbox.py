# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Letterboxing for both locators: a full image scaled into a fixed canvas, top-left aligned.

The aspect ratio is kept and the canvas is padded right and bottom. ``scale`` is letterbox
pixels per full-image pixel. The object locator letterboxes RGB ``(H, W, 3)`` uint8
(``letterbox``, zero padding); the hand locator depth ``(H, W)`` mm with its own sampling and
padding (``hand_locator.locator_input``), on the same ``letterbox_size``.
"""

import cv2
import numpy as np


def letterbox_size(shape, width, height):
    """Scale and letterboxed image size ``(w, h)`` of an image of ``shape`` ``(H, W, ...)``."""
    h, w = shape[:2]
    scale = min(width / w, height / h)
    return scale, (max(1, round(w * scale)), max(1, round(h * scale)))


def letterbox(rgb, width, height):
    """Resize ``rgb`` ``(H, W, 3)`` into a ``(height, width, 3)`` canvas, top-left aligned.

    Keeps the aspect ratio (zero padding right/bottom). Returns ``(canvas, scale)`` with
    canvas pixel = ``scale`` x full-image pixel.
    """
    scale, size = letterbox_size(rgb.shape, width, height)
    canvas = np.zeros((height, width, 3), np.uint8)
    canvas[:size[1], :size[0]] = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return canvas, scale
