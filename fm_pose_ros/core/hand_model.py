# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Articulated hand model: kinematics, the 14 joints and the capsules of the surface.

It is a left hand (thumb on +x, back on +z: thumb x fingers points out of the back), so every
built-in benchmark holds left hands only (docs/hand_data.md, "Held-out domains").

Hand frame (mm): origin at the wrist centre, +y from the wrist towards the middle finger,
+x towards the thumb side, +z out of the BACK of the hand (the palm faces -z). Fingers flex
towards -z. Camera frame: optical (x right, y down, z forward), mm.

Pose parameters (batched, leading dimension B):
- ``angles`` ``(B, 20)``: per finger (index, middle, ring, pinky) MCP flexion, MCP
  abduction, PIP flexion, DIP flexion (16 values), then thumb CMC flexion, CMC abduction,
  MCP flexion, IP flexion (4 values); radians, limits in ``ANGLE_LIMITS``.
- ``rotation`` ``(B, 3)``: axis-angle of hand frame -> camera frame.
- ``translation`` ``(B, 3)``: wrist centre in the camera frame, mm.
- ``shape`` ``(B, 3)``: overall scale, finger thickness scale, palm thickness scale.

The functions taking ``xp`` compute with that array module: numpy (the default, float64
arrays) or torch (tensors; differentiable, for inverse kinematics by gradient descent).
"""

from dataclasses import dataclass

import numpy as np

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
NUM_ANGLES = 20

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
FOREARM_TILT = 1.2     # the forearm leaves along hand -y plus this much camera +z (normalised)

# the 14 published joints (core/hand_joints order): chain points of the fingers and the
# thumb, then the fixed wrist sides and palm centre
_JOINT_CHAIN_POINTS = [15, 13, 11, 9, 7, 5, 3, 1, 19, 18, 17]
_FIXED_JOINTS = np.stack([WRIST_SIDES[0], WRIST_SIDES[1], PALM_CENTRE])


def _capsule_tables():
    """Return the capsules' fixed hand-frame points, bank indices, radii and kinds.

    The bank of points is the 20 chain points followed by the fixed points (scaled).
    """
    fixed, index = [], []
    for a, b, _, _ in CAPSULES:
        pair = []
        for spec in (a, b):
            if isinstance(spec, int):
                pair.append(spec)
            else:
                pair.append(20 + len(fixed))
                fixed.append(spec)
        index.append(pair)
    radii = np.array([c[2] for c in CAPSULES])
    finger = np.array([c[3] == 'finger' for c in CAPSULES])
    return np.array(fixed, np.float64), np.array(index), radii, finger


_CAPSULE_FIXED, CAPSULE_INDEX, CAPSULE_RADII, _CAPSULE_IS_FINGER = _capsule_tables()


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


def axis_angle_to_matrix(rotvec, xp=np):
    """Rodrigues: ``(B, 3)`` axis-angle (radians) -> ``(B, 3, 3)`` rotation matrices."""
    theta = xp.sqrt((rotvec * rotvec).sum(-1) + 1e-18)[:, None]   # finite gradient at 0
    k = rotvec / theta
    zero = xp.zeros_like(k[:, 0])
    cross = xp.stack([xp.stack([zero, -k[:, 2], k[:, 1]], -1),
                      xp.stack([k[:, 2], zero, -k[:, 0]], -1),
                      xp.stack([-k[:, 1], k[:, 0], zero], -1)], -2)
    theta = theta[..., None]
    eye = xp.broadcast_to(xp.eye(3, dtype=rotvec.dtype), cross.shape)
    return eye + xp.sin(theta) * cross + (1 - xp.cos(theta)) * (cross @ cross)


# the five chains (index, middle, ring, pinky, thumb): base, phalanx lengths, the columns of
# ``angles`` that bend them, and their first rotation Rz(sign * abduction + offset) Rx(tilt)
CHAIN_BASES = np.vstack([FINGER_BASES, THUMB_BASE])
CHAIN_LENGTHS = np.vstack([FINGER_LENGTHS, THUMB_LENGTHS])
CHAIN_ABDUCTION = np.array([1, 5, 9, 13, 17])
CHAIN_FLEXION = np.array([[0, 2, 3], [4, 6, 7], [8, 10, 11], [12, 14, 15], [16, 18, 19]])
ABDUCTION_SIGN = np.array([1.0, 1.0, 1.0, 1.0, -1.0])
ABDUCTION_OFFSET = np.append(FINGER_SPREAD, -THUMB_REST)
CHAIN_TILT = np.array([0.0, 0.0, 0.0, 0.0, -0.5])


def hand_points(angles, shape, xp=np):
    """Chain points in the hand frame ``(B, 20, 3)`` mm.

    Order: for index, middle, ring, pinky: MCP, PIP, DIP, tip; then thumb CMC, MCP, IP, tip.
    Each chain starts at its base with the frame Rz(abduction) Rx(tilt); every joint then
    bends about that frame's x axis (flexion towards -z), so the k-th phalanx points along
    Rz(g) (0, cos p, sin p) with p = tilt - (sum of the first k + 1 flexions).
    """
    dtype = angles.dtype
    scale = shape[:, 0:1, None]                                       # (B, 1, 1)
    gamma = (angles[:, xp.asarray(CHAIN_ABDUCTION)] * xp.asarray(ABDUCTION_SIGN, dtype=dtype)
             + xp.asarray(ABDUCTION_OFFSET, dtype=dtype))[..., None]  # (B, 5, 1)
    phi = xp.asarray(CHAIN_TILT, dtype=dtype)[:, None] - xp.cumsum(
        angles[:, xp.asarray(CHAIN_FLEXION)], -1)                     # (B, 5, 3)
    cos_phi = xp.cos(phi)
    along = xp.stack([-xp.sin(gamma) * cos_phi, xp.cos(gamma) * cos_phi, xp.sin(phi)], -1)
    lengths = xp.asarray(CHAIN_LENGTHS, dtype=dtype)[None, :, :, None] * scale[..., None]
    base = xp.asarray(CHAIN_BASES, dtype=dtype)[None] * scale          # (B, 5, 3)
    chain = base[:, :, None] + xp.cumsum(along * lengths, 2)           # (B, 5, 3, 3)
    points = xp.concatenate([base[:, :, None], chain], 2)              # (B, 5, 4, 3)
    return points.reshape(angles.shape[0], 20, 3)


def to_camera(points, rotation, translation, xp=np):
    """Hand-frame points ``(B, K, 3)`` -> camera frame with axis-angle and translation."""
    R = axis_angle_to_matrix(rotation, xp)
    return points @ xp.swapaxes(R, 1, 2) + translation[:, None, :]


def _bank(points, shape, fixed, xp):
    """Append fixed hand-frame points, scaled by the hand's size, to the chain points."""
    scaled = xp.asarray(fixed, dtype=points.dtype)[None] * shape[:, 0:1, None]
    return xp.concatenate([points, scaled], 1)


