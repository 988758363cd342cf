# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object estimator refinement: the re-crop moves to the predicted corners, keeps its side."""

import numpy as np

from fm_pose_ros.core.object_codec import BoxCrop, ObjectCropSettings
from fm_pose_ros.core.object_estimator import recentred


def test_recentred_box_moves_to_the_corners_and_keeps_the_locator_side():
    box = BoxCrop(centre=np.array([300.0, 200.0]), side=120.0, crop_size=64)
    # predicted corners: a (shrunken) 60 x 40 px box centred on (330, 215)
    corners = np.array([[300.0, 195.0], [360.0, 235.0]] * 4)
    moved = recentred(box, corners, ObjectCropSettings())
    np.testing.assert_allclose(moved.centre, [330.0, 215.0])
    assert moved.side == 120.0 and moved.crop_size == 64
