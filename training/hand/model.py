# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Articulated right-hand model: kinematics, pose sampling, capsules for rendering, IK.

Hand frame (mm): origin at the wrist centre, +y from the wrist towards the middle finger,
+x towards the thumb side, +z out of the BACK of the hand (the palm faces -z). Fingers flex
towards -z. Camera frame: optical (x right, y down, z forward), mm.

Pose parameters (batched, torch or numpy, leading dimension B):
- ``angles`` ``(B, 20)``: per finger (index, middle, ring, pinky) MCP flexion, MCP
  abduction, PIP flexion, DIP flexion (16 values), then thumb CMC flexion, CMC abduction,
  MCP flexion, IP flexion (4 values); radians, limits in ``ANGLE_LIMITS``.
- ``rotation`` ``(B, 3)``: axis-angle of hand frame -> camera frame.
- ``translation`` ``(B, 3)``: wrist centre in the camera frame, mm.
- ``shape`` ``(B, 3)``: overall scale, finger thickness scale, palm thickness scale.
"""

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation
import torch

# MCP position in the hand frame (mm) and phalanx lengths proximal, middle, distal (mm)
FINGER_BASES = np.array([[30.0, 88.0, 0.0], [8.0, 92.0, 0.0], [-14.0, 87.0, 0.0],
                         [-33.0, 77.0, 0.0]])
FINGER_LENGTHS = np.array([[42.0, 25.0, 20.0], [46.0, 29.0, 22.0], [43.0, 27.0, 21.0],
                           [34.0, 21.0, 18.0]])
FINGER_SPREAD = np.radians([-8.0, 0.0, 7.0, 15.0])      # rest abduction of each finger
THUMB_BASE = np.array([24.0, 22.0, -8.0])               # CMC joint
THUMB_LENGTHS = np.array([44.0, 32.0, 27.0])            # metacarpal, proximal, distal
THUMB_REST = np.radians(50.0)                           # rest angle from +y towards +x
WRIST_SIDES = np.array([[26.0, 0.0, 0.0], [-26.0, 0.0, 0.0]])
PALM_CENTRE = np.array([0.0, 45.0, 0.0])
# (low, high) radians for the 20 angles
_FINGER_LIMITS = [[-15, 90], [-20, 20], [0, 105], [0, 85]]
_THUMB_LIMITS = [[-20, 60], [-30, 45], [-10, 70], [-15, 85]]
ANGLE_LIMITS = np.radians(np.array(_FINGER_LIMITS * 4 + _THUMB_LIMITS, dtype=np.float64))


@dataclass
class HandPose:
    """Batched pose parameters (numpy arrays, see module docstring for shapes and units)."""

    angles: np.ndarray
    rotation: np.ndarray
    translation: np.ndarray
    shape: np.ndarray

    def __len__(self):
        return len(self.angles)

    def take(self, index):
        """Return the poses at ``index`` (array of indices)."""
        return HandPose(self.angles[index], self.rotation[index], self.translation[index],
                        self.shape[index])

    def arrays(self):
        """Return the parameters as a dict of numpy arrays, keyed by field name (for npz)."""
        return dict(vars(self))

    @classmethod
    def concatenate(cls, poses):
        """Join several HandPose batches into one."""
        return cls(*(np.concatenate([getattr(p, k) for p in poses])
                     for k in ('angles', 'rotation', 'translation', 'shape')))


def _rot(axis, angle):
    """Rotation matrices ``(B, 3, 3)`` about a fixed axis 'x', 'y' or 'z'."""
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rows = {'x': [[one, zero, zero], [zero, c, -s], [zero, s, c]],
            'y': [[c, zero, s], [zero, one, zero], [-s, zero, c]],
            'z': [[c, -s, zero], [s, c, zero], [zero, zero, one]]}[axis]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


def axis_angle_to_matrix(rotvec):
    """Rodrigues: ``(B, 3)`` axis-angle -> ``(B, 3, 3)``."""
    theta = rotvec.norm(dim=-1, keepdim=True).clamp_min(1e-9)
    k = rotvec / theta
    zero = torch.zeros_like(k[:, 0])
    cross = torch.stack([torch.stack([zero, -k[:, 2], k[:, 1]], -1),
                         torch.stack([k[:, 2], zero, -k[:, 0]], -1),
                         torch.stack([-k[:, 1], k[:, 0], zero], -1)], -2)
    theta = theta[..., None]
    eye = torch.eye(3, dtype=rotvec.dtype).expand_as(cross)
    return eye + torch.sin(theta) * cross + (1 - torch.cos(theta)) * cross @ cross


def _chain(base, frame, lengths, flexions):
    """Points along a chain: each phalanx bends by its flexion about the local x axis.

    ``base`` ``(B, 3)``, ``frame`` ``(B, 3, 3)``, ``lengths`` ``(B, 3)``, ``flexions`` 3 x
    ``(B,)``; returns 3 points ``(B, 3)`` (the end of each phalanx).
    """
    points, current = [], base
    for k, flex in enumerate(flexions):
        frame = frame @ _rot('x', -flex)
        current = current + frame[:, :, 1] * lengths[:, k:k + 1]   # local +y
        points.append(current)
    return points


def hand_points(angles, shape):
    """Chain points in the hand frame ``(B, 20, 3)`` mm (torch).

    Order: for index, middle, ring, pinky: MCP, PIP, DIP, tip; then thumb CMC, MCP, IP, tip.
    """
    scale = shape[:, 0:1]
    batch, dtype = angles.shape[0], angles.dtype
    eye = torch.eye(3, dtype=dtype).expand(batch, 3, 3)
    points = []
    for f in range(4):
        a = angles[:, 4 * f:4 * f + 4]
        base = torch.as_tensor(FINGER_BASES[f], dtype=dtype) * scale
        frame = eye @ _rot('z', a[:, 1] + FINGER_SPREAD[f])
        lengths = torch.as_tensor(FINGER_LENGTHS[f], dtype=dtype) * scale
        points += [base] + _chain(base, frame, lengths, [a[:, 0], a[:, 2], a[:, 3]])
    t = angles[:, 16:20]
    base = torch.as_tensor(THUMB_BASE, dtype=dtype) * scale
    frame = eye @ _rot('z', -(THUMB_REST + t[:, 1])) @ _rot('x', torch.full_like(t[:, 0], -0.5))
    lengths = torch.as_tensor(THUMB_LENGTHS, dtype=dtype) * scale
    points += [base] + _chain(base, frame, lengths, [t[:, 0], t[:, 2], t[:, 3]])
    return torch.stack(points, 1)


# capsules as (point a, point b, radius mm): point = index into hand_points, or a fixed
# hand-frame position (scaled); radius scales with 'finger' or 'palm' thickness
_FINGER_CAPSULES = [(4 * f + k, 4 * f + k + 1, r, 'finger')
                    for f in range(4) for k, r in enumerate((9.5, 8.5, 7.5))]
_THUMB_CAPSULES = [(16, 17, 13.0, 'palm'), (17, 18, 10.0, 'finger'), (18, 19, 8.5, 'finger')]
_PALM_CAPSULES = (
    [((0.6 * FINGER_BASES[f, 0], 12.0, 0.0), 4 * f, 13.0, 'palm') for f in range(4)]
    + [((26.0, 2.0, 0.0), (-26.0, 2.0, 0.0), 16.0, 'palm'),
       ((28.0, 45.0, 0.0), (-28.0, 45.0, 0.0), 16.0, 'palm'),
       (0, 12, 11.0, 'palm'), (16, (15.0, 52.0, -3.0), 14.0, 'palm')])
CAPSULES = _FINGER_CAPSULES + _THUMB_CAPSULES + _PALM_CAPSULES
FOREARM_LENGTH_MM, FOREARM_RADIUS_MM = 260.0, 31.0


def _endpoint(spec, points, scale):
    if isinstance(spec, int):
        return points[:, spec]
    return torch.as_tensor(spec, dtype=points.dtype) * scale


def to_camera(points, rotation, translation):
    """Hand-frame points ``(B, K, 3)`` -> camera frame with axis-angle and translation."""
    R = axis_angle_to_matrix(rotation)
    return points @ R.transpose(1, 2) + translation[:, None, :]


def _as_torch(pose):
    return [torch.as_tensor(np.asarray(v), dtype=torch.float64)
            for v in (pose.angles, pose.rotation, pose.translation, pose.shape)]


def joints_torch(angles, rotation, translation, shape):
    """Compute the 14 evaluation joints ``(B, 14, 3)`` mm, camera frame (differentiable)."""
    points = hand_points(angles, shape)
    scale = shape[:, 0:1, None]
    fixed = torch.as_tensor(np.stack([WRIST_SIDES[0], WRIST_SIDES[1], PALM_CENTRE]),
                            dtype=points.dtype)[None] * scale
    order = [15, 13, 11, 9, 7, 5, 3, 1, 19, 18, 17]     # hand_joints order, fingers+thumb
    hand = torch.cat([points[:, order], fixed.expand(len(points), 3, 3)], 1)
    return to_camera(hand, rotation, translation)


def joints(pose):
    """Compute the 14 evaluation joints ``(B, 14, 3)`` mm, camera frame, hand_joints order."""
    return joints_torch(*_as_torch(pose)).numpy()


def capsules(pose, forearm=False):
    """Render primitives: endpoints ``(B, P, 2, 3)`` mm camera frame, radii ``(B, P)`` mm."""
    angles, rotation, translation, shape = _as_torch(pose)
    points = hand_points(angles, shape)
    scale = shape[:, 0:1]
    ends, radii = [], []
    for a, b, radius, kind in CAPSULES:
        ends.append(torch.stack([_endpoint(a, points, scale), _endpoint(b, points, scale)], 1))
        thickness = shape[:, 1] if kind == 'finger' else shape[:, 2]
        radii.append(radius * scale[:, 0] * thickness)
    ends = torch.stack(ends, 1)                                       # (B, P, 2, 3)
    cam = to_camera(ends.reshape(len(ends), -1, 3), rotation, translation).reshape(ends.shape)
    radii = torch.stack(radii, 1)
    if forearm:
        arm_ends, arm_radii = _forearm(rotation, translation, shape)
        cam, radii = torch.cat([cam, arm_ends], 1), torch.cat([radii, arm_radii], 1)
    return cam.numpy(), radii.numpy()


def _forearm(rotation, translation, shape):
    """Forearm capsule from the wrist, down the hand's -y and away from the camera."""
    down = -axis_angle_to_matrix(rotation)[:, :, 1]                  # hand -y, camera frame
    direction = down + torch.tensor([0.0, 0.0, 1.2], dtype=down.dtype)
    direction = direction / direction.norm(dim=1, keepdim=True)
    end = translation + direction * FOREARM_LENGTH_MM * shape[:, 0:1]
    ends = torch.stack([translation, end], 1)[:, None]                # (B, 1, 2, 3)
    return ends, (FOREARM_RADIUS_MM * shape[:, 0] * shape[:, 2])[:, None]


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


def _kabsch(source, target):
    """Rotations ``(B, 3, 3)`` and translations ``(B, 3)`` best mapping source onto target."""
    mu_s, mu_t = source.mean(1, keepdims=True), target.mean(1, keepdims=True)
    u, _, vt = np.linalg.svd((source - mu_s).transpose(0, 2, 1) @ (target - mu_t))
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.tile(np.eye(3), (len(source), 1, 1))
    fix[:, 2, 2] = d
    R = (u @ fix @ vt).transpose(0, 2, 1)
    return R, (mu_t - mu_s @ R.transpose(0, 2, 1))[:, 0]


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
    R, t = _kabsch(rest[:, palm], target[:, palm])
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
