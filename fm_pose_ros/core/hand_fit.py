# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Refine the network's 14 joints against the depth in the crop by fitting the hand model.

Two stages, both damped Gauss-Newton (Levenberg-Marquardt) with analytic Jacobians over the
parameter vector ``x`` (28 values): the 20 joint angles (radians, kept inside
``hand_model.ANGLE_LIMITS``), the axis-angle rotation (3, radians), the wrist translation
(3, mm, camera frame), log of the hand's scale and log of its thickness (``shape``; kept
inside ``SCALE_LIMITS`` and ``THICKNESS_LIMITS``).

1. Inverse kinematics: the model's 14 joints to the network's (thickness fixed), from a
   Kabsch alignment of the open hand's palm joints with every chain's angles solved in
   closed form (``chain_angles``); ``ik_iterations`` steps.
2. ``iterations`` steps on three terms (the last step is taken without checking its cost):

   - data: observed depth points (mm, camera frame; at most ``max_points`` of the crop's
     pixels near the joints) to the model surface, the signed distance to the nearest
     capsule, with a Cauchy kernel (``data_scale_mm``); points farther than ``cutoff_mm``,
     or nearest the model's forearm, count for nothing;
   - free space: points on the capsules' axes, projected into the crop, whose camera-facing
     surface lies in front of the observed depth there by more than ``margin_mm``;
   - prior: the model's joints stay near the inverse-kinematics joints (``prior_mm``).

