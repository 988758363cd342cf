# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""core/hand_model.py (kinematics): bone lengths, joints and capsules, numpy and torch agree.

(Named apart from test/training/hand/test_hand_model.py: pytest needs unique basenames here.)
"""

import numpy as np
import torch

from fm_pose_ros.core.hand_model import (
    ANGLE_LIMITS, capsules, CHAIN_LENGTHS, hand_points, HandPose, joints, joints_and_capsules,
    kabsch, model_joints)


def random_pose(seed, n=4):
    rng = np.random.default_rng(seed)
    return HandPose(rng.uniform(ANGLE_LIMITS[:, 0], ANGLE_LIMITS[:, 1], (n, 20)),
                    rng.normal(0, 1, (n, 3)), rng.uniform(-100, 100, (n, 3)) + [0, 0, 600],
                    rng.uniform(0.9, 1.2, (n, 3)))


def test_phalanges_keep_their_lengths_whatever_the_angles():
    pose = random_pose(0)
    points = hand_points(pose.angles, pose.shape).reshape(-1, 5, 4, 3)
    lengths = np.linalg.norm(np.diff(points, axis=2), axis=-1)       # (n, chain, phalanx)
    np.testing.assert_allclose(lengths, CHAIN_LENGTHS[None] * pose.shape[:, 0, None, None])


def test_joints_and_capsules_share_one_evaluation():
    pose = random_pose(1)
    together, ends, radii = joints_and_capsules(pose.angles, pose.rotation, pose.translation,
                                                pose.shape)
    np.testing.assert_allclose(together, joints(pose))
    with_arm, arm_radii = capsules(pose, forearm=True)
    np.testing.assert_allclose(with_arm[:, :-1], ends)
    np.testing.assert_allclose(arm_radii[:, :-1], radii)
    # the forearm starts at the wrist centre, the translation
    np.testing.assert_allclose(with_arm[:, -1, 0], pose.translation)


def test_torch_gives_the_same_joints_with_finite_gradients():
    pose = random_pose(2)
    pose.rotation[0] = 0.0                           # the zero rotation has a gradient too
    tensors = [torch.tensor(v, requires_grad=True)
               for v in (pose.angles, pose.rotation, pose.translation, pose.shape)]
    by_torch = model_joints(*tensors, xp=torch)
    np.testing.assert_allclose(by_torch.detach().numpy(), joints(pose), atol=1e-9)
    by_torch.sum().backward()
    assert all(torch.isfinite(t.grad).all() for t in tensors)
    assert tensors[0].grad.abs().sum() > 0


def test_kabsch_recovers_a_rigid_motion():
    rng = np.random.default_rng(3)
    source = rng.normal(0, 50, (1, 8, 3))
    R = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    R *= np.sign(np.linalg.det(R))
    target = source @ R.T + [10.0, -20.0, 500.0]
    found_R, found_t = kabsch(source, target)
    np.testing.assert_allclose(found_R[0], R, atol=1e-9)
    np.testing.assert_allclose(found_t[0], [10.0, -20.0, 500.0], atol=1e-6)
