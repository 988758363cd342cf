# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Articulated hand model (a left hand): pose sampling, perturbation and inverse kinematics.

The kinematics (joints, capsules, the pose parameters ``HandPose`` and their units and
frames) live in ``fm_pose_ros/core/hand_model.py``, which the node's depth fitting also uses;
they are imported here, so ``training.hand.model`` still offers every name.
"""

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation
import torch

from fm_pose_ros.core.hand_model import (  # noqa: F401 (re-exported for the training modules)
    ANGLE_LIMITS, axis_angle_to_matrix, CAPSULES, capsules, FINGER_BASES, FINGER_LENGTHS,
    FINGER_SPREAD, FOREARM_LENGTH_MM, FOREARM_RADIUS_MM, hand_points, HandPose, joints,
    kabsch, model_joints, PALM_CENTRE, THUMB_BASE, THUMB_LENGTHS, THUMB_REST, to_camera,
    WRIST_SIDES)


def joints_torch(angles, rotation, translation, shape):
    """Compute the 14 evaluation joints ``(B, 14, 3)`` mm, camera frame (differentiable)."""
    return model_joints(angles, rotation, translation, shape, xp=torch)


def _random_rotations(rng, n, max_tilt, max_roll, back_facing):
    """Axis-angle ``(n, 3)``: palm towards the camera, fingers up, then random tilts."""
    base = Rotation.from_euler('z', np.pi)            # hand +y -> image up, palm to camera
    tilts = Rotation.from_euler('yxz', np.stack([
        rng.uniform(-max_tilt, max_tilt, n), rng.uniform(-max_tilt, max_tilt, n),
        rng.uniform(-max_roll, max_roll, n)], 1))    # matrix Rz @ Rx @ Ry
    flips = Rotation.from_euler('y', np.where(rng.random(n) < back_facing, np.pi, 0.0)[:, None])
    return (tilts * base * flips).as_rotvec()


@dataclass(frozen=True)
class PoseSampling:
    """Distribution of sampled poses (the synthetic domain's defaults)."""

    depth_mm: tuple = (350.0, 750.0)      # palm-centre distance from the camera
    lateral: tuple = (0.25, 0.18)         # |x| / z and |y| / z ranges of the palm centre
    max_tilt: float = np.radians(50.0)    # out-of-plane rotation
    max_roll: float = np.radians(60.0)    # in-plane rotation
    back_facing: float = 0.2              # fraction showing the back of the hand
    scale: tuple = (0.9, 1.1)             # hand size (uniform)
    thickness: tuple = (0.9, 1.1)         # finger and palm thickness (uniform)


def sample_angles(rng, n):
    """Natural articulations ``(n, 20)``: a shared grasp level plus per-joint variation."""
    low, high = ANGLE_LIMITS[:, 0], ANGLE_LIMITS[:, 1]
    grasp = rng.beta(0.7, 0.9, (n, 1))
    flex = grasp * high * rng.uniform(0.5, 1.0, (n, 20)) + rng.normal(0, 0.25, (n, 20))
    spread = rng.normal(0, np.radians(8.0), (n, 20))
    abduction = np.zeros(20, bool)
    abduction[[1, 5, 9, 13, 17]] = True
    angles = np.where(abduction, spread, flex)
    return np.clip(angles, low, high)


def sample_poses(rng, n, sampling=PoseSampling()):
    """Draw ``n`` hand poses in front of the camera (palm centre inside the view)."""
    angles = sample_angles(rng, n)
    rotation = _random_rotations(rng, n, sampling.max_tilt, sampling.max_roll,
                                 sampling.back_facing)
    return shape_and_place(rng, angles, rotation, sampling)


def shape_and_place(rng, angles, rotation, sampling):
    """Poses of ``angles`` (n, 20) and ``rotation`` (n, 3) with a drawn shape and palm place.

    ``sampling`` gives ``scale``, ``thickness``, ``depth_mm`` and ``lateral`` (the palm centre
    within +-lateral * z of the optical axis, mm).
    """
    n = len(angles)
    shape = np.stack([rng.uniform(*sampling.scale, n), rng.uniform(*sampling.thickness, n),
                      rng.uniform(*sampling.thickness, n)], 1)
    z = rng.uniform(*sampling.depth_mm, n)
    target = np.stack([z * rng.uniform(-1, 1, n) * sampling.lateral[0],
                       z * rng.uniform(-1, 1, n) * sampling.lateral[1], z], 1)
    return place_palm_centre(HandPose(angles, rotation, np.zeros((n, 3)), shape), target)


def place_palm_centre(pose, target_mm):
    """Return ``pose`` translated so that its palm-centre joint lands on ``target_mm``."""
    current = joints(pose)[:, -1]
    return HandPose(pose.angles, pose.rotation, pose.translation + target_mm - current,
                    pose.shape)


def perturb_poses(pose, rng, sigma=np.radians(12.0), rotation_sigma=0.0):
    """Perturb labelled poses with random articulations (the paper's scheme).

    ``sigma``: Gaussian noise on every joint angle (radians, clipped to the limits);
    ``rotation_sigma``: a random rotation of the hand about its palm centre, each axis-angle
    component Gaussian (radians). The palm centre stays where it was.
    """
    angles = np.clip(pose.angles + rng.normal(0, sigma, pose.angles.shape),
                     ANGLE_LIMITS[:, 0], ANGLE_LIMITS[:, 1])
    turn = Rotation.from_rotvec(rng.normal(0, rotation_sigma, pose.rotation.shape))
    rotation = (turn * Rotation.from_rotvec(pose.rotation)).as_rotvec()
    perturbed = HandPose(angles, rotation, pose.translation, pose.shape)
    return place_palm_centre(perturbed, joints(pose)[:, -1])


def fit_pose(target_mm, shape=None, iterations=300, fit_scale=False):
    """Inverse kinematics: pose parameters whose 14 joints best match ``target_mm``.

    ``target_mm`` ``(B, 14, 3)`` camera frame; ``shape`` ``(B, 3)`` (default: ones). Starts
    from a Kabsch alignment of the open hand's palm joints, then minimises the squared joint
    distances with Adam over angles (kept inside ANGLE_LIMITS), rotation and translation, and
    with ``fit_scale`` the overall hand scale ``shape[:, 0]`` too (bone lengths of labels).
    """
    target = np.asarray(target_mm, np.float64)
    n = len(target)
    shape = np.ones((n, 3)) if shape is None else np.asarray(shape, np.float64)
    rest = joints(HandPose(np.zeros((n, 20)), np.zeros((n, 3)), np.zeros((n, 3)), shape))
    palm = [1, 3, 5, 7, 10, 11, 12, 13]                      # PIPs, thumb MCP, palm
    R, t = kabsch(rest[:, palm], target[:, palm])
    low, high = (torch.as_tensor(v) for v in ANGLE_LIMITS.T)
    free = torch.zeros(n, 20, dtype=torch.float64, requires_grad=True)
    rotation = torch.tensor(Rotation.from_matrix(R).as_rotvec(), requires_grad=True)
    translation = torch.tensor(t, requires_grad=True)
    log_scale = torch.zeros(n, 1, dtype=torch.float64, requires_grad=fit_scale)
    goal, shape_t = torch.as_tensor(target), torch.as_tensor(shape)
    optimiser = torch.optim.Adam([free, rotation, translation] + [log_scale] * fit_scale,
                                 lr=0.05)

    def current_shape():
        return torch.cat([shape_t[:, :1] * torch.exp(log_scale), shape_t[:, 1:]], 1)
    for step in range(iterations):
        if step == iterations * 2 // 3:
            for group in optimiser.param_groups:
                group['lr'] = 0.01
        angles = low + (high - low) * torch.sigmoid(free)
        loss = ((joints_torch(angles, rotation, translation, current_shape()) - goal) ** 2
                ).sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    angles = (low + (high - low) * torch.sigmoid(free)).detach().numpy()
    return HandPose(angles, rotation.detach().numpy(), translation.detach().numpy(),
                    current_shape().detach().numpy())
