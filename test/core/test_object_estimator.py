# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object estimator: the re-crop moves to the predicted corners and keeps its side; turned
crops (``rotation_deg``) are decoded in their own frame and averaged."""

from dataclasses import replace
import warnings

from conftest import K_VGA, OBJECT_SIZE
import numpy as np
import pytest

from fm_pose_ros.core.camera import IntrinsicsError
from fm_pose_ros.core.networks import Locator, OBJECT_LOCATOR
from fm_pose_ros.core.object_codec import BoxCrop, encode_corners, ObjectCropSettings
from fm_pose_ros.core.object_estimator import ObjectEstimator, recentred

BOX = BoxCrop(centre=np.array([300.0, 200.0]), side=120.0, crop_size=64)
TRUE_UV = np.array([[280.0, 180.0], [330.0, 185.0], [275.0, 230.0], [325.0, 228.0],
                    [283.0, 175.0], [333.0, 190.0], [270.0, 226.0], [320.0, 236.0]])


def test_recentred_box_moves_to_the_corners_and_keeps_the_locator_side():
    box = BoxCrop(centre=np.array([300.0, 200.0]), side=120.0, crop_size=64)
    # predicted corners: a (shrunken) 60 x 40 px box centred on (330, 215)
    corners = np.array([[300.0, 195.0], [360.0, 235.0]] * 4)
    moved = recentred(box, corners, ObjectCropSettings())
    np.testing.assert_allclose(moved.centre, [330.0, 215.0])
    assert moved.side == 120.0 and moved.crop_size == 64


def estimator(run_network, rotation_deg):
    return ObjectEstimator.from_parts(run_network, Locator(OBJECT_LOCATOR), ObjectCropSettings(),
                                      {'object': {'corners_m': np.zeros((8, 3)).tolist()}},
                                      refine_steps=0, rotation_deg=rotation_deg)


def test_turned_crops_are_decoded_in_their_own_frame_and_averaged():
    seen = []

    def perfect(crops):  # a network that reads every (turned) crop right
        seen.append(crops.shape)
        return np.stack([encode_corners(TRUE_UV, replace(BOX, angle_deg=a))
                         for a in est.angles_deg])
    est = estimator(perfect, 15.0)
    assert est.angles_deg == (0.0, 15.0, -15.0)
    rgb = np.zeros((480, 640, 3), np.uint8)
    np.testing.assert_allclose(est.corners_in(rgb, BOX), TRUE_UV, atol=1e-6)
    assert seen == [(3, 3, 64, 64)]  # one batch
    # a network blind to the turn (same output for every crop) is averaged over the turns
    blind = estimator(lambda crops: np.repeat(encode_corners(TRUE_UV, BOX)[None], 3, 0), 15.0)
    assert np.abs(blind.corners_in(rgb, BOX) - TRUE_UV).max() > 0.5
    assert estimator(perfect, 0.0).angles_deg == (0.0,)


@pytest.mark.parametrize('row, col, value', [
    (0, 0, 1e300), (1, 1, 1e-300), (0, 2, 1e9), (1, 2, -1e9), (2, 2, 0.0)])
def test_implausible_intrinsics_are_refused_without_a_numpy_warning(object_weights, row, col,
                                                                    value):
    estimator = ObjectEstimator(object_weights, 'cpu', 'torch', threads=1, refine_steps=0)
    rgb = np.zeros((*OBJECT_SIZE, 3), np.uint8)
    assert estimator.estimate(rgb, K_VGA).t[2] > 0
    K = K_VGA.copy()
    K[row, col] = value
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(IntrinsicsError, match='intrinsics'):
            estimator.estimate(rgb, K)
