# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Letterboxing: aspect ratio kept, image top-left, zero padding right and bottom."""

import numpy as np

from fm_pose_ros.core.letterbox import letterbox, letterbox_size


def test_letterbox_keeps_the_aspect_ratio_and_pads_bottom_right():
    canvas, scale = letterbox(np.zeros((480, 640, 3), np.uint8), 160, 120)
    assert canvas.shape == (120, 160, 3) and scale == 0.25
    wide, wide_scale = letterbox(np.full((360, 640, 3), 255, np.uint8), 160, 120)
    assert wide_scale == 0.25 and wide.shape == (120, 160, 3)
    assert wide[:90].min() == 255 and wide[90:].max() == 0   # 360 rows x 0.25 = 90


def test_size_of_a_tall_image_is_bounded_by_the_height():
    scale, size = letterbox_size((640, 480), 160, 120)
    assert scale == 120 / 640 and size == (90, 120)
    assert letterbox_size((1, 1000, 3), 160, 120)[1] == (160, 1)   # never empty
