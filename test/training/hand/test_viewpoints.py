# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Egocentric views, palm placement, the anatomical forearm, rigid moves and mirroring."""

import numpy as np

from training.hand.datasets import K_VGA, VGA
from training.hand.model import HandPose, joints, PoseSampling, sample_poses
from training.hand.viewpoints import (
    arm_capsules, back_and_fingers, EgoSampling, joints_out_of_image, mirror,
    place_in_image, rigid_motion, sample_ego_poses)


def test_egocentric_poses_show_the_back_with_the_fingers_pointing_away():
    sampling = EgoSampling()
    pose = sample_ego_poses(np.random.default_rng(0), 300, sampling)
    back_z, fingers_z = back_and_fingers(pose)
    assert (back_z < 0).all()                         # the back of the hand faces the camera
    low, high = np.sin(np.radians(sampling.elevation_deg))
    assert ((fingers_z >= low - 1e-9) & (fingers_z <= high + 1e-9)).all()  # pointing away
    depth = joints(pose)[:, -1, 2]
    assert depth.min() >= sampling.depth_mm[0] - 1e-6 and depth.max() <= sampling.depth_mm[1]
    prior_back, prior_fingers = back_and_fingers(sample_poses(np.random.default_rng(0), 300))
    assert ((prior_back < 0) & (prior_fingers > np.sin(np.radians(10)))).mean() < 0.15


def test_the_egocentric_arm_enters_from_the_image_border():
    rng = np.random.default_rng(1)
    pose = sample_ego_poses(rng, 60)
    leaves, nearer = [], []
    for i in range(60):
        one = pose.take([i])
        ends, radii = arm_capsules(rng, one)
        np.testing.assert_allclose(ends[0, 0], one.translation[0])     # from the wrist
        np.testing.assert_allclose(ends[0, 1], ends[1, 0])              # elbow
        assert ends[..., 2].min() >= 100.0 - 1e-6 and radii[0] > 20.0
        last = ends[1, 1] if radii[1] > 0 else ends[0, 1]            # where the arm ends
        u = K_VGA[0, 0] * last[0] / last[2] + K_VGA[0, 2]
        v = K_VGA[1, 1] * last[1] / last[2] + K_VGA[1, 2]
        leaves.append(not (0 <= u < VGA[1] and 0 <= v < VGA[0]))
        nearer.append(ends[0, 1, 2] < ends[0, 0, 2])   # the forearm comes towards the camera
    assert np.mean(leaves) > 0.95 and np.mean(nearer) > 0.6


def test_border_placement_puts_the_hand_partly_out_of_the_image():
    rng = np.random.default_rng(2)
    pose = sample_poses(rng, 100, PoseSampling())
    inside, border = [], []
    for i in range(100):
        one = pose.take([i])
        inside.append(joints_out_of_image(place_in_image(rng, one, K_VGA, VGA, (400, 700)),
                                          K_VGA, VGA)[0])
        placed = place_in_image(rng, one, K_VGA, VGA, (400, 700), border=1.0)
        palm = joints(placed)[0, -1]
        assert 400 <= palm[2] <= 700
        border.append(joints_out_of_image(placed, K_VGA, VGA)[0])
    assert np.mean(border) > 0.6 and np.mean(inside) < 0.2


def test_a_rigid_move_carries_labels_with_the_hand_and_mirroring_swaps_the_thumb_side():
    rng = np.random.default_rng(3)
    old = sample_poses(rng, 1)
    new = HandPose(old.angles, sample_ego_poses(rng, 1).rotation, old.translation + 50.0,
                   old.shape)
    moved = rigid_motion(old, new)(joints(old)[0])
    np.testing.assert_allclose(moved, joints(new)[0], atol=1e-6)
    points = joints(old)
    twice = mirror(old, mirror(old, points))
    np.testing.assert_allclose(twice, points, atol=1e-9)
    flipped = mirror(old, points)[0]
    np.testing.assert_allclose(flipped[-1], points[0, -1], atol=1e-9)   # palm centre: x = 0

    def handedness(p):                                # sign of (wrist side, thumb tip, middle tip)
        return np.sign(np.linalg.det(np.stack([p[11], p[8], p[4]]) - p[13]))
    assert handedness(flipped) == -handedness(points[0]) != 0
