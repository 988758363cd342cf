# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand preprocessing as a codec (DeepPrior++ style), shared by node, training and evaluation.

Conventions
-----------
- Depth maps: float32 millimetres, ``(H, W)``, 0 = no measurement.
- 3D points: millimetres in the camera optical frame (x right, y down, z forward).
- ``K``: 3x3 pinhole intrinsics of the depth image (pixels); a pixel's centre has integer
  coordinates (ROS CameraInfo convention).
- Crop: ``crop_size`` x ``crop_size`` float32 in [-1, 1]: (d - com_z) / (cube_z / 2),
  missing depth and depth behind the cube = +1, depth in front of the cube = -1.
- Targets: ``(joints - com) / (cube / 2)``, shape ``(14, 3)``; decode is the inverse.

``encode`` turns (depth, K) into (crop, CropTransform); the transform travels with the sample
and ``decode`` maps network outputs back to metric joints in the camera frame.
"""

from dataclasses import dataclass, field

import cv2
import numpy as np

from fm_pose_ros.core.camera import backproject, check_intrinsics, project
from fm_pose_ros.core.finite import integer_in, number_in
from fm_pose_ros.core.hand_joints import NUM_JOINTS

# ranges of the crop settings: a weights file, config or parameter outside them is refused
CUBE_MM_RANGE = (1.0, 5000.0)
DEPTH_MM_RANGE = (0.0, 100_000.0)
INTEGER_RANGES = {'crop_size': (16, 512), 'min_hand_pixels': (1, 10**7),
                  'com_iterations': (0, 100), 'robust_rank': (1, 10**7)}


@dataclass(frozen=True)
class CropSettings:
    """How a hand is found and cropped; saved inside every checkpoint."""

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
class CropTransform:
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


def locate_hand(depth_mm, K, settings=CropSettings()):
    """Find the hand centre (mm, camera frame) as the closest object's refined centre of mass.

    Returns ``(3,)`` float64 or None when nothing hand-sized is in the depth range.
    """
    depth = np.asarray(depth_mm, np.float32)
    valid = (depth > settings.depth_min_mm) & (depth < settings.depth_max_mm)
    values = depth[valid]
    if values.size < settings.min_hand_pixels:
        return None
    rank = min(settings.robust_rank, values.size - 1)
    closest = float(np.partition(values, rank)[rank])
    mask = valid & (depth <= closest + settings.cube_mm[2])
    com = centre_of_mass(depth, mask, K)
    for _ in range(settings.com_iterations):
        refined = centre_of_mass_in_cube(depth, com, K, settings)
        if refined is None:
            return None
        shift = np.linalg.norm(refined - com)
        com = refined
        if shift < 1.0:
            break
    if count_in_cube(depth, com, K, settings) < settings.min_hand_pixels:
        return None
    return com


def centre_of_mass(depth, mask, K):
    """3D centre of mass of the masked pixels (mean pixel, mean depth), mm."""
    v, u = np.nonzero(mask)
    d = depth[v, u]
    return backproject(u.mean(), v.mean(), float(d.mean()), K)


def _cube_window(depth, com, K, settings):
    """Pixel window of the cube and the mask of its pixels whose depth lies inside the cube."""
    u0, v0, u1, v1 = cube_bounds(com, settings.cube_mm, K)
    height, width = depth.shape
    c0, c1 = max(int(np.floor(u0)), 0), min(int(np.ceil(u1)) + 1, width)
    r0, r1 = max(int(np.floor(v0)), 0), min(int(np.ceil(v1)) + 1, height)
    if c0 >= c1 or r0 >= r1:
        return None, None, None
    window = depth[r0:r1, c0:c1]
    half_z = settings.cube_mm[2] / 2.0
    inside = (window > max(com[2] - half_z, settings.depth_min_mm)) & (window < com[2] + half_z)
    return window, inside, (r0, c0)


def count_in_cube(depth, com, K, settings):
    """Count the depth pixels inside the cube around ``com`` (mm, camera frame)."""
    window, inside, _ = _cube_window(depth, com, K, settings)
    return 0 if window is None else int(inside.sum())


def centre_of_mass_in_cube(depth, com, K, settings):
    """Return the centre of mass (mm) of the pixels in the cube around ``com``, or None."""
    window, inside, origin = _cube_window(depth, com, K, settings)
    if window is None or inside.sum() < settings.min_hand_pixels:
        return None
    v, u = np.nonzero(inside)
    d = window[v, u]
    return backproject(u.mean() + origin[1], v.mean() + origin[0], float(d.mean()), K)


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


def crop_hand(depth_mm, K, com, settings=CropSettings()):
    """Crop the metric cube around ``com`` and normalise it.

    Returns ``(crop, transform)``: crop ``(S, S)`` float32 in [-1, 1] and its CropTransform.
    """
    com = np.asarray(com, np.float64)
    cube = np.asarray(settings.cube_mm, np.float64)
    size = settings.crop_size
    M = crop_matrix(com, cube, K, size)
    crop = cv2.warpAffine(np.asarray(depth_mm, np.float32), M, (size, size),
                          flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=0.0)
    normalised = normalise_depth(crop, com[2], cube[2])
    transform = CropTransform(com=com.astype(np.float32), cube=cube.astype(np.float32),
                              K=np.asarray(K, np.float64), M=M, crop_size=size)
    return normalised, transform


class HandCodec:
    """Encode (depth, K[, joints]) into a network sample; decode outputs into metric joints."""

    def __init__(self, settings=CropSettings()):
        self.settings = settings.validate()

    def encode(self, depth_mm, K, joints_mm=None, com=None):
        """Return ``dict(crop, transform[, target])`` or None when no hand is found.

        ``com`` may be given (e.g. ground-truth palm centre); otherwise it is localised.
        ``target`` (14, 3) is present when ``joints_mm`` (14, 3) is given.
        """
        K = check_intrinsics(K)
        if com is None:
            com = locate_hand(depth_mm, K, self.settings)
            if com is None:
                return None
        crop, transform = crop_hand(depth_mm, K, com, self.settings)
        sample = {'crop': crop, 'transform': transform}
        if joints_mm is not None:
            sample['target'] = transform.normalise_joints(joints_mm).astype(np.float32)
        return sample

    @staticmethod
    def decode(output, transform):
        """Network output ``(42,)`` or ``(14, 3)`` -> joints ``(14, 3)`` mm, camera frame."""
        return transform.denormalise_joints(output)
