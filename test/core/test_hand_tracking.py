# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand tracking: the tracker on its own, and between learned-locator runs of the estimator."""

from conftest import blob_frame, write_hand_weights_with_locator
import numpy as np
import pytest

from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.hand_com import locate_hand
from fm_pose_ros.core.hand_estimator import HandEstimator, NoHandError
from fm_pose_ros.core.hand_tracking import HandTracker


def test_tracker_follows_a_small_move_and_gives_up_on_a_jump_or_age():
    settings = HandCropSettings()
    near, K, _ = blob_frame()
    moved = blob_frame(centre_mm=(45.0, -20.0, 550.0))[0]
    far = blob_frame(centre_mm=(-150.0, 60.0, 800.0))[0]
    tracker = HandTracker()
    assert tracker.follow(near, K, settings, every=5) is None      # nothing to follow yet
    tracker.update(near, K, locate_hand(near, K, settings), settings, tracked=False)
    followed = tracker.follow(moved, K, settings, every=5)
    np.testing.assert_allclose(followed, locate_hand(moved, K, settings), atol=15.0)
    assert tracker.follow(moved, K, settings, every=1) is None     # locator on every frame
    assert tracker.follow(far, K, settings, every=5) is None       # jumped or lost its pixels
    tracker.update(moved, K, followed, settings, tracked=True)
    assert tracker.state[2] == 1
    assert tracker.follow(moved, K, settings, every=2) is None     # the locator is due
    tracker.update(moved, K, None, settings, tracked=True)
    assert tracker.state is None


@pytest.fixture(scope='module')
def locator_weights(tmp_path_factory):
    return write_hand_weights_with_locator(
        tmp_path_factory.mktemp('tracking') / 'everywhere.safetensors', 10.0)


def sources(estimator, frames, K):
    out = []
    for depth in frames:
        try:
            estimator.estimate(depth, K)
        except NoHandError:
            out.append('lost')
            continue
        out.append(estimator.last_source)
    return out


def test_tracking_runs_the_locator_every_n_frames(locator_weights):
    depth, K, _ = blob_frame()
    estimator = HandEstimator(locator_weights, 'cpu', 'onnxruntime', locator_every=3)
    assert sources(estimator, [depth] * 7, K) == [
        'locator', 'tracked', 'tracked', 'locator', 'tracked', 'tracked', 'locator']
    every = HandEstimator(locator_weights, 'cpu', 'onnxruntime', locator_every=1)
    assert sources(every, [depth] * 3, K) == ['locator'] * 3


def test_tracked_centre_follows_a_moving_hand(locator_weights):
    estimator = HandEstimator(locator_weights, 'cpu', 'onnxruntime', locator_every=100)
    coms = []
    for step in range(6):  # 10 mm per frame: tracking keeps up
        depth, K, _ = blob_frame(centre_mm=(30.0 + 10.0 * step, -20.0, 550.0))
        coms.append(estimator.estimate(depth, K).com_mm)
        assert estimator.last_source == ('locator' if step == 0 else 'tracked')
        located = locate_hand(depth, K, estimator.crop_settings)
        np.testing.assert_allclose(coms[-1], located, atol=15.0)
    assert coms[-1][0] - coms[0][0] > 35.0


def test_jump_or_loss_runs_the_locator_again(locator_weights):
    estimator = HandEstimator(locator_weights, 'cpu', 'onnxruntime', locator_every=100)
    near, K, _ = blob_frame()
    far = blob_frame(centre_mm=(-150.0, 60.0, 800.0))[0]
    empty = np.zeros_like(near)
    assert sources(estimator, [near, near, far, far, empty, near, near], K) == [
        'locator', 'tracked', 'locator', 'tracked', 'lost', 'locator', 'tracked']
    estimator.estimate(near, K, com=np.array([30.0, -20.0, 550.0]))
    assert estimator.last_source == 'given'