The model is a left hand (``hand_model``). With ``handedness`` ``auto`` the inverse kinematics
also runs on the network's joints mirrored (camera x -> -x), and the fit continues with
whichever hand explains them better; a right hand is fitted in the mirror image of the scene
(the crop's columns reversed) and the result mirrored back. ``left`` / ``right`` fix it.

The published joints are the network's plus the displacement the second stage gave the
model's joints, so that where the model's joints and the network's labels sit differently
(annotation conventions) the difference is kept. The crop is the network input: values in
[-1, 1], depth ``com_z + v * cube_z / 2`` for ``-1 < v < 1``, +1 = missing or behind the
cube (unknown: no free-space evidence).
"""

from dataclasses import dataclass
import time

import cv2
import numpy as np

from fm_pose_ros.core.hand_model import (
    ABDUCTION_OFFSET, ABDUCTION_SIGN, ANGLE_LIMITS, capsule_radii, CAPSULE_ROWS,
    CHAIN_ABDUCTION, CHAIN_BASES, CHAIN_FLEXION, CHAIN_LENGTHS, CHAIN_TILT, FIXED_POINTS,
    FOREARM_LENGTH_MM, FOREARM_RADIUS_MM, FOREARM_TILT, hand_points, JOINT_ROWS, kabsch,
    model_joints, NUM_ANGLES)

MAX_ITERATIONS = 20          # node parameter fit_iterations: upper bound
_PALM = [1, 3, 5, 7, 10, 11, 12, 13]   # joints that the open hand's Kabsch start aligns
_ROT, _TRANS, _SCALE, _THICK = slice(20, 23), slice(23, 26), 26, 27
NUM_PARAMS = 28
HANDEDNESS = ('auto', 'left', 'right')
MIRROR_X = np.array([-1.0, 1.0, 1.0])  # camera x -> -x: the mirror image, the other hand
SCALE_LIMITS = (0.8, 1.3)       # hand size against the model's
THICKNESS_LIMITS = (0.8, 1.4)   # finger and palm thickness against the model's
# the open hand's palm joints at scale 1 (hand frame, mm) and their spread (mm^2)
_REST_PALM = model_joints(np.zeros((1, NUM_ANGLES)), np.zeros((1, 3)), np.zeros((1, 3)),
                          np.ones((1, 3)))[0, _PALM]
_REST_PALM_SPREAD = ((_REST_PALM - _REST_PALM.mean(0)) ** 2).sum()


@dataclass(frozen=True)
class FitSettings:
    """Weights and sizes of the fit (mm unless said otherwise)."""

    iterations: int = 3           # depth steps after the inverse kinematics (0: none)
    ik_iterations: int = 4        # inverse-kinematics steps
    max_points: int = 256         # observed points used per frame (evenly subsampled)
    box_margin_mm: float = 30.0   # observed points within the joints' box grown by this
    data_scale_mm: float = 12.0   # Cauchy scale of point-to-surface distances
    cutoff_mm: float = 40.0       # points farther from the model are ignored
    data_sigma_mm: float = 4.0    # weight of one point: 1 / sigma^2 / max_points
    prior_mm: float = 30.0        # weight of one joint: 1 / prior^2 / 14
    margin_mm: float = 5.0        # free space: tolerated depth in front of the observed
    free_sigma_mm: float = 4.0    # weight of one free-space sample: 1 / sigma^2 / samples
    forearm: bool = True          # points nearest the model's forearm are explained away
    handedness: str = 'auto'      # 'auto' (the hand whose IK fits better), 'left' or 'right'
    damping: float = 1e-3         # initial Levenberg-Marquardt damping

    def validate(self):
        """Raise ValueError with a readable message if a setting is out of range."""
        if not 0 <= self.iterations <= MAX_ITERATIONS:
            raise ValueError(f'fit iterations must be in [0, {MAX_ITERATIONS}], got '
                             f'{self.iterations}')
        if self.ik_iterations < 1 or self.max_points < 16:
            raise ValueError('ik_iterations >= 1 and max_points >= 16')
        if self.handedness not in HANDEDNESS:
            raise ValueError(f"fit handedness must be one of {', '.join(HANDEDNESS)}, got "
                             f'{self.handedness!r}')
        return self


@dataclass
class FitResult:
    """Joints ``(14, 3)`` mm, camera frame; the model's parameters; time in ms."""

    joints_mm: np.ndarray       # published: network joints + the depth stage's displacement
    model_joints_mm: np.ndarray  # the fitted model's own joints
    ik_joints_mm: np.ndarray    # the model's joints after the inverse kinematics
    params: np.ndarray          # (28,) see module docstring (of the mirror image if right)
    points: int                 # observed points used
    time_ms: float
    hand: str = 'left'          # the hand fitted: 'left' (the model's) or 'right'


def unpack(x):
    """Parameter vectors ``(B, 28)`` -> angles, rotation, translation, shape (hand_model)."""
    shape = np.stack([np.exp(x[:, _SCALE])] + [np.exp(x[:, _THICK])] * 2, 1)
    return x[:, :NUM_ANGLES], x[:, _ROT], x[:, _TRANS], shape


def crop_camera_of(transform):
    """Intrinsics ``(3, 3)`` of the virtual camera whose image is the crop."""
    K, M = transform.K, transform.M
    return np.array([[M[0, 0] * K[0, 0], 0.0, M[0, 0] * K[0, 2] + M[0, 2]],
                     [0.0, M[1, 1] * K[1, 1], M[1, 1] * K[1, 2] + M[1, 2]],
                     [0.0, 0.0, 1.0]])


def crop_depth(crop, transform):
    """Metric depth ``(S, S)`` mm of a normalised crop; NaN where unknown (+1) or clipped (-1)."""
    crop = np.asarray(crop, np.float32)
    depth = transform.com[2] + crop.astype(np.float64) * (transform.cube[2] / 2.0)
    depth[(crop >= 1.0) | (crop <= -1.0)] = np.nan
    return depth


def observed_points(depth, K_crop, joints_mm, settings):
    """Crop pixels with depth, near the joints, as points ``(N, 3)`` mm, camera frame.

    Near: inside the joints' bounding box grown by ``box_margin_mm``; at most
    ``max_points`` of them, evenly spaced in raster order.
    """
    rows, cols = np.nonzero(np.isfinite(depth))
    z = depth[rows, cols]
    points = np.stack([(cols - K_crop[0, 2]) * z / K_crop[0, 0],
                       (rows - K_crop[1, 2]) * z / K_crop[1, 1], z], 1)
    low = joints_mm.min(0) - settings.box_margin_mm
    high = joints_mm.max(0) + settings.box_margin_mm
    points = points[np.all((points > low) & (points < high), 1)]
    if len(points) > settings.max_points:
        points = points[np.linspace(0, len(points) - 1, settings.max_points).astype(int)]
    return points


def initial_params(target_mm):
    """Return the start of the inverse kinematics ``(28,)`` for joints ``(14, 3)`` mm.

    Kabsch-aligned open-hand palm, size from the palm, then each chain's angles in closed
    form from the target's PIP and tip (thumb: MCP, IP, tip) in that hand frame.
    """
    x = np.zeros(NUM_PARAMS)
    source, target = _REST_PALM, target_mm[_PALM]
    spread = np.sqrt(((target - target.mean(0)) ** 2).sum() / _REST_PALM_SPREAD)
    scale = np.clip(spread, *SCALE_LIMITS)
    R, t = kabsch(source[None] * scale, target[None])
    x[_SCALE] = np.log(scale)
    x[_ROT] = _rotvec(R[0])
    x[_TRANS] = t[0]
    hand = (target_mm - t[0]) @ R[0] / scale                  # hand frame, scale 1, mm
    x[:NUM_ANGLES] = np.clip(chain_angles(hand), ANGLE_LIMITS[:, 0], ANGLE_LIMITS[:, 1])
    return x


# published joints along each chain: fingers (PIP, tip), thumb (MCP, IP, tip)
_FINGER_PIPS, _FINGER_TIPS = [7, 5, 3, 1], [6, 4, 2, 0]
_THUMB_JOINTS = [10, 9, 8]


def _plane_angle(vector, gamma):
    """Angle (radians) of vectors ``(..., 3)`` in their chain's plane: atan2(z, along)."""
    along = -np.sin(gamma) * vector[..., 0] + np.cos(gamma) * vector[..., 1]
    return np.arctan2(vector[..., 2], along)


def chain_angles(hand):
    """Joint angles ``(20,)`` whose chains pass through the 14 joints ``hand`` ``(14, 3)``.

    ``hand``: joints in the hand frame at scale 1 (mm). Every chain bends in one plane
    (hand_model.hand_points): its first joint's direction gives abduction and flexion, a
    finger's tip gives the PIP and DIP flexions by two-link inverse kinematics, the thumb's
    IP and tip give its MCP and IP flexions. In [-pi, pi), not clipped to the limits.
    """
    angles = np.zeros(NUM_ANGLES)
    first = np.vstack([hand[_FINGER_PIPS], hand[_THUMB_JOINTS[0]]]) - CHAIN_BASES
    flat = np.hypot(first[:, 0], first[:, 1])
    # a first phalanx along +-z (flexion near 90 degrees) says nothing of its abduction: 0
    gamma = np.where(flat > 0.3 * np.linalg.norm(first, axis=1),
                     np.arctan2(-first[:, 0], first[:, 1]), ABDUCTION_OFFSET)
    phi0 = np.arctan2(first[:, 2], flat)
    angles[CHAIN_ABDUCTION] = (gamma - ABDUCTION_OFFSET) * ABDUCTION_SIGN
    angles[CHAIN_FLEXION[:, 0]] = CHAIN_TILT - phi0
    # fingers: PIP -> tip across two phalanges (law of cosines; bending towards -z)
    l1, l2 = CHAIN_LENGTHS[:4, 1], CHAIN_LENGTHS[:4, 2]
    chord = hand[_FINGER_TIPS] - hand[_FINGER_PIPS]
    distance = np.clip(np.linalg.norm(chord, axis=1), np.abs(l1 - l2) + 1e-3, l1 + l2 - 1e-3)
    bend = np.arccos(np.clip((distance ** 2 - l1 ** 2 - l2 ** 2) / (2 * l1 * l2), -1, 1))
    phi1 = _plane_angle(chord, gamma[:4]) + np.arctan2(l2 * np.sin(bend),
                                                       l1 + l2 * np.cos(bend))
    angles[CHAIN_FLEXION[:4, 1]] = phi0[:4] - phi1
    angles[CHAIN_FLEXION[:4, 2]] = bend
    # thumb: MCP -> IP -> tip
    mcp, ip, tip = hand[_THUMB_JOINTS]
    phi1, phi2 = _plane_angle(ip - mcp, gamma[4]), _plane_angle(tip - ip, gamma[4])
    angles[CHAIN_FLEXION[4, 1:]] = [phi0[4] - phi1, phi1 - phi2]
    return (angles + np.pi) % (2 * np.pi) - np.pi


def _rotation(rotvec):
    """Rotation matrix ``(3, 3)`` of an axis-angle ``(3,)`` (radians)."""
    return cv2.Rodrigues(np.asarray(rotvec, np.float64))[0]


def _rotvec(R):
    """Axis-angle ``(3,)`` (radians) of a rotation matrix ``(3, 3)``."""
    return cv2.Rodrigues(np.asarray(R, np.float64))[0][:, 0]


def _skew(v):
    """Cross-product matrices ``(..., 3, 3)`` of vectors ``(..., 3)``: skew(v) @ b = v x b."""
    out = np.zeros(v.shape + (3,))
    out[..., 0, 1], out[..., 0, 2] = -v[..., 2], v[..., 1]
    out[..., 1, 0], out[..., 1, 2] = v[..., 2], -v[..., 0]
    out[..., 2, 0], out[..., 2, 1] = -v[..., 1], v[..., 0]
    return out


@dataclass
class _Model:
    """The model at one ``x``.

    Joints ``(14, 3)``, capsule ends ``(P, 2, 3)``, radii ``(P,)`` (mm, camera frame), their
    Jacobians ``d_joints (42, 28)``, ``d_ends (P, 2, 3, 28)``, ``d_radii (P, 28)`` (None
    without), and the forearm capsule (ends ``(2, 3)``, radius).
    """

    joints: np.ndarray
    ends: np.ndarray
    radii: np.ndarray
    d_joints: np.ndarray = None
    d_ends: np.ndarray = None
    d_radii: np.ndarray = None
    arm: tuple = None


def _model(x, jacobian=True, forearm=False):
    """Evaluate the model at ``x`` (see ``_Model``); the forearm only explains points away."""
    angles, _, translation, shape = unpack(x[None])
    R = _rotation(x[_ROT])
    hand = np.concatenate([hand_points(angles, shape)[0], FIXED_POINTS * shape[0, 0]])
    bank = hand @ R.T + translation[0]                                    # (Q, 3)
    radii = capsule_radii(shape)[0]
    model = _Model(bank[JOINT_ROWS], bank[CAPSULE_ROWS], radii)
    if jacobian:
        J = _bank_jacobian(x, bank, R)
        model.d_joints = J[JOINT_ROWS].reshape(-1, NUM_PARAMS)
        model.d_ends = J[CAPSULE_ROWS]
        model.d_radii = np.zeros(radii.shape + (NUM_PARAMS,))
        model.d_radii[:, _SCALE] = model.d_radii[:, _THICK] = radii
    if forearm:
        direction = np.array([0.0, 0.0, FOREARM_TILT]) - R[:, 1]         # hand -y, away
        length = FOREARM_LENGTH_MM * shape[0, 0] / np.sqrt(direction @ direction)
        model.arm = (np.stack([x[_TRANS], x[_TRANS] + direction * length]),
                     FOREARM_RADIUS_MM * shape[0, 0] * shape[0, 2])
    return model


# every chain point after joint k moves when flexion k turns: mask (k, point)
_AFTER = np.arange(4)[None, :] > np.arange(3)[:, None]


def _bank_jacobian(x, bank, R):
    """Return the derivatives ``(Q, 3, 28)`` of the point bank (camera frame) by ``x``.

    Translation: identity. Rotation (a small rotation d applied after the current one,
    ``apply_step``): d x (p - t). Log scale: p - t. Flexion k of a chain: -axis x (p - joint
    k) for the points after joint k (axis: the chain's flexion axis). Abduction:
    sign * z x (p - base), z the hand's z axis.
    """
    v = bank - x[_TRANS]
    J = np.zeros(bank.shape + (NUM_PARAMS,))
    J[:, :, _TRANS] = np.eye(3)
    J[:, :, _ROT] = -_skew(v)
    J[:, :, _SCALE] = v
    chains = bank[:20].reshape(5, 4, 3)
    gamma = x[CHAIN_ABDUCTION] * ABDUCTION_SIGN + ABDUCTION_OFFSET
    axes = np.stack([np.cos(gamma), np.sin(gamma), np.zeros(5)], 1) @ R.T   # (5, 3)
    turn = _skew(axes)                                         # b @ turn = -axis x b
    # (chain, k, point, 3): -axis x (point - joint k), for the three flexions
    pairs = ((chains[:, None] - chains[:, :3, None]) @ turn[:, None]) * _AFTER[..., None]
    jc = J[:20].reshape(5, 4, 3, NUM_PARAMS)                   # a view: writes go into J
    jc[np.arange(5)[:, None], :, :, CHAIN_FLEXION] = pairs
    jc[np.arange(5), :, :, CHAIN_ABDUCTION] = ABDUCTION_SIGN[:, None, None] * (
        (chains - chains[:, :1]) @ _skew(R[:, 2]).T)
    return J


def apply_step(x, step):
    """Parameters after an LM step: rotation composed, angles, size and thickness clipped."""
    out = x + step
    out[_ROT] = _rotvec(_rotation(step[_ROT]) @ _rotation(x[_ROT]))
    out[:NUM_ANGLES] = np.clip(out[:NUM_ANGLES], ANGLE_LIMITS[:, 0], ANGLE_LIMITS[:, 1])
    out[_SCALE] = np.clip(out[_SCALE], *np.log(SCALE_LIMITS))
    out[_THICK] = np.clip(out[_THICK], *np.log(THICKNESS_LIMITS))
    return out


# free space: samples along each capsule's axis (fractions from end a to end b)
_FRACTIONS = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])       # (sample, end) weights


