# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""HandEstimator: the same frame gives the same joints through torch and ONNX Runtime."""

from conftest import blob_frame, write_hand_weights_with_locator
import numpy as np
import pytest

from fm_pose_ros.core.hand_com import locate_hand
from fm_pose_ros.core.hand_estimator import HandEstimator, NoHandError


@pytest.mark.parametrize('backend', ['torch', 'onnxruntime'])
def test_estimate_shapes_and_frame(weights_path, backend):
    depth, K, centre = blob_frame()
    estimate = HandEstimator(weights_path, 'cpu', backend, threads=1).estimate(depth, K)
    assert estimate.joints_mm.shape == (14, 3) and estimate.crop.shape == (128, 128)
    assert np.linalg.norm(estimate.com_mm[:2] - centre[:2]) < 25.0
    assert set(estimate.timings_ms) == {'preprocess', 'network', 'decode'}


def test_backends_agree(weights_path):
    depth, K, _ = blob_frame()
    by_torch = HandEstimator(weights_path, 'cpu', 'torch').estimate(depth, K).joints_mm
    by_onnx = HandEstimator(weights_path, 'cpu', 'onnxruntime').estimate(depth, K).joints_mm
    np.testing.assert_allclose(by_onnx, by_torch, atol=1e-2)


def test_no_hand_raises(weights_path):
    estimator = HandEstimator(weights_path, 'cpu', 'torch')
    with pytest.raises(NoHandError):
        estimator.estimate(np.zeros((480, 640), np.float32), blob_frame()[1])


def test_crop_overrides_are_validated(weights_path):
    estimator = HandEstimator(weights_path, 'cpu', 'torch', {'depth_max_mm': 900.0})
    assert estimator.crop_settings.depth_max_mm == 900.0
    assert estimator.crop_settings.cube_mm == (300.0, 300.0, 300.0)
    with pytest.raises(ValueError, match='crop_size'):
        HandEstimator(weights_path, 'cpu', 'torch', {'crop_size': 96})
    with pytest.raises(ValueError, match='depth_min_mm < depth_max_mm'):
        estimator.set_crop_overrides({'depth_min_mm': 1000.0, 'depth_max_mm': 900.0})


def test_weights_with_a_learned_locator_crop_where_it_points(tmp_path):
    depth, K, _ = blob_frame()
    everywhere = write_hand_weights_with_locator(tmp_path / 'all.safetensors', 10.0)
    estimator = HandEstimator(everywhere, 'cpu', 'onnxruntime')
    assert estimator.locate is not None
    # every in-range pixel is "hand": the centre of mass of the blob, as the heuristic finds
    com = estimator.estimate(depth, K).com_mm
    np.testing.assert_allclose(com, locate_hand(depth, K, estimator.crop_settings), atol=2.0)
    nowhere = write_hand_weights_with_locator(tmp_path / 'none.safetensors', -10.0)
    with pytest.raises(NoHandError, match='no hand found'):
        HandEstimator(nowhere, 'cpu', 'torch').estimate(depth, K)
