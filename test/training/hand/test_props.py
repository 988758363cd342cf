# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Props around the hand: grasped objects hide fingers, tables and props touch the hand."""

import numpy as np

from training.hand.datasets import K_VGA, VGA
from training.hand.model import joints, PoseSampling, sample_poses
from training.hand.props import (
    contact, grasp_angles, grasp_object, grip_radius, hand_scene, HELD_OUT_OBJECTS,
    object_size, OBJECTS, Scene, second_hand, with_articulation)
from training.hand.viewpoints import sample_ego_poses

PALM_TO_CAMERA = PoseSampling(back_facing=0.0, max_tilt=np.radians(20.0))
FINGER_CAPSULES = 15                                # model.CAPSULES: 4 x 3 fingers, 3 thumb


def test_grasped_objects_hide_fingers_and_leave_the_labels_alone():
    rng = np.random.default_rng(0)
    for sampling, least in ((PALM_TO_CAMERA, 0.8), (None, 0.6)):
        hidden = []
        for kind in OBJECTS * 6:
            pose = (sample_poses(rng, 1, sampling) if sampling
                    else sample_ego_poses(rng, 1))
            half = object_size(rng, kind)
            before = joints(pose)
            pose = with_articulation(pose, grasp_angles(rng, 1, grip_radius(kind, half)))
            np.testing.assert_allclose(joints(pose)[0, -1], before[0, -1], atol=1e-6)
            hand = hand_scene(pose)
            alone = hand.render(K_VGA, VGA)
            held = hand.add(grasp_object(rng, pose, kind, half)).render(K_VGA, VGA)
            assert (held <= alone + 1e-3)[alone > 0].all()  # an object only ever hides the hand
            fingers = Scene(hand.ends[:FINGER_CAPSULES],
                            hand.radii[:FINGER_CAPSULES]).render(K_VGA, VGA)
            seen = (fingers > 0) & (np.abs(fingers - alone) < 1e-3)   # visible finger pixels
            hidden.append(((held < alone - 5.0) & seen).sum() / seen.sum())
        # palm to the camera: the object lies over the palm and the proximal phalanges;
        # egocentric: it shows around the fingers closed on it
        assert np.mean(np.array(hidden) > 0.05) >= least and np.mean(hidden) > 0.1


def test_every_object_kind_is_drawn_near_the_palm():
    rng = np.random.default_rng(1)
    pose = sample_poses(rng, 1, PALM_TO_CAMERA)
    palm = joints(pose)[0, -1]
    for kind in OBJECTS + HELD_OUT_OBJECTS:
        depth = grasp_object(rng, pose, kind).render(K_VGA, VGA)
        v, u = np.nonzero(depth)
        assert len(v) > 500, kind
        centre = np.array([(u.mean() - K_VGA[0, 2]) * palm[2] / K_VGA[0, 0],
                           (v.mean() - K_VGA[1, 2]) * palm[2] / K_VGA[1, 1]])
        assert np.linalg.norm(centre - palm[:2]) < 120.0, kind


def test_a_thin_object_closes_the_fingers_further_than_a_thick_one():
    thin = grasp_angles(np.random.default_rng(2), 200, 15.0)
    thick = grasp_angles(np.random.default_rng(2), 200, 45.0)
    flexion = [0, 2, 3, 4, 6, 7, 8, 10, 11, 12, 14, 15]
    assert thin[:, flexion].mean() > thick[:, flexion].mean() + 0.1


def test_a_table_touches_the_hand_from_behind():
    rng = np.random.default_rng(3)
    for _ in range(20):
        hand = hand_scene(sample_poses(rng, 1))
        scene = Scene()
        while not scene.planes:
            scene = contact(rng, hand)
        normal, distance = scene.planes[0]
        assert normal[2] > np.cos(np.radians(70.0)) - 1e-9
        # the hand's farthest surface along the normal is within -6..+3 mm of the table
        reach = (np.max(hand.ends @ normal, axis=1) + hand.radii).max()
        assert -6.0 - 1e-6 <= reach - distance <= 3.0 + 1e-6


def test_props_touch_the_hand_and_the_other_hand_stands_beside_it():
    rng = np.random.default_rng(4)
    for _ in range(20):
        pose = sample_poses(rng, 1)
        hand = hand_scene(pose)
        scene = Scene()
        while scene.planes or not (len(scene.radii) or len(scene.solids)):
            scene = contact(rng, hand)
        for ends, radius in zip(scene.ends, scene.radii):
            gaps = [_capsule_gap(ends, radius, e, r) for e, r in zip(hand.ends, hand.radii)]
            assert min(gaps) < 10.0                      # touching (or pressing) the hand
        other = second_hand(rng, pose)
        palm = joints(pose)[0, -1]
        assert np.min(np.linalg.norm(other.ends.reshape(-1, 3)[:, :2] - palm[:2], axis=1)) > 40


def _capsule_gap(a, ra, b, rb, samples=25):
    """Approximate surface distance (mm) of two capsules (sampled along both axes)."""
    s = np.linspace(0, 1, samples)[:, None]
    pa, pb = a[0] + s * (a[1] - a[0]), b[0] + s * (b[1] - b[0])
    return np.linalg.norm(pa[:, None] - pb[None], axis=-1).min() - ra - rb