class _Problem:
    """Weighted least-squares terms at ``x``: cost, ``J^T W J`` and ``J^T W r``."""

    def __init__(self, settings, anchor_mm, points=None, depth=None, K_crop=None):
        self.settings, self.anchor = settings, anchor_mm
        self.points, self.depth, self.K_crop = points, depth, K_crop
        self.use_depth = points is not None and len(points) > 0
        self.joints = None                    # model joints at the last linearised x
        self.prior_weight = 1.0 / (settings.prior_mm ** 2 * anchor_mm.size / 3)
        if self.use_depth:
            self.point_terms = (points, (points * points).sum(1)[:, None])

    def linearise(self, x, jacobian=True):
        """Return ``(cost, J^T W J (28, 28), J^T W r (28,))`` at ``x`` (cost only: zeros)."""
        model = _model(x, jacobian, self.settings.forearm and self.use_depth)
        self.joints = model.joints
        residual = (model.joints - self.anchor).ravel()
        total = _weighted(residual, model.d_joints, self.prior_weight)
        if self.use_depth:
            for term in (self._data(model), self._free_space(model)):
                total = [a + b for a, b in zip(total, term)]
        return tuple(total)

    def _data(self, model):
        """Point-to-capsule distances: Cauchy-weighted, cut off, forearm explained away."""
        s = self.settings
        ends, radii = model.ends, model.radii
        if model.arm is not None:
            ends = np.concatenate([ends, model.arm[0][None]])
            radii = np.append(radii, model.arm[1])
        a, axis = ends[:, 0], ends[:, 1] - ends[:, 0]                      # (P, 3)
        p, p2 = self.point_terms
        along = p @ axis.T - (a * axis).sum(1)                             # (p - a) . axis
        axis2 = np.maximum((axis * axis).sum(1), 1e-9)
        t = np.clip(along / axis2, 0.0, 1.0)                               # (N, P)
        # |p - a - t axis|^2 expanded, so that only (N, P) arrays are formed
        square = p2 - 2.0 * (p @ a.T) + (a * a).sum(1) - t * (2.0 * along - t * axis2)
        nearest = np.argmin(np.sqrt(np.maximum(square, 0.0)) - radii, 1)
        t = np.take_along_axis(t, nearest[:, None], 1)[:, 0]
        offset = p - a[nearest] - t[:, None] * axis[nearest]               # point - axis point
        length = np.sqrt((offset * offset).sum(1))
        distance = length - radii[nearest]
        # Cauchy: cost c^2 log(1 + d^2 / c^2), IRLS weight 1 / (1 + d^2 / c^2)
        ratio = np.minimum(distance ** 2, s.cutoff_mm ** 2) / s.data_scale_mm ** 2
        cost = np.log1p(ratio) * s.data_scale_mm ** 2
        used = np.abs(distance) <= s.cutoff_mm
        if model.arm is not None:                                          # explained away
            used &= nearest < len(model.radii)
            cost[nearest == len(model.radii)] = 0.0
        scale = 1.0 / (s.data_sigma_mm ** 2 * len(distance))
        if model.d_ends is None:
            return cost.sum() * scale, 0.0, 0.0
        idx, t = nearest[used], t[used]
        normal = offset[used] / np.maximum(length[used], 1e-9)[:, None]
        # d distance = -normal . ((1 - t) d a + t d b) - d radius
        coefficients = (np.stack([1.0 - t, t], 1)[:, :, None] * normal[:, None]).reshape(
            -1, 1, 6)
        jacobian = -(coefficients @ model.d_ends[idx].reshape(-1, 6, NUM_PARAMS))[:, 0] - (
            model.d_radii[idx])
        weight = scale / (1.0 + ratio[used])
        return (cost.sum() * scale,) + _weighted(distance[used], jacobian, weight)[1:]

    def _free_space(self, model):
        """Camera-facing capsule points in front of the observed depth by > margin_mm."""
        s, K = self.settings, self.K_crop
        centre = np.tensordot(_FRACTIONS, model.ends, (1, 1))              # (3, P, 3)
        unit_z = centre[..., 2] / np.sqrt((centre * centre).sum(-1))
        front = centre[..., 2] - model.radii * unit_z                      # surface depth
        u = np.rint(K[0, 0] * centre[..., 0] / centre[..., 2] + K[0, 2]).astype(int)
        v = np.rint(K[1, 1] * centre[..., 1] / centre[..., 2] + K[1, 2]).astype(int)
        size = self.depth.shape[0]
        inside = (u >= 0) & (u < size) & (v >= 0) & (v < size)
        observed = np.full(front.shape, np.nan)
        observed[inside] = self.depth[v[inside], u[inside]]
        gap = observed - s.margin_mm - front                               # > 0: in front
        active = np.nonzero(np.isfinite(gap) & (gap > 0))
        weight = 1.0 / (s.free_sigma_mm ** 2 * gap.size)
        gap = gap[active]
        if model.d_ends is None or len(gap) == 0:
            return weight * float((gap * gap).sum()), 0.0, 0.0
        sample, capsule = active
        d_front = (np.einsum('se,seq->sq', _FRACTIONS[sample],
                             model.d_ends[capsule, :, 2]) - unit_z[active][:, None]
                   * model.d_radii[capsule])
        return _weighted(gap, -d_front, weight)


