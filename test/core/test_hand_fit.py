# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Depth fitting: Jacobians, closed-form start, and lower error from a perturbed start."""

from conftest import K_VGA
import numpy as np
import pytest

from fm_pose_ros.core import hand_fit
from fm_pose_ros.core.hand_codec import HandCodec, HandCropSettings
from fm_pose_ros.core.hand_fit import (
    apply_step, chain_angles, crop_depth, FitSettings, initial_params, MIRROR_X, refine_joints)
from fm_pose_ros.core.hand_model import ANGLE_LIMITS, CHAIN_FLEXION
from training.hand.model import capsules, joints, perturb_poses, sample_poses
from training.render.depth import render_depth


def within_limits(rng):
    x = np.zeros(hand_fit.NUM_PARAMS)
    x[:20] = rng.uniform(ANGLE_LIMITS[:, 0] + 0.05, ANGLE_LIMITS[:, 1] - 0.05)
    x[20:23], x[23:26], x[26:] = rng.normal(0, 1, 3), [10.0, 20.0, 500.0], [0.1, 0.05]
    return x


def test_jacobians_match_finite_differences():
    x = within_limits(np.random.default_rng(0))
    model = hand_fit._model(x, jacobian=True)
    h = 1e-6
    for k in range(hand_fit.NUM_PARAMS):
        step = np.zeros(hand_fit.NUM_PARAMS)
        step[k] = h
        moved = hand_fit._model(apply_step(x, step), jacobian=False)
        np.testing.assert_allclose((moved.joints - model.joints).ravel() / h,
                                   model.d_joints[:, k], atol=1e-3)
        np.testing.assert_allclose((moved.ends - model.ends) / h, model.d_ends[..., k],
                                   atol=1e-3)
        np.testing.assert_allclose((moved.radii - model.radii) / h, model.d_radii[:, k],
                                   atol=1e-3)


def test_the_start_puts_the_chains_through_the_joints():
    pose = sample_poses(np.random.default_rng(1), 6)
    # a first phalanx near +-z (flexion near 90 degrees; the thumb starts tilted by 0.5 rad)
    # hides its abduction: stay well below
    first = CHAIN_FLEXION[:, 0]
    pose.angles[:, first] = np.minimum(pose.angles[:, first], np.radians([60.0] * 4 + [30.0]))
    for i, target in enumerate(joints(pose)):
        R = hand_fit._rotation(pose.rotation[i])
        hand = (target - pose.translation[i]) @ R / pose.shape[i, 0]
        angles = np.clip(chain_angles(hand), ANGLE_LIMITS[:, 0], ANGLE_LIMITS[:, 1])
        np.testing.assert_allclose(angles, pose.angles[i], atol=0.02)
        start = hand_fit._model(initial_params(target), jacobian=False).joints
        assert np.linalg.norm(start - target, axis=1).mean() < 15.0


def test_inverse_kinematics_alone_reaches_the_joints():
    pose = sample_poses(np.random.default_rng(2), 4)
    blank = np.ones((96, 96), np.float32)                     # no depth: prior only
    codec = HandCodec(HandCropSettings(crop_size=96))
    transform = codec.encode(np.zeros((480, 640)), K_VGA, com=[0.0, 0.0, 500.0])['transform']
    for target in joints(pose):
        result = refine_joints(target, blank, transform, FitSettings(ik_iterations=8))
        assert result.points == 0
        assert np.linalg.norm(result.ik_joints_mm - target, axis=1).mean() < 2.0
        np.testing.assert_allclose(result.joints_mm, target, atol=1e-3)   # nothing to move


def render_frames(mirror=False):
    """Three rendered frames (hand and forearm), their crops, true and perturbed joints.

    ``mirror``: the frames' mirror images (columns reversed, camera x -> -x): right hands.
    """
    rng = np.random.default_rng(5)
    pose = sample_poses(rng, 3)
    ends, radii = capsules(pose, forearm=True)
    depth = render_depth(ends, radii, K_VGA, 480, 640)
    truth = joints(pose)
    moved = perturb_poses(pose, rng, sigma=np.radians(15.0), rotation_sigma=0.15)
    start = joints(moved) + rng.normal(0.0, 4.0, truth.shape)
    K = np.array(K_VGA, np.float64)
    if mirror:
        depth, truth, start = depth[..., ::-1], truth * MIRROR_X, start * MIRROR_X
        K[0, 2] = 640 - 1 - K[0, 2]
    codec = HandCodec(HandCropSettings(crop_size=96))
    samples = [codec.encode(depth[i], K, com=truth[i, 13]) for i in range(3)]
    return samples, truth, start


@pytest.fixture(scope='module')
def rendered():
    return render_frames()


def test_fitting_lowers_the_error_from_a_perturbed_start(rendered):
    samples, truth, start = rendered
    before, after, model = [], [], []
    for sample, true, first in zip(samples, truth, start):
        result = refine_joints(first, sample['crop'], sample['transform'],
                               FitSettings(iterations=5))
        assert result.points > 100
        before.append(np.linalg.norm(first - true, axis=1).mean())
        after.append(np.linalg.norm(result.joints_mm - true, axis=1).mean())
        model.append(np.linalg.norm(result.model_joints_mm - true, axis=1).mean())
    assert np.mean(after) < 0.8 * np.mean(before), (before, after)
    assert np.mean(model) < 0.8 * np.mean(before), (before, model)
    assert max(np.subtract(after, before)) < 1.0      # no frame made worse


def test_a_right_hand_is_fitted_in_the_mirror_image(rendered):
    samples, truth, start = render_frames(mirror=True)
    errors = {'auto': [], 'left': []}
    for sample, true, first in zip(samples, truth, start):
        for handedness in errors:
            result = refine_joints(first, sample['crop'], sample['transform'],
                                   FitSettings(iterations=5, handedness=handedness))
            assert result.hand == ('right' if handedness == 'auto' else 'left')
            errors[handedness].append(np.linalg.norm(result.joints_mm - true, axis=1).mean())
    before = [np.linalg.norm(f - t, axis=1).mean() for t, f in zip(truth, start)]
    assert np.mean(errors['auto']) < 0.8 * np.mean(before), (before, errors)
    assert np.mean(errors['auto']) < np.mean(errors['left']), errors
    for sample, first in zip(rendered[0], rendered[2]):  # the model's own hand stays left
        assert refine_joints(first, sample['crop'], sample['transform']).hand == 'left'


def test_crop_depth_keeps_only_measured_depth_inside_the_cube():
    codec = HandCodec(HandCropSettings(crop_size=32))
    depth = np.full((480, 640), 520.0, np.float32)
    depth[:, :320] = 0.0                                       # a hole on the left
    sample = codec.encode(depth, K_VGA, com=[0.0, 0.0, 500.0])
    metric = crop_depth(sample['crop'], sample['transform'])
    assert np.isnan(metric[:, :10]).all()
    np.testing.assert_allclose(metric[:, -10:], 520.0, atol=1e-3)


def test_settings_are_checked():
    assert FitSettings(iterations=0).validate().iterations == 0
    with pytest.raises(ValueError, match='fit iterations must be in'):
        FitSettings(iterations=hand_fit.MAX_ITERATIONS + 1).validate()
    with pytest.raises(ValueError, match='fit iterations must be in'):
        FitSettings(iterations=-1).validate()
