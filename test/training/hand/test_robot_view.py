# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Robot-view copies of labelled frames and the egocentric / grasp synthetic stream."""

from dataclasses import replace

import numpy as np
import pytest

from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.hand_locator import hand_mask
from training.config import DataConfig, load_config
from training.hand.cameras import CAMERA_NAMES, CAMERAS
from training.hand.data import data_key
from training.hand.datasets import (
    K_VGA, real_like_frames, SimRealSource, synthetic_crops, synthetic_poses)
from training.hand.model import joints, sample_poses
from training.hand.robot_view import (
    ego_synthetic_poses, grasp_synthetic_crops, robot_frame, RobotCopier, RobotViews)
from training.hand.sensor_random import RandomSensor
from training.hand.viewpoints import back_and_fingers


def test_robot_copies_leave_the_frames_and_their_sensor_copies_unchanged():
    plain = list(real_like_frames(np.random.default_rng(0), 2, copies=1,
                                  copy_sensor=RandomSensor(),
                                  copy_rng=np.random.default_rng(1)))
    mixed = list(real_like_frames(np.random.default_rng(0), 2, copies=1,
                                  copy_sensor=RandomSensor(),
                                  copy_rng=np.random.default_rng(1), robot_copies=2,
                                  robot_copier=RobotCopier(),
                                  robot_rng=np.random.default_rng(2)))
    assert len(mixed) == 8
    for i, frame in enumerate(plain):
        original = mixed[4 * (i // 2) + i % 2]
        for key in ('depth', 'twin', 'joints', 'K'):
            np.testing.assert_array_equal(original[key], frame[key])
        assert 'camera' not in original


def test_a_copy_moves_the_label_rigidly_and_sees_the_hand_through_a_known_camera():
    rng = np.random.default_rng(3)
    pose = sample_poses(rng, 1)
    label = joints(pose)[0] + rng.normal(0.0, 2.5, (14, 3))       # annotation noise
    copy = robot_frame(rng, pose, label, RobotViews(ego=1.0))
    distances = np.linalg.norm(label[:, None] - label[None], axis=-1)
    moved = np.linalg.norm(copy['joints'][:, None] - copy['joints'][None], axis=-1)
    np.testing.assert_allclose(moved, distances, atol=1e-6)       # same label, rigidly
    noise = label - joints(pose)[0]
    np.testing.assert_allclose(np.linalg.norm(copy['joints'] - copy['joints_true'], axis=1),
                               np.linalg.norm(noise, axis=1), atol=1e-6)
    camera = CAMERAS[CAMERA_NAMES.index(copy['camera'])]
    assert copy['depth'].shape == copy['twin'].shape == camera.size
    low, high = camera.range_mm
    measured = copy['depth'][copy['depth'] > 0]
    assert measured.min() >= low and measured.max() <= high
    assert hand_mask(copy['depth'], copy['twin']).sum() > 100    # the hand is seen


def test_copies_draw_the_shares_they_are_given():
    rng = np.random.default_rng(4)
    pose = sample_poses(rng, 1)
    label = joints(pose)[0]
    views = RobotViews(ego=0.5, grasp=0.5, second_hand=0.0, contact=0.0)
    copies = [robot_frame(rng, pose, label, views) for _ in range(30)]
    ego = np.array([c['ego'] for c in copies])
    grasp = np.array([c['grasp'] is not None for c in copies])
    assert 0.2 < ego.mean() < 0.8 and 0.2 < grasp.mean() < 0.8
    assert len({c['camera'] for c in copies}) >= 5


def test_the_synthetic_stream_turns_a_share_egocentric_and_closes_hands_on_objects():
    rng = np.random.default_rng(5)
    pose = synthetic_poses(rng, 200)
    turned = ego_synthetic_poses(rng, pose, 0.5)
    back, fingers = back_and_fingers(turned)
    changed = np.any(turned.rotation != pose.rotation, axis=1)
    assert 0.35 < changed.mean() < 0.65
    assert (back[changed] < 0).all() and (fingers[changed] > 0).all()
    np.testing.assert_array_equal(turned.angles, pose.angles)
    settings = HandCropSettings(crop_size=32)
    few = pose.take(np.arange(16))
    crops, targets = grasp_synthetic_crops(np.random.default_rng(6), few, settings, 0.0, 1.0,
                                           K_VGA)
    plain, plain_targets = synthetic_crops(np.random.default_rng(6), few, settings, 0.0)
    assert crops.shape == plain.shape and targets.shape == plain_targets.shape
    assert np.isfinite(targets).all() and np.abs(targets).max() < 1.5
    assert (crops < 1.0).mean() > (plain < 1.0).mean()           # objects add surface


def test_robot_settings_stay_out_of_cache_keys_until_copies_are_made():
    base = DataConfig()
    assert data_key(replace(base, robot_ego=0.9, synthetic_grasp=0.5)) == data_key(base)
    assert set(data_key(base)) == set(vars(base)) - {
        'cache_dir', 'num_real_val', 'label_poses', 'label_pose_sigma_deg',
        'label_pose_turn_deg', 'synthetic_ego', 'synthetic_grasp', 'robot_copies',
        'robot_ego', 'robot_grasp', 'robot_second_hand', 'robot_contact', 'robot_border',
        'train_crops', 'mirror_test', 'mirror_train', 'locator_channels',
        'locator_dilations', 'locator_positive_weight', 'test_crops'}
    assert data_key(replace(base, mirror_train=0.5)) == data_key(base)  # made at each draw
    # the locator's settings and the test crops key their own caches, not the frames'
    assert data_key(replace(base, locator_dilations=(2, 4, 8), test_crops='hand')) == \
        data_key(base)
    assert data_key(replace(base, train_crops='hand')) != data_key(base)
    assert data_key(replace(base, mirror_test=True)) != data_key(base)
    copies = replace(base, robot_copies=1)
    assert data_key(copies) != data_key(base)
    assert data_key(replace(copies, robot_ego=0.9)) != data_key(copies)
    source = SimRealSource(replace(copies, num_real_train=1, sensor_copies=1))
    assert len(list(source.train_records())) == 3


@pytest.mark.parametrize('item, message', [
    ('data.robot_ego=1.5', 'is a share: it must be in'),
    ('data.synthetic_grasp=-0.1', 'is a share: it must be in'),
    ('data.robot_border=2', 'is a share: it must be in'),
    ('data.train_crops=elsewhere', "train_crops must be 'locator' or 'hand'")])
def test_bad_robot_view_settings_are_refused(item, message):
    with pytest.raises(ValueError, match=message):
        load_config(None, [item])
