# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""What else a robot's camera sees around a hand: grasped objects, the other hand, a table.

A ``Scene`` is capsules (rendered by ``render/depth.py``), boxes and flat-capped cylinders
(``render/solids.py``) and planes (``sensor_sim.plane_depth``), all in the camera optical
frame, mm. The hand's labels never change: props only hide or surround it.

- ``grasp_object``: a cylinder (radius 18-45 mm, length 80-220 mm), a box (60-180 x
  30-90 x 20-80 mm) or a mug (body radius 38-45 mm, 90-110 mm high, a handle of three 6 mm
  capsules), held against the palm: centre 50-80 mm up the hand from the wrist (where the
  fingers close), 0-5 mm off the palm surface on the palm side, axis across the palm
  (+-25 deg in the palm plane, +-15 deg out of it), as in a power grasp. Held-out kinds:
  a bottle (a cylinder with a neck) and a ball. ``grasp_angles`` curls the fingers around
  an object of a given radius (used where the articulation may change: synthetic crops and
  the held-out frames; copies of labelled frames keep theirs).
- ``second_hand``: the other hand (the same model mirrored, a prior pose, with its forearm)
  130-300 mm beside the labelled palm and up to 100 mm nearer or 250 mm farther, or a bare
  arm (a 250-450 mm capsule of radius 28-45 mm) passing 100-250 mm from the palm.
- ``contact``: a table plane touching the hand from behind (its normal 20-70 deg from the
  optical axis, the hand resting on it 3 mm into it to 6 mm above it), or one to three
  props (spheres, capsules, boxes of 15-45 mm) 0-8 mm from a random part of the hand.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from training.hand.model import (
    ANGLE_LIMITS, capsules, HandPose, joints, place_palm_centre,
    PoseSampling, sample_poses)
from training.hand.sensor_sim import composite, plane_depth
from training.hand.viewpoints import mirror
from training.render.depth import render_depth
from training.render.solids import BOX, CYLINDER, render_solids, Solids

OBJECTS = ('cylinder', 'box', 'mug')
HELD_OUT_OBJECTS = ('bottle', 'ball')
PALM_RADIUS_MM = 16.0            # the palm capsules' radius (model.py): palm half thickness


@dataclass
class Scene:
    """Capsules ``ends (P, 2, 3)``, ``radii (P,)``, solids and planes (normal, distance)."""

    ends: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 3)))
    radii: np.ndarray = field(default_factory=lambda: np.zeros(0))
    solids: Solids = field(default_factory=Solids.empty)
    planes: list = field(default_factory=list)

    def add(self, other):
        """Return the union of this scene and ``other``."""
        return Scene(np.concatenate([self.ends, other.ends]),
                     np.concatenate([self.radii, other.radii]),
                     Solids.concatenate([self.solids, other.solids]),
                     self.planes + other.planes)

    def render(self, K, size):
        """Depth ``(H, W)`` float32 mm of the nearest surface (0 = nothing)."""
        height, width = size
        layers = [np.zeros((height, width), np.float32)]
        if len(self.radii):
            layers.append(render_depth(self.ends[None], self.radii[None], K, height, width)[0])
        if len(self.solids):
            layers.append(render_solids(self.solids, K, height, width))
        layers += [plane_depth(K, height, width, n, d) for n, d in self.planes]
        return composite(*layers)


def _hand_frame(pose):
    """Rotation ``(3, 3)`` hand -> camera and wrist position ``(3,)`` of a pose of length 1."""
    return Rotation.from_rotvec(pose.rotation[0]).as_matrix(), pose.translation[0]


def _solid(kind, centre, frame, half):
    return Solids(np.array([kind]), np.asarray(centre, float)[None],
                  np.asarray(frame, float)[None], np.asarray(half, float)[None])


