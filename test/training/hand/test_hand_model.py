# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand model: joint layout, limits, placement, determinism, perturbation."""

import numpy as np

from training.hand.model import (
    ANGLE_LIMITS, capsules, fit_pose, HandPose, joints, perturb_poses, place_palm_centre,
    PoseSampling, sample_poses)


def flat_hand():
    return HandPose(np.zeros((1, 20)), np.zeros((1, 3)), np.zeros((1, 3)), np.ones((1, 3)))


def test_flat_hand_layout_in_hand_frame():
    j = joints(flat_hand())[0]                  # hand frame = camera frame here
    tips, pips = j[[0, 2, 4, 6]], j[[1, 3, 5, 7]]
    assert np.all(tips[:, 1] > pips[:, 1])      # fingertips beyond the PIPs (+y)
    assert j[4, 1] > j[0, 1]                    # middle finger longer than pinky
    assert j[6, 0] > j[0, 0]                    # index on the thumb side (+x), pinky on -x
    assert j[8, 0] > j[6, 0] - 20               # thumb tip out on the thumb side
    np.testing.assert_allclose(j[13], [0.0, 45.0, 0.0])
    assert np.linalg.norm(j[11] - j[12]) > 40


def test_sampling_is_seeded_and_within_limits():
    a = sample_poses(np.random.default_rng(3), 50)
    b = sample_poses(np.random.default_rng(3), 50)
    np.testing.assert_array_equal(a.angles, b.angles)
    assert np.all(a.angles >= ANGLE_LIMITS[:, 0] - 1e-9)
    assert np.all(a.angles <= ANGLE_LIMITS[:, 1] + 1e-9)
    palm = joints(a)[:, 13]
    assert np.all((palm[:, 2] > 340) & (palm[:, 2] < 760))
    ends, radii = capsules(a, forearm=True)
    assert ends.shape == (50, 24, 2, 3) and radii.shape == (50, 24) and np.all(radii > 0)


def test_placement_and_perturbation_keep_the_palm_centre():
    pose = sample_poses(np.random.default_rng(4), 5)
    target = np.tile([10.0, 20.0, 600.0], (5, 1))
    np.testing.assert_allclose(joints(place_palm_centre(pose, target))[:, 13], target,
                               atol=1e-6)
    moved = perturb_poses(pose, np.random.default_rng(5))
    np.testing.assert_allclose(joints(moved)[:, 13], joints(pose)[:, 13], atol=1e-6)
    assert np.abs(moved.angles - pose.angles).max() > 0.01
    np.testing.assert_allclose(moved.rotation, pose.rotation, atol=1e-9)
    turned = perturb_poses(pose, np.random.default_rng(5), sigma=0.0, rotation_sigma=0.2)
    np.testing.assert_allclose(joints(turned)[:, 13], joints(pose)[:, 13], atol=1e-6)
    np.testing.assert_allclose(turned.angles, pose.angles)
    assert np.abs(turned.rotation - pose.rotation).max() > 0.05


def test_concatenate_and_arrays_round_trip():
    a, b = sample_poses(np.random.default_rng(6), 2), sample_poses(np.random.default_rng(7), 3)
    both = HandPose.concatenate([a, b])
    assert len(both) == 5
    np.testing.assert_array_equal(HandPose(**both.arrays()).take(np.arange(2, 5)).angles,
                                  b.angles)


def test_inverse_kinematics_fits_random_poses_within_2_mm():
    pose = sample_poses(np.random.default_rng(1), 16)
    fitted = fit_pose(joints(pose), pose.shape, iterations=400)
    errors = np.linalg.norm(joints(fitted) - joints(pose), axis=-1)
    assert errors.mean() < 2.0
    assert np.all(fitted.angles >= ANGLE_LIMITS[:, 0]) and np.all(
        fitted.angles <= ANGLE_LIMITS[:, 1])


def test_inverse_kinematics_recovers_the_hand_scale_from_the_joints():
    pose = sample_poses(np.random.default_rng(2), 16, PoseSampling(scale=(1.1, 1.2)))
    fitted = fit_pose(joints(pose), iterations=500, fit_scale=True)
    assert np.linalg.norm(joints(fitted) - joints(pose), axis=-1).mean() < 2.0
    assert np.abs(fitted.shape[:, 0] - pose.shape[:, 0]).max() < 0.05
    unscaled = fit_pose(joints(pose), iterations=500)
    assert np.linalg.norm(joints(unscaled) - joints(pose), axis=-1).mean() > 3.0
