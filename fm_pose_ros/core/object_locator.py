# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The object locator's output -> crop box: the largest blob of its probability map.

The locator (``networks.Locator``, BB8's first stage) sees the RGB image letterboxed into its
input (``letterbox``) and gives a per-cell object probability ``(h, w)``, one cell per
``stride`` letterbox pixels. The blob with the most probability mass is the object; the square
``object_codec.BoxCrop`` around it is the first crop of the corner network.
"""

import cv2
import numpy as np

from fm_pose_ros.core.object_codec import box_around


def box_from_mask(probability, scale, stride, settings, threshold=0.5):
    """Return a BoxCrop around the largest blob of the locator's probability map, or None.

    ``probability`` ``(h, w)`` per cell of ``stride`` letterbox pixels; ``scale`` maps full-
    image pixels to letterbox pixels. The blob's cells give the 2D extent of the object.
    """
    mask = (np.asarray(probability) > threshold).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count < 2:
        return None
    # the blob with the most probability mass, not merely the most cells
    mass = np.bincount(labels.ravel(), weights=np.asarray(probability).ravel())[1:]
    best = 1 + int(np.argmax(mass))
    x, y, w, h = stats[best, :4]
    corners = np.array([[x, y], [x + w, y + h]], np.float64) * stride / scale - 0.5
    box = box_around(corners, settings, settings.mask_margin)
    return box if box.side >= settings.min_side_px else None
