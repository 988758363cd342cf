# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Where a robot's camera sees the hand from: egocentric views, image borders, the forearm.

The pose prior of ``model.sample_poses`` shows mostly the palm, fingers up, the hand inside
the image. A camera on a robot, a head or a shoulder also sees:
- the back of the hand with the fingers pointing away (``EgoSampling``): the finger
  direction leaves the image plane at 10-70 deg (into the scene), its image direction is
  within +-60 deg of "up", and the back of the hand faces the camera, rolled by at most
  +-50 deg about the fingers (so the back normal always points towards the camera);
- the arm entering from the image border (``arm_capsules``: the forearm along the hand's
  -y, bent at the wrist, then the upper arm to a shoulder beside and below the camera);
- the hand partly out of the image (``place_in_image`` with ``border``: the palm centre
  within a band along one image edge, so fingers or the wrist leave the frame).
Frames: hand frame as in ``model.py`` (+y fingers, +z back of the hand); camera optical
frame, mm.
"""

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from training.hand.model import (
    axis_angle_to_matrix, FOREARM_LENGTH_MM, FOREARM_RADIUS_MM, joints,
    place_palm_centre, sample_angles, shape_and_place)


@dataclass(frozen=True)
class EgoSampling:
    """Egocentric views: camera behind and above the hand (uniform draws, degrees, mm)."""

    depth_mm: tuple = (300.0, 700.0)   # palm centre distance: an arm's length from the head
    elevation_deg: tuple = (10.0, 70.0)  # fingers into the scene (0: in the image plane)
    heading_deg: float = 60.0          # finger direction in the image, +- from "up"
    roll_deg: float = 50.0             # roll about the fingers, +- (0: back square on)
    lateral: tuple = (0.3, 0.25)       # |x| / z and |y| / z of the palm centre
    scale: tuple = (0.9, 1.1)          # hand size
    thickness: tuple = (0.9, 1.1)      # finger and palm thickness


def ego_rotations(rng, n, sampling=EgoSampling()):
    """Axis-angle ``(n, 3)`` of egocentric views: back to the camera, fingers away."""
    elevation = np.radians(rng.uniform(*sampling.elevation_deg, n))
    heading = np.radians(rng.uniform(-sampling.heading_deg, sampling.heading_deg, n))
    fingers = np.stack([np.sin(heading) * np.cos(elevation),
                        -np.cos(heading) * np.cos(elevation), np.sin(elevation)], 1)
    towards = np.array([0.0, 0.0, -1.0])
    back = towards - (fingers @ towards)[:, None] * fingers
    back /= np.linalg.norm(back, axis=1, keepdims=True)
    roll = np.radians(rng.uniform(-sampling.roll_deg, sampling.roll_deg, n))
    back = Rotation.from_rotvec(fingers * roll[:, None]).apply(back)
    thumb = np.cross(fingers, back)
    return Rotation.from_matrix(np.stack([thumb, fingers, back], 2)).as_rotvec()


def sample_ego_poses(rng, n, sampling=EgoSampling(), angles=None):
    """Draw ``n`` egocentric hand poses, palm centre in a VGA-like view (``angles`` or prior)."""
    angles = sample_angles(rng, n) if angles is None else angles
    rotation = ego_rotations(rng, n, sampling)
    return shape_and_place(rng, angles, rotation, sampling)


def place_in_image(rng, pose, K, size, depth_mm, border=0.0, border_px=(0.0, 0.08)):
    """Move ``pose`` (length 1) so its palm centre lands in the image at a depth in range.

    The palm centre's pixel is uniform in the middle 80 % of the image, or with probability
    ``border`` within ``border_px`` (fractions of the side) of a random edge. Returns the
    moved pose; rotation and articulation are kept.
    """
    height, width = size
    u, v = rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.9) * height
    if rng.random() < border:
        edge = int(rng.integers(4))
        inset = rng.uniform(*border_px)
        if edge < 2:
            u = (inset if edge == 0 else 1.0 - inset) * width
        else:
            v = (inset if edge == 2 else 1.0 - inset) * height
    z = rng.uniform(*depth_mm)
    target = np.array([[(u - K[0, 2]) * z / K[0, 0], (v - K[1, 2]) * z / K[1, 1], z]])
    return place_palm_centre(pose, target)


def arm_capsules(rng, pose, bend_deg=(30.0, 15.0), near_mm=100.0):
    """Forearm and upper arm of ``pose`` (length 1): ends ``(2, 2, 3)`` mm, radii ``(2,)`` mm.

    The forearm leaves the wrist along the hand's -y, bent by up to +-``bend_deg``
    (flexion about the hand's x, deviation about its z); the upper arm runs from the elbow
    to a shoulder beside and below the camera (100-250 mm to either side, 150-300 mm down,
    -50-50 mm deep), as for a camera on the head. Both stop ``near_mm`` in front of the
    camera, so the arm leaves the image (an upper arm of radius 0 is not drawn: the forearm
    reached that plane first).
    """
    R = axis_angle_to_matrix(np.asarray(pose.rotation, np.float64))[0]
    bend = Rotation.from_euler('xz', [rng.uniform(-1, 1) * np.radians(bend_deg[0]),
                                      rng.uniform(-1, 1) * np.radians(bend_deg[1])])
    wrist = pose.translation[0]
    elbow = wrist + R @ bend.apply([0.0, -1.0, 0.0]) * FOREARM_LENGTH_MM * pose.shape[0, 0]
    shoulder = np.array([rng.choice([-1.0, 1.0]) * rng.uniform(100.0, 250.0),
                         rng.uniform(150.0, 300.0), rng.uniform(-50.0, 50.0)])
    elbow = _stop_before(wrist, elbow, near_mm)
    ends = np.stack([[wrist, elbow], [elbow, _stop_before(elbow, shoulder, near_mm)]])
    radius = FOREARM_RADIUS_MM * pose.shape[0, 0] * pose.shape[0, 2]
    upper = radius * 1.3 if elbow[2] > near_mm + 1e-6 else 0.0   # 0: not drawn
    return ends, np.array([radius, upper])


def _stop_before(start, end, near_mm):
    """``end`` moved back along the segment from ``start`` so that its z >= ``near_mm``."""
    if end[2] >= near_mm or start[2] <= near_mm:
        return end if end[2] >= near_mm else start
    return start + (end - start) * (start[2] - near_mm) / (start[2] - end[2])


def rigid_motion(old, new):
    """``points (..., 3) -> points`` moving camera-frame points with the hand from old to new.

    ``old`` and ``new`` are poses of length 1 with the same articulation and shape; the
    motion maps every point attached to the hand (joints, labels) rigidly.
    """
    R_old = axis_angle_to_matrix(np.asarray(old.rotation, np.float64))[0]
    R_new = axis_angle_to_matrix(np.asarray(new.rotation, np.float64))[0]
    t_old, t_new = old.translation[0], new.translation[0]
    return lambda points: (np.asarray(points) - t_old) @ R_old @ R_new.T + t_new


def mirror(pose, points):
    """Reflect camera-frame ``points`` (B, ..., 3) of ``pose`` about its hand's x = 0 plane.

    A hand model reflected this way is the other hand (left <-> right) in the same pose.
    """
    R = axis_angle_to_matrix(np.asarray(pose.rotation, np.float64))
    t = pose.translation
    shape = points.shape
    flat = points.reshape(len(points), -1, 3)
    local = np.einsum('bij,bkj->bki', R.transpose(0, 2, 1), flat - t[:, None])
    local[..., 0] *= -1.0
    return (np.einsum('bij,bkj->bki', R, local) + t[:, None]).reshape(shape)


def back_and_fingers(pose):
    """Camera-frame z of the back normal and of the finger direction, ``(B,)`` each."""
    R = axis_angle_to_matrix(np.asarray(pose.rotation, np.float64))
    return R[:, 2, 2], R[:, 2, 1]


def joints_out_of_image(pose, K, size):
    """Per pose, whether any of its 14 joints projects outside the image ``(B,)``."""
    points = joints(pose)
    u = K[0, 0] * points[..., 0] / points[..., 2] + K[0, 2]
    v = K[1, 1] * points[..., 1] / points[..., 2] + K[1, 2]
    outside = (u < 0) | (u > size[1] - 1) | (v < 0) | (v > size[0] - 1)
    return outside.any(axis=1)
