# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The object codec (BB8 style): crop, corner targets, decode; shared by node and training.

Conventions
-----------
- Images: ``(H, W, 3)`` uint8 RGB. Pixel centres have integer coordinates (OpenCV/ROS).
- Object pose: ``R`` ``(3, 3)`` model -> camera rotation, ``t`` ``(3,)`` metres, camera
  optical frame (x right, y down, z forward); a model point ``X`` (metres, model frame)
  is at ``R @ X + t`` in the camera.
- ``corners``: the 8 corners ``(8, 3)`` of the model's 3D bounding box (metres, model frame).
- Crop: a square box (centre ``(u, v)`` and side in full-image pixels, optionally turned by
  ``angle_deg`` in the image plane about its centre) resampled to ``crop_size`` x
  ``crop_size``; the network input is ``(3, S, S)`` float32 in [-1, 1].
- Targets: the corners' projections in crop pixels, normalised to [-1, 1] by
  ``(uv - (S - 1) / 2) / (S / 2)``, flattened to ``(16,)``; decode is the inverse, to
  full-image pixels. The crop box comes from the locator (``object_locator``); the pose from
  the decoded corners by PnP (``pnp``).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from fm_pose_ros.core.finite import integer_in, number_in

NUM_CORNERS = 8
MIN_SIDE_PX_RANGE = (0.1, 100_000.0)  # smallest object box side (px) a weights file may ask
MAX_ROTATION_DEG = 45.0  # largest test-time turn of a crop (node parameter, config range)


@dataclass(frozen=True)
class ObjectCropSettings:
    """How an object is cropped; saved inside every object weights file."""

    crop_size: int = 64          # network input side in pixels
    margin: float = 1.25         # crop side = margin x the larger side of the corners' box
    # locator box: the same around the object's blob (a blob spans ~0.6x the corners' box,
    # measured on the real-like test set)
    mask_margin: float = 2.0
    min_side_px: float = 16.0    # smaller boxes are "no object"
    pnp_threshold: float = 0.08  # RANSAC inlier threshold, as a fraction of the crop side

    def validate(self):
        """Raise ValueError naming the first setting out of range (NaN and inf are); else self."""
        if not integer_in(self.crop_size, 16, 512):
            raise ValueError(f'crop_size must be an integer in [16, 512], got '
                             f'{self.crop_size!r:.60}')
        if not (number_in(self.margin, 1.0, 4.0) and number_in(self.mask_margin, 1.0, 4.0)):
            raise ValueError(f'margin and mask_margin must be in [1, 4], got '
                             f'{self.margin!r:.30} and {self.mask_margin!r:.30}')
        if not number_in(self.min_side_px, MIN_SIDE_PX_RANGE[0], MIN_SIDE_PX_RANGE[1]):
            raise ValueError(f'min_side_px must be in [{MIN_SIDE_PX_RANGE[0]:g}, '
                             f'{MIN_SIDE_PX_RANGE[1]:g}] px, got {self.min_side_px!r:.30}')
        if not (number_in(self.pnp_threshold, 0.0, 1.0) and 0 < self.pnp_threshold < 1):
            raise ValueError(f'pnp_threshold must be in (0, 1), got {self.pnp_threshold!r:.30}')
        return self


@dataclass
class BoxCrop:
    """A square crop of the full image: centre ``(u, v)`` px and side px."""

    centre: np.ndarray   # (2,) full-image pixels
    side: float          # full-image pixels
    crop_size: int
    angle_deg: float = 0.0  # crop axes turned by this much (image x towards y) about the centre

    @property
    def scale(self):
        """Crop pixels per full-image pixel."""
        return self.crop_size / self.side

    def matrix(self):
        """``(2, 3)`` affine: full-image pixel -> crop pixel (pixel centres at integers)."""
        angle = np.deg2rad(self.angle_deg)
        linear = self.scale * np.array([[np.cos(angle), np.sin(angle)],
                                        [-np.sin(angle), np.cos(angle)]])
        offset = (self.crop_size - 1) / 2.0 - linear @ np.asarray(self.centre, np.float64)
        return np.hstack([linear, offset[:, None]])

    def camera(self, K):
        """Intrinsics of the crop seen as a camera: rendering with it equals cropping."""
        A = np.vstack([self.matrix(), [0.0, 0.0, 1.0]])
        return A @ np.asarray(K, np.float64)

    def to_crop(self, uv):
        """Full-image pixels ``(..., 2)`` -> crop pixels ``(..., 2)``."""
        M = self.matrix()
        return np.asarray(uv, np.float64) @ M[:, :2].T + M[:, 2]

    def to_image(self, uv_crop):
        """Crop pixels ``(N, 2)`` -> full-image pixels ``(N, 2)``."""
        M = self.matrix()
        return (np.asarray(uv_crop, np.float64) - M[:, 2]) @ np.linalg.inv(M[:, :2]).T


def project_points(points, R, t, K):
    """Model points ``(N, 3)`` m under pose (R, t) -> image pixels ``(N, 2)``."""
    camera = np.asarray(points, np.float64) @ np.asarray(R).T + np.asarray(t)
    uvw = camera @ np.asarray(K, np.float64).T
    return uvw[:, :2] / uvw[:, 2:3]


def box_around(uv, settings, margin=None):
    """Square BoxCrop around the 2D points ``(N, 2)``: their box's centre, margin x side."""
    uv = np.asarray(uv, np.float64)
    low, high = uv.min(axis=0), uv.max(axis=0)
    side = (margin or settings.margin) * float(max(high - low))
    return BoxCrop(centre=(low + high) / 2.0, side=max(side, 1.0),
                   crop_size=settings.crop_size)


def crop_image(rgb, box):
    """Resample the box of ``rgb`` ``(H, W, 3)`` uint8 to ``(S, S, 3)`` (zero outside)."""
    size = box.crop_size
    interpolation = cv2.INTER_AREA if box.scale < 1.0 else cv2.INTER_LINEAR
    return cv2.warpAffine(rgb, box.matrix(), (size, size), flags=interpolation,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def normalise_rgb(crop):
    """``(S, S, 3)`` uint8 -> ``(3, S, S)`` float32 in [-1, 1]."""
    return (np.asarray(crop, np.float32).transpose(2, 0, 1) / 127.5) - 1.0


def encode_corners(uv_image, box):
    """Corner projections ``(8, 2)`` full-image px -> normalised targets ``(16,)``."""
    half = box.crop_size / 2.0
    return ((box.to_crop(uv_image) - (box.crop_size - 1) / 2.0) / half).astype(
        np.float32).ravel()


def decode_corners(output, box):
    """Network output ``(16,)`` -> corner projections ``(8, 2)`` in full-image pixels."""
    normalised = np.asarray(output, np.float64).reshape(NUM_CORNERS, 2)
    return box.to_image(normalised * box.crop_size / 2.0 + (box.crop_size - 1) / 2.0)