def _weighted(residual, jacobian, weight):
    """``(sum w r^2, J^T W J, J^T W r)`` of one term (zeros without a Jacobian).

    ``weight``: one number or one per residual.
    """
    weighted_residual = weight * residual
    cost = float(weighted_residual @ residual)
    if jacobian is None:
        return cost, 0.0, 0.0
    weighted = jacobian * np.reshape(weight, (-1, 1))
    return cost, weighted.T @ jacobian, jacobian.T @ weighted_residual


def levenberg_marquardt(problem, x, iterations, damping, fixed=(), verify=True):
    """Minimise ``problem`` from ``x`` with ``iterations`` linearisations.

    Returns the best parameters seen and their model joints ``(14, 3)`` mm (``verify``
    False: the last step is taken without checking its cost). ``fixed``: parameter indices
    held constant. Angles are clipped to their limits.
    """
    free = np.setdiff1d(np.arange(NUM_PARAMS), np.asarray(fixed, int))
    eye = 1e-6 * np.eye(len(free))
    best = None                                   # (cost, x, (H, g), joints)
    for k in range(iterations + 1):
        final = k == iterations                   # the last step's result: cost only
        if final and not verify and best is not None:
            return x, _model(x, jacobian=False).joints
        cost, H, g = problem.linearise(x, jacobian=not final)
        if best is not None and cost > best[0]:          # rejected: back, damp more
            x, (H, g), damping = best[1], best[2], damping * 10.0
        else:
            best, damping = (cost, x, (H, g), problem.joints), max(damping / 3.0, 1e-7)
        if final:
            break
        Hf = H[np.ix_(free, free)]
        step = np.zeros(NUM_PARAMS)
        try:
            step[free] = np.linalg.solve(Hf + damping * (np.diag(np.diag(Hf)) + eye), -g[free])
        except np.linalg.LinAlgError:             # degenerate system: keep the best so far
            break
        x = apply_step(x, step)
    return best[1], best[3]