def capsule_radii(shape, xp=np):
    """Radii ``(B, P)`` mm of the hand's capsules for shape parameters ``(B, 3)``."""
    base = xp.asarray(CAPSULE_RADII, dtype=shape.dtype) * shape[:, 0:1]
    finger = xp.asarray(_CAPSULE_IS_FINGER)
    return xp.where(finger, base * shape[:, 1:2], base * shape[:, 2:3])


# the point bank: the 20 chain points, then the fixed points of the joints and the capsules
FIXED_POINTS = np.concatenate([_FIXED_JOINTS, _CAPSULE_FIXED])   # hand frame at scale 1, mm
JOINT_ROWS = np.array(_JOINT_CHAIN_POINTS + [20, 21, 22])        # the 14 joints in the bank
CAPSULE_ROWS = np.where(CAPSULE_INDEX < 20, CAPSULE_INDEX, CAPSULE_INDEX + 3)   # (P, 2)


def point_bank(angles, rotation, translation, shape, xp=np):
    """Every point the joints and capsules use, ``(B, 20 + F, 3)`` mm, camera frame.

    Rows: ``hand_points`` then ``FIXED_POINTS`` scaled; ``JOINT_ROWS`` and ``CAPSULE_ROWS``
    index into it.
    """
    points = hand_points(angles, shape, xp)
    return to_camera(_bank(points, shape, FIXED_POINTS, xp), rotation, translation, xp)


