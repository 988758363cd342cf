# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object preprocessing and decoding as a codec (BB8 style), shared by node and training.

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
  ``(uv - (S - 1) / 2) / (S / 2)``, flattened to ``(16,)``; decode is the inverse followed by
  PnP with the camera ``K`` (RANSAC over the 8 corners, so one bad corner is outvoted).
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
        """Full-image pixels ``(N, 2)`` -> crop pixels ``(N, 2)``."""
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


def solve_pnp(corners, uv, K, threshold_px):
    """Pose ``(R (3, 3), t (3,) m)`` from 8 corner projections ``(8, 2)`` px, or None.

    RANSAC (EPnP minimal sets) with ``threshold_px`` inlier threshold, then Levenberg-
    Marquardt refinement on the inliers; falls back to all corners if RANSAC finds nothing.
    """
    obj = np.ascontiguousarray(corners, np.float64).reshape(-1, 1, 3)
    img = np.ascontiguousarray(uv, np.float64).reshape(-1, 1, 2)
    K = np.asarray(K, np.float64)
    ok, rvec, tvec, inliers = cv2.solvePnPRansac(
        obj, img, K, None, iterationsCount=64, reprojectionError=float(threshold_px),
        confidence=0.999, flags=cv2.SOLVEPNP_EPNP)
    keep = inliers.ravel() if ok and inliers is not None and len(inliers) >= 5 else None
    if keep is None:
        ok, rvec, tvec = cv2.solvePnP(obj, img, K, None, flags=cv2.SOLVEPNP_EPNP)
        if not ok:
            return None
        keep = np.arange(len(obj))
    rvec, tvec = cv2.solvePnPRefineLM(obj[keep], img[keep], K, None, rvec, tvec)
    if not np.all(np.isfinite(tvec)) or tvec[2, 0] <= 0:
        return None
    return cv2.Rodrigues(rvec)[0], tvec.ravel()


def rotation_to_quaternion(R):
    """``(3, 3)`` rotation -> quaternion ``(x, y, z, w)`` (ROS order), w >= 0."""
    from scipy.spatial.transform import Rotation
    quat = Rotation.from_matrix(np.asarray(R, np.float64)).as_quat()  # x, y, z, w
    return quat if quat[3] >= 0 else -quat


def quaternion_to_rotation(quat_xyzw):
    """Quaternion ``(x, y, z, w)`` -> ``(3, 3)`` rotation."""
    from scipy.spatial.transform import Rotation
    return Rotation.from_quat(np.asarray(quat_xyzw, np.float64)).as_matrix()


def letterbox(rgb, width, height):
    """Resize ``rgb`` ``(H, W, 3)`` into a ``(height, width, 3)`` canvas, top-left aligned.

    Keeps the aspect ratio (zero padding right/bottom). Returns ``(canvas, scale)`` with
    canvas pixel = ``scale`` x full-image pixel.
    """
    h, w = rgb.shape[:2]
    scale = min(width / w, height / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    canvas = np.zeros((height, width, 3), np.uint8)
    canvas[:size[1], :size[0]] = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return canvas, scale


def box_from_mask(probability, scale, stride, settings, threshold=0.5):
    """Return a BoxCrop around the largest blob of the locator's probability map, or None.

    ``probability`` ``(h, w)`` per cell of ``stride`` letterbox pixels; ``scale`` maps full-
    image pixels to letterbox pixels. The blob's cells give the 2D extent of the object.
    """
    mask = (np.asarray(probability) > threshold).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count < 2:
        return None
    # the blob with the most probability mass, not merely the most cells
    mass = np.bincount(labels.ravel(), weights=np.asarray(probability).ravel())[1:]
    best = 1 + int(np.argmax(mass))
    x, y, w, h = stats[best, :4]
    corners = np.array([[x, y], [x + w, y + h]], np.float64) * stride / scale - 0.5
    box = box_around(corners, settings, settings.mask_margin)
    return box if box.side >= settings.min_side_px else None