def _inverse_kinematics(target, settings):
    """Model fitted to joints ``target`` ``(14, 3)`` mm: ``(cost, x, model joints)``."""
    problem = _Problem(settings, target)
    x, joints = levenberg_marquardt(problem, initial_params(target), settings.ik_iterations,
                                    settings.damping, fixed=[_THICK])
    return problem.linearise(x, jacobian=False)[0], x, joints


def _choose_hand(target, settings):
    """``(hand, IK result)``: the model (left) or its mirror image (right), by IK cost."""
    left = None if settings.handedness == 'right' else _inverse_kinematics(target, settings)
    if settings.handedness == 'left':
        return 'left', left
    right = _inverse_kinematics(target * MIRROR_X, settings)
    return ('right', right) if left is None or right[0] < left[0] else ('left', left)


def refine_joints(joints_mm, crop, transform, settings=FitSettings()):
    """Fit the hand model to the network's joints, then to the depth; return a FitResult.

    ``joints_mm`` ``(14, 3)`` mm, camera frame (the network's, hand_joints order); ``crop``
    ``(S, S)`` the normalised network input and ``transform`` its hand_codec.HandCropTransform.
    """
    start = time.perf_counter()
    target = np.asarray(joints_mm, np.float64)
    depth, K_crop = crop_depth(crop, transform), crop_camera_of(transform)
    hand, (_, ik, ik_joints) = _choose_hand(target, settings)
    flip = MIRROR_X if hand == 'right' else np.ones(3)
    if hand == 'right':            # the mirror image of the scene: its columns reversed
        depth, K_crop = depth[:, ::-1], K_crop.copy()
        K_crop[0, 2] = depth.shape[1] - 1 - K_crop[0, 2]
    points = observed_points(depth, K_crop, target * flip, settings)
    x, fitted = ik, ik_joints
    if settings.iterations and len(points):
        problem = _Problem(settings, ik_joints, points, depth, K_crop)
        x, fitted = levenberg_marquardt(problem, ik, settings.iterations, settings.damping,
                                        verify=False)
    return FitResult(joints_mm=(target + (fitted - ik_joints) * flip).astype(np.float32),
                     model_joints_mm=fitted * flip, ik_joints_mm=ik_joints * flip, params=x,
                     points=len(points), time_ms=(time.perf_counter() - start) * 1e3,
                     hand=hand)