def object_size(rng, kind):
    """Half sizes (mm) of a drawn object: (along its axis, across, thickness) or radius."""
    if kind == 'cylinder':
        radius = rng.uniform(18.0, 45.0)
        return np.array([radius, radius, rng.uniform(40.0, 110.0)])
    if kind == 'box':
        return np.array([rng.uniform(30.0, 90.0), rng.uniform(15.0, 45.0),
                         rng.uniform(10.0, 40.0)])
    if kind == 'mug':
        radius = rng.uniform(38.0, 45.0)
        return np.array([radius, radius, rng.uniform(45.0, 55.0)])
    if kind == 'bottle':
        radius = rng.uniform(30.0, 40.0)
        return np.array([radius, radius, rng.uniform(80.0, 110.0)])
    if kind == 'ball':
        return np.full(3, rng.uniform(30.0, 45.0))
    raise ValueError(f'unknown object {kind!r}: one of {OBJECTS + HELD_OUT_OBJECTS}')


def grip_radius(kind, half):
    """Radius (mm) the fingers close around: the thickness of the object in the grasp."""
    return float(half[2] if kind == 'box' else half[0])


def grasp_angles(rng, n, radius_mm):
    """Articulations ``(n, 20)`` closing around an object of ``radius_mm`` (radians).

    Finger flexion (MCP 40-75, PIP 55-95, DIP 25-60 deg) scaled by 1.25 - r / 70 within
    [0.55, 1] (a thick object opens the hand), abduction N(0, 5 deg); thumb opposed (CMC
    10-45 / 0-35 deg, MCP 5-40, IP 5-50).
    """
    closing = np.clip(1.25 - np.asarray(radius_mm, float) / 70.0, 0.55, 1.0)
    closing = np.broadcast_to(closing, (n,))[:, None]
    degrees = np.zeros((n, 20))
    for f in range(4):
        degrees[:, 4 * f] = rng.uniform(40, 75, n)
        degrees[:, 4 * f + 1] = rng.normal(0, 5, n)
        degrees[:, 4 * f + 2] = rng.uniform(55, 95, n)
        degrees[:, 4 * f + 3] = rng.uniform(25, 60, n)
    degrees[:, :16] *= np.where(np.arange(16) % 4 == 1, 1.0, closing)
    degrees[:, 16:] = np.stack([rng.uniform(10, 45, n), rng.uniform(0, 35, n),
                                rng.uniform(5, 40, n), rng.uniform(5, 50, n)], 1)
    return np.clip(np.radians(degrees), ANGLE_LIMITS[:, 0], ANGLE_LIMITS[:, 1])


def grasp_object(rng, pose, kind, half=None):
    """Return a ``kind`` object held against the palm of ``pose`` (length 1) as a Scene."""
    half = object_size(rng, kind) if half is None else half
    R, wrist = _hand_frame(pose)
    scale, palm = pose.shape[0, 0], pose.shape[0, 2]
    thickness = half[2] if kind == 'box' else half[0]
    local = np.array([rng.uniform(-10.0, 15.0) * scale, rng.uniform(50.0, 80.0) * scale,
                      -(PALM_RADIUS_MM * scale * palm + thickness + rng.uniform(0.0, 5.0))])
    turn = Rotation.from_euler('zy', [rng.uniform(-25, 25), rng.uniform(-15, 15)],
                               degrees=True).as_matrix()
    # columns: the object's axis (across the palm, hand x), the hand's y, away from the palm
    frame = R @ turn @ np.diag([1.0, 1.0, -1.0])
    centre = R @ local + wrist
    return _object_scene(rng, kind, centre, frame, half)


def _object_scene(rng, kind, centre, frame, half):
    """Scene of an object; ``frame`` columns: axis, across, thickness (camera frame)."""
    axis, across, out = frame[:, 0], frame[:, 1], frame[:, 2]
    if kind == 'ball':
        return Scene(np.stack([centre, centre])[None], np.array([half[0]]))
    if kind == 'box':
        return Scene(solids=_solid(BOX, centre, frame, half[[0, 1, 2]]))
    along = np.column_stack([across, -out, axis])    # cylinder axis = third column
    body = Scene(solids=_solid(CYLINDER, centre, along, half))
    if kind == 'mug':
        reach = half[0] + 25.0
        points = [centre + axis * s * 0.5 * half[2] + out * d
                  for s, d in ((1, half[0] - 3.0), (1, reach), (-1, reach),
                               (-1, half[0] - 3.0))]
        handle = np.stack([np.stack([points[k], points[k + 1]]) for k in range(3)])
        return body.add(Scene(handle, np.full(3, 6.0)))
    if kind == 'bottle':
        neck_half = np.array([rng.uniform(12.0, 16.0)] * 2 + [30.0])
        neck = centre + axis * (half[2] + neck_half[2])
        return body.add(Scene(solids=_solid(CYLINDER, neck, along, neck_half)))
    return body


