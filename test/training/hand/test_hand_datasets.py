# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Datasets: synthetic crops equal the node's crops, real-like frames differ from twins."""

import numpy as np
from scipy.spatial.transform import Rotation

from fm_pose_ros.core.hand_codec import crop_hand, HandCropSettings
from training.hand.datasets import (
    K_VGA, pose_sequence, real_like_frames, REAL_SAMPLING, synthetic_crops, synthetic_poses)
from training.hand.model import capsules, joints, sample_poses
from training.render.depth import render_depth


def test_synthetic_crops_match_cropping_a_full_render():
    settings = HandCropSettings()
    pose = sample_poses(np.random.default_rng(0), 4)
    crops, targets = synthetic_crops(np.random.default_rng(0), pose, settings, jitter_mm=0.0)
    assert crops.shape == (4, 128, 128) and targets.shape == (4, 14, 3)
    full = render_depth(*capsules(pose), K_VGA, 480, 640)
    cube = np.asarray(settings.cube_mm)
    for crop, target, depth, true in zip(crops, targets, full, joints(pose)):
        com = true - target * cube / 2                     # (14, 3): all rows equal the com
        np.testing.assert_allclose(com, np.repeat(com[:1], 14, 0), atol=1e-6)
        reference, _ = crop_hand(depth, K_VGA, com[0], settings)
        assert np.mean(np.abs(reference - crop) < 0.02) > 0.99


def test_real_like_frames_are_seeded_noisy_and_have_clean_twins():
    a = list(real_like_frames(np.random.default_rng(1), 3))
    b = list(real_like_frames(np.random.default_rng(1), 3))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x['depth'], y['depth'])
    frame = a[0]
    hand = frame['twin'] > 0
    assert hand.sum() > 500
    assert (frame['depth'] == 0).mean() > 0.001              # holes
    both = hand & (frame['depth'] > 0)
    difference = np.abs(frame['depth'][both] - frame['twin'][both])
    assert 0.1 < np.median(difference) < 20.0                # noise, not another scene
    assert (frame['depth'][~hand] > 0).mean() > 0.5          # clutter and wall around it
    assert np.abs(frame['joints'] - frame['joints_true']).max() > 0   # label noise


def test_pose_sequence_is_smooth():
    pose = pose_sequence(np.random.default_rng(2), 30)
    palm = joints(pose)[:, 13]
    assert np.linalg.norm(np.diff(palm, axis=0), axis=1).max() < 60.0


def test_pose_sequence_rotates_along_the_shortest_arc_between_keys():
    # seed 7 is the demo's: its first two keys are rolled about -50 and +50 deg in the image
    rng = np.random.default_rng(7)
    keys = sample_poses(np.random.default_rng(7), 4, REAL_SAMPLING)
    pose = pose_sequence(rng, 90)
    key_rotations = Rotation.from_rotvec(keys.rotation)
    between = (key_rotations[0].inv() * key_rotations[1]).magnitude()
    first_leg = Rotation.from_rotvec(pose.rotation[:30])   # t = 3 k / 89 <= 1
    to_first = (key_rotations[0].inv() * first_leg).magnitude()
    to_second = (key_rotations[1].inv() * first_leg).magnitude()
    # on the geodesic: the two distances add up to the distance between the keys
    np.testing.assert_allclose(to_first + to_second, between, atol=1e-6)
    assert np.degrees(np.max(np.abs(np.diff(to_first)))) < 10.0


def test_synthetic_poses_mix_perturbed_label_poses_with_the_prior():
    pool = sample_poses(np.random.default_rng(5), 3, REAL_SAMPLING)
    poses = synthetic_poses(np.random.default_rng(6), 10, pool, 0.6, sigma=0.2, turn=0.2)
    assert len(poses) == 10
    pool_palms = joints(pool)[:, 13]
    palms = joints(poses)[:, 13]
    distance = np.linalg.norm(palms[:, None] - pool_palms[None], axis=-1).min(axis=1)
    assert np.all(distance[4:] < 1e-6) and np.all(distance[:4] > 1.0)   # prior first
    source = np.linalg.norm(palms[4:, None] - pool_palms[None], axis=-1).argmin(axis=1)
    np.testing.assert_allclose(poses.shape[4:, 0], pool.shape[source, 0])
    assert np.abs(poses.angles[4:] - pool.angles[source]).mean() > 0.05   # articulated
    assert len(synthetic_poses(np.random.default_rng(7), 5)) == 5
    assert len(synthetic_poses(np.random.default_rng(7), 5, pool, 1.0)) == 5
