# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""HandEstimator: the same frame gives the same joints through torch and ONNX Runtime."""

import warnings

from conftest import blob_frame, write_hand_weights_with_locator
import numpy as np
import pytest
from sensor_msgs.msg import Image

from fm_pose_ros.core.camera import IntrinsicsError
from fm_pose_ros.core.hand_com import locate_hand
from fm_pose_ros.core.hand_estimator import HandEstimator, NoHandError
from fm_pose_ros.core.image_codec import depth_to_mm, fill_image
from fm_pose_ros.core.joint_filter import OneEuroFilter


@pytest.mark.parametrize('backend', ['torch', 'onnxruntime'])
def test_estimate_shapes_and_frame(weights_path, backend):
    depth, K, centre = blob_frame()
    estimate = HandEstimator(weights_path, 'cpu', backend, threads=1).estimate(depth, K)
    assert estimate.joints_mm.shape == (14, 3) and estimate.crop.shape == (128, 128)
    assert np.linalg.norm(estimate.com_mm[:2] - centre[:2]) < 25.0
    assert set(estimate.timings_ms) == {'preprocess', 'network', 'decode', 'fit'}


def test_backends_agree(weights_path):
    depth, K, _ = blob_frame()
    by_torch = HandEstimator(weights_path, 'cpu', 'torch').estimate(depth, K).joints_mm
    by_onnx = HandEstimator(weights_path, 'cpu', 'onnxruntime').estimate(depth, K).joints_mm
    np.testing.assert_allclose(by_onnx, by_torch, atol=1e-2)


def test_no_hand_raises(weights_path):
    estimator = HandEstimator(weights_path, 'cpu', 'torch')
    with pytest.raises(NoHandError):
        estimator.estimate(np.zeros((480, 640), np.float32), blob_frame()[1])


@pytest.mark.parametrize('row, col, value', [
    (0, 0, 1e-300), (0, 0, 1e300), (1, 1, 1e-10), (0, 2, 1e9), (1, 2, -1e9), (2, 2, 0.0)])
def test_implausible_intrinsics_are_refused_without_a_numpy_warning(weights_path, row, col,
                                                                    value):
    depth, K, _ = blob_frame()
    K = K.copy()
    K[row, col] = value
    estimator = HandEstimator(weights_path, 'cpu', 'torch', threads=1)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # fx = 1e-300 gave overflow and divide warnings
        with pytest.raises(IntrinsicsError, match='intrinsics'):
            estimator.estimate(depth, K)


def test_a_frame_of_huge_depths_gives_no_numpy_warning(weights_path):
    depth, K, _ = blob_frame()
    huge = depth_to_mm(fill_image(Image(), np.full(depth.shape, 3e38, np.float32), '32FC1'))
    half = depth.copy()
    half[:, 320:] = 3.4e38  # finite in float32 millimetres: beyond the depth range
    estimator = HandEstimator(weights_path, 'cpu', 'torch', threads=1)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(NoHandError):
            estimator.estimate(huge, K)
        assert np.isfinite(estimator.estimate(half, K).joints_mm).all()


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


def test_fit_iterations_refine_the_decoded_joints(weights_path):
    depth, K, _ = blob_frame()
    plain = HandEstimator(weights_path, 'cpu', 'onnxruntime').estimate(depth, K)
    fitting = HandEstimator(weights_path, 'cpu', 'onnxruntime', fit_iterations=2)
    fitted = fitting.estimate(depth, K)
    assert fitted.joints_mm.shape == (14, 3) and np.isfinite(fitted.joints_mm).all()
    assert np.abs(fitted.joints_mm - plain.joints_mm).max() > 0.1
    assert fitted.timings_ms['fit'] > 0
    fitting.set_fit_iterations(0)
    np.testing.assert_array_equal(fitting.estimate(depth, K).joints_mm, plain.joints_mm)
    with pytest.raises(ValueError, match='fit iterations'):
        fitting.set_fit_iterations(21)


def test_smoother_follows_stamps_and_starts_over_without_a_hand(weights_path):
    near, K, _ = blob_frame()
    moved = blob_frame(centre_mm=(60.0, -20.0, 550.0))[0]
    smoother = OneEuroFilter(min_cutoff=0.5)
    estimator = HandEstimator(weights_path, 'cpu', 'onnxruntime', smoother=smoother)
    first = estimator.estimate(near, K, stamp_s=1.0).joints_mm
    raw = HandEstimator(weights_path, 'cpu', 'onnxruntime').estimate(moved, K).joints_mm
    smoothed = estimator.estimate(moved, K, stamp_s=1.033).joints_mm
    assert 0 < np.abs(smoothed - first).max() < np.abs(raw - first).max()   # held back
    with pytest.raises(NoHandError):
        estimator.estimate(np.zeros_like(near), K, stamp_s=1.066)
    np.testing.assert_allclose(estimator.estimate(moved, K, stamp_s=1.1).joints_mm, raw,
                               atol=1e-4)                                 # started over
