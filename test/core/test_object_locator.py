# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object locator output: the box around the blob with the most probability mass."""

import numpy as np
import pytest

from fm_pose_ros.core.object_codec import ObjectCropSettings
from fm_pose_ros.core.object_locator import box_from_mask


def test_box_from_mask_takes_the_strongest_blob():
    scale = 0.25  # a 640x480 image letterboxed into 160x120
    probability = np.zeros((30, 40))
    probability[10:14, 20:25] = 0.9   # cells (x 20-24, y 10-13) = image px 320-400, 160-224
    probability[2, 2] = 0.6           # a weaker single-cell blob loses
    box = box_from_mask(probability, scale, 4, ObjectCropSettings())
    np.testing.assert_allclose(box.centre, [359.5, 191.5])
    assert box.side == pytest.approx(2.0 * 80)   # mask_margin
    assert box_from_mask(np.zeros((30, 40)), scale, 4, ObjectCropSettings()) is None


def test_a_blob_smaller_than_the_minimum_side_is_no_object():
    probability = np.zeros((30, 40))
    probability[5, 5] = 0.9           # one cell: 16 image px, x 2 margin = 32 px side
    assert box_from_mask(probability, 0.25, 4, ObjectCropSettings(min_side_px=40.0)) is None
    assert box_from_mask(probability, 0.25, 4, ObjectCropSettings(min_side_px=30.0)) is not None
