# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The hand codec (DeepPrior++ style): crop, normalise, decode; node, training and evaluation.

Conventions
-----------
- Depth maps: float32 millimetres, ``(H, W)``, 0 = no measurement.
- 3D points: millimetres in the camera optical frame (x right, y down, z forward).
- ``K``: 3x3 pinhole intrinsics of the depth image (pixels); a pixel's centre has integer
  coordinates (ROS CameraInfo convention).
- Crop: ``crop_size`` x ``crop_size`` float32 in [-1, 1]: (d - com_z) / (cube_z / 2),
  missing depth and depth behind the cube = +1, depth in front of the cube = -1.
- Targets: ``(joints - com) / (cube / 2)``, shape ``(14, 3)``; decode is the inverse.

``encode`` turns (depth, K, centre) into (crop, HandCropTransform); the transform travels with
the sample and ``decode`` maps network outputs back to metric joints in the camera frame. The
centre comes from a localiser: ``hand_com.locate_hand`` or the learned ``hand_locator``.
"""

from dataclasses import dataclass, field

import cv2
import numpy as np

from fm_pose_ros.core.camera import check_intrinsics, project
from fm_pose_ros.core.finite import integer_in, number_in
from fm_pose_ros.core.hand_joints import NUM_JOINTS

# ranges of the crop settings: a weights file, config or parameter outside them is refused
CUBE_MM_RANGE = (1.0, 5000.0)
DEPTH_MM_RANGE = (0.0, 100_000.0)
INTEGER_RANGES = {'crop_size': (16, 512), 'min_hand_pixels': (1, 10**7),
                  'com_iterations': (0, 100), 'robust_rank': (1, 10**7)}


@dataclass(frozen=True)
class HandCropSettings:
    """How a hand is found and cropped; saved inside every hand weights file."""

    cube_mm: tuple = (300.0, 300.0, 300.0)  # metric box around the hand centre (x, y, z)
    crop_size: int = 128                     # network input is crop_size x crop_size
    depth_min_mm: float = 150.0              # closer measurements are ignored
    depth_max_mm: float = 1500.0             # farther measurements are ignored
    min_hand_pixels: int = 60                # fewer pixels in the cube -> "no hand"
    com_iterations: int = 6                  # centre-of-mass refinement steps
    robust_rank: int = 30                    # k-th closest pixel defines "closest object"

    def validate(self):
        """Raise ValueError naming the first setting out of range (NaN and inf are); else self."""
        for name, (low, high) in INTEGER_RANGES.items():
            value = getattr(self, name)
            if not integer_in(value, low, high):
                raise ValueError(f'{name} must be an integer in [{low}, {high}], got '
                                 f'{value!r:.60}')
        low, high = CUBE_MM_RANGE
        cube = self.cube_mm
        if (not isinstance(cube, (tuple, list)) or len(cube) != 3
                or not all(number_in(side, low, high) for side in cube)):
            raise ValueError(f'cube_mm must be 3 sizes in [{low:g}, {high:g}] mm, got '
                             f'{cube!r:.80}')
        low, high = DEPTH_MM_RANGE
        near, far = self.depth_min_mm, self.depth_max_mm
        if not (number_in(near, low, high) and number_in(far, low, high) and near < far):
            raise ValueError(
                f'need {low:g} <= depth_min_mm < depth_max_mm <= {high:g}, got '
                f'{self.depth_min_mm!r:.30} and {self.depth_max_mm!r:.30}')
        return self


@dataclass
class HandCropTransform:
    """Everything needed to map between the camera frame and one hand crop."""

    com: np.ndarray        # (3,) hand centre, mm, camera frame
    cube: np.ndarray       # (3,) cube size, mm
    K: np.ndarray          # (3, 3) intrinsics of the full image
    M: np.ndarray          # (2, 3) affine: full-image pixel -> crop pixel
    crop_size: int = 128
    extra: dict = field(default_factory=dict)

    def normalise_joints(self, joints_mm):
        """Joints ``(..., J, 3)`` mm, camera frame -> network targets in cube units."""
        return (np.asarray(joints_mm, np.float32) - self.com) / (self.cube / 2.0)

    def denormalise_joints(self, normalised):
        """Network output ``(..., J, 3)`` or ``(..., 3J)`` -> joints mm, camera frame."""
        normalised = np.asarray(normalised, np.float32).reshape(-1, NUM_JOINTS, 3)
        joints = normalised * (self.cube / 2.0) + self.com
        return joints[0] if joints.shape[0] == 1 else joints

    def to_crop_pixels(self, points_mm):
        """Project 3D points ``(N, 3)`` mm to crop pixel coordinates ``(N, 2)``."""
        uv = project(points_mm, self.K)
        return uv @ self.M[:, :2].T + self.M[:, 2]


def cube_bounds(com, cube, K):
    """Pixel box ``(u0, v0, u1, v1)`` of the cube's front face projected at the centre's depth."""
    half = np.asarray(cube, np.float64) / 2.0
    u0, v0 = project([com[0] - half[0], com[1] - half[1], com[2]], K)[0]
    u1, v1 = project([com[0] + half[0], com[1] + half[1], com[2]], K)[0]
    return u0, v0, u1, v1


def crop_matrix(com, cube, K, size):
    """Affine ``(2, 3)`` from full-image pixels to crop pixels of the cube around ``com``."""
    u0, v0, u1, v1 = cube_bounds(com, cube, K)
    sx, sy = size / (u1 - u0), size / (v1 - v0)
    # crop pixel j has its centre at image u = u0 + (j + 0.5) / sx
    return np.array([[sx, 0.0, -u0 * sx - 0.5], [0.0, sy, -v0 * sy - 0.5]])


def crop_camera(com, cube, K, size):
    """Intrinsics of a virtual camera whose image IS the crop (for rendering crops directly)."""
    M = crop_matrix(com, cube, K, size)
    return np.array([[M[0, 0] * K[0, 0], 0.0, M[0, 0] * K[0, 2] + M[0, 2]],
                     [0.0, M[1, 1] * K[1, 1], M[1, 1] * K[1, 2] + M[1, 2]],
                     [0.0, 0.0, 1.0]])


def normalise_depth(depth_mm, com_z, cube_z):
    """Depth (mm, 0 = none) -> [-1, 1]: (d - com_z) / (cube_z / 2); missing and behind = +1."""
    depth_mm = np.asarray(depth_mm, np.float32)
    normalised = (depth_mm - np.float32(com_z)) / np.float32(cube_z / 2.0)
    normalised[depth_mm <= 0] = 1.0
    np.clip(normalised, -1.0, 1.0, out=normalised)
    return normalised


def crop_hand(depth_mm, K, com, settings=HandCropSettings()):
    """Crop the metric cube around ``com`` and normalise it.

    Returns ``(crop, transform)``: crop ``(S, S)`` float32 in [-1, 1] and its HandCropTransform.
    """
    com = np.asarray(com, np.float64)
    cube = np.asarray(settings.cube_mm, np.float64)
    size = settings.crop_size
    M = crop_matrix(com, cube, K, size)
    crop = cv2.warpAffine(np.asarray(depth_mm, np.float32), M, (size, size),
                          flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=0.0)
    normalised = normalise_depth(crop, com[2], cube[2])
    transform = HandCropTransform(com=com.astype(np.float32), cube=cube.astype(np.float32),
                                  K=np.asarray(K, np.float64), M=M, crop_size=size)
    return normalised, transform


class HandCodec:
    """Encode (depth, K, centre[, joints]) into a network sample; decode outputs into joints."""

    def __init__(self, settings=HandCropSettings()):
        self.settings = settings.validate()

    def encode(self, depth_mm, K, com, joints_mm=None):
        """Return ``dict(crop, transform[, target])`` for the cube around ``com``.

        ``com`` ``(3,)`` mm, camera frame: a localiser's centre or e.g. the ground-truth palm.
        ``target`` (14, 3) is present when ``joints_mm`` (14, 3) is given.
        """
        K = check_intrinsics(K)
        crop, transform = crop_hand(depth_mm, K, com, self.settings)
        sample = {'crop': crop, 'transform': transform}
        if joints_mm is not None:
            sample['target'] = transform.normalise_joints(joints_mm).astype(np.float32)
        return sample

    @staticmethod
    def decode(output, transform):
        """Network output ``(42,)`` or ``(14, 3)`` -> joints ``(14, 3)`` mm, camera frame."""
        return transform.denormalise_joints(output)