def model_joints(angles, rotation, translation, shape, xp=np):
    """Return the 14 published joints ``(B, 14, 3)`` mm, camera frame, hand_joints order."""
    return point_bank(angles, rotation, translation, shape, xp)[:, JOINT_ROWS]


def joints_and_capsules(angles, rotation, translation, shape, xp=np):
    """Joints ``(B, 14, 3)``, capsule endpoints ``(B, P, 2, 3)`` (mm, camera frame), radii.

    One evaluation of the chains for both; ``P`` = ``len(CAPSULES)``, radii ``(B, P)`` mm.
    """
    bank = point_bank(angles, rotation, translation, shape, xp)
    return bank[:, JOINT_ROWS], bank[:, CAPSULE_ROWS], capsule_radii(shape, xp)


def forearm_capsule(rotation, translation, shape, xp=np):
    """Forearm capsule from the wrist, down the hand's -y and away from the camera.

    Returns endpoints ``(B, 1, 2, 3)`` mm, camera frame, and radii ``(B, 1)`` mm.
    """
    down = -axis_angle_to_matrix(rotation, xp)[:, :, 1]               # hand -y, camera frame
    direction = down + xp.asarray([0.0, 0.0, FOREARM_TILT], dtype=down.dtype)
    direction = direction / xp.sqrt((direction * direction).sum(-1))[:, None]
    end = translation + direction * FOREARM_LENGTH_MM * shape[:, 0:1]
    ends = xp.stack([translation, end], 1)[:, None]
    return ends, (FOREARM_RADIUS_MM * shape[:, 0] * shape[:, 2])[:, None]


def kabsch(source, target):
    """Rotations ``(B, 3, 3)`` and translations ``(B, 3)`` best mapping source onto target.

    ``source``, ``target`` ``(B, K, 3)``: ``target ~ source @ R.T + t`` (least squares).
    """
    mu_s, mu_t = source.mean(1, keepdims=True), target.mean(1, keepdims=True)
    u, _, vt = np.linalg.svd((source - mu_s).transpose(0, 2, 1) @ (target - mu_t))
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.tile(np.eye(3), (len(source), 1, 1))
    fix[:, 2, 2] = d
    R = (u @ fix @ vt).transpose(0, 2, 1)
    return R, (mu_t - mu_s @ R.transpose(0, 2, 1))[:, 0]


def _arrays(pose):
    return [np.asarray(v, np.float64)
            for v in (pose.angles, pose.rotation, pose.translation, pose.shape)]


def joints(pose):
    """Compute the 14 joints ``(B, 14, 3)`` mm, camera frame, of a HandPose (numpy)."""
    return model_joints(*_arrays(pose))


def capsules(pose, forearm=False):
    """Render primitives: endpoints ``(B, P, 2, 3)`` mm camera frame, radii ``(B, P)`` mm.

    ``forearm``: one more capsule at the end (``forearm_capsule``).
    """
    angles, rotation, translation, shape = _arrays(pose)
    _, ends, radii = joints_and_capsules(angles, rotation, translation, shape)
    if forearm:
        arm_ends, arm_radii = forearm_capsule(rotation, translation, shape)
        ends = np.concatenate([ends, arm_ends], 1)
        radii = np.concatenate([radii, arm_radii], 1)
    return ends, radii