def second_hand(rng, pose):
    """Return the other hand with its forearm, or a bare arm, beside ``pose`` (a Scene)."""
    centre = joints(pose)[0, -1]
    heading = rng.uniform(0.0, 2 * np.pi)
    beside = np.array([np.cos(heading), np.sin(heading), 0.0])
    if rng.random() < 0.6:
        other = sample_poses(rng, 1, PoseSampling())
        lift = np.array([0.0, 0.0, rng.uniform(-100.0, 250.0)])
        target = centre + beside * rng.uniform(130.0, 300.0) + lift
        other = place_palm_centre(other, target[None])
        ends, radii = capsules(other, forearm=True)
        return Scene(mirror(other, ends)[0], radii[0])
    start = centre + beside * rng.uniform(100.0, 250.0) + [0.0, 0.0, rng.uniform(-50.0, 200.0)]
    direction = Rotation.from_euler('z', rng.uniform(-70, 70), degrees=True).apply(beside)
    direction[2] = rng.uniform(-0.3, 0.5)
    direction /= np.linalg.norm(direction)
    end = start + direction * rng.uniform(250.0, 450.0)
    return Scene(np.stack([start, end])[None], np.array([rng.uniform(28.0, 45.0)]))


def contact(rng, hand):
    """Return a table touching the hand from behind, or 1-3 props touching it (a Scene).

    ``hand``: the hand's own Scene (capsules, camera frame).
    """
    if rng.random() < 0.5:
        tilt, azimuth = np.radians(rng.uniform(20, 70)), rng.uniform(0, 2 * np.pi)
        normal = np.array([np.sin(tilt) * np.cos(azimuth), np.sin(tilt) * np.sin(azimuth),
                           np.cos(tilt)])
        reach = (np.max(hand.ends @ normal, axis=1) + hand.radii).max()
        return Scene(planes=[(normal, reach + rng.uniform(-3.0, 6.0))])
    scene = Scene()
    for _ in range(int(rng.integers(1, 4))):
        part = int(rng.integers(len(hand.radii)))
        anchor, radius = hand.ends[part].mean(0), hand.radii[part]
        away = rng.normal(0.0, 1.0, 3)
        away[2] = max(away[2], -0.2 * np.linalg.norm(away))
        away /= np.linalg.norm(away)
        scene = scene.add(_prop(rng, anchor, away, radius + rng.uniform(0.0, 8.0)))
    return scene


def _prop(rng, anchor, away, gap):
    """Return a sphere, capsule or box ``gap`` mm from ``anchor`` along ``away``."""
    size = rng.uniform(15.0, 45.0)
    kind = int(rng.integers(3))
    if kind == 2:
        frame = Rotation.random(random_state=rng).as_matrix()
        half = rng.uniform(15.0, 45.0, 3)
        reach = np.abs(frame.T @ away) @ half
        return Scene(solids=_solid(BOX, anchor + away * (gap + reach), frame, half))
    centre = anchor + away * (gap + size)
    offset = (rng.normal(0.0, 1.0, 3) * rng.uniform(0.0, 60.0)) if kind == 1 else np.zeros(3)
    return Scene(np.stack([centre - offset, centre + offset])[None], np.array([size]))


def hand_scene(pose, forearm=None):
    """Return the hand of ``pose`` (length 1) as a Scene, with ``forearm`` (ends, radii)."""
    ends, radii = capsules(pose)
    scene = Scene(ends[0], radii[0])
    if forearm is not None:
        scene = scene.add(Scene(*forearm))
    return scene


def with_articulation(pose, angles):
    """``pose`` with other joint angles, its palm centre where it was."""
    moved = HandPose(np.asarray(angles, float).reshape(len(pose), 20), pose.rotation,
                     pose.translation, pose.shape)
    return place_palm_centre(moved, joints(pose)[:, -1])
