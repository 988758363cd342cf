# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Depth camera models: resolution, intrinsics and working range of common depth cameras.

Crops are metric cubes, so a camera's intrinsics reach the network through the pixel
footprint (how many pixels a finger covers, how coarse its edges are) and through the
sensor's noise, which grows with depth and shrinks with focal length; they reach the hand
locator directly (the whole frame is letterboxed into its 160 x 120 input).

Every entry is a depth mode of a camera as its vendor's public datasheet states it: the
resolution, the horizontal field of view, the operating range. Focal lengths are derived
from the field of view, ``fx = (W / 2) / tan(HFOV / 2)``, square pixels (``fy = fx``), the
principal point at the image centre; ``CameraRandomisation`` then moves them by a few
percent, as factory calibrations of one model differ. Wide modes are modelled as pinhole
cameras (the Azure Kinect WFOV mode is a fisheye: its distortion is not modelled).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CameraModel:
    """One depth mode of a camera (see the module docstring for where the values come from)."""

    name: str
    family: str            # sensor principle: structured_light | active_stereo | tof
    size: tuple            # (H, W) pixels
    hfov_deg: float        # horizontal field of view
    range_mm: tuple        # (min, max) operating range

    def intrinsics(self):
        """Nominal ``K`` (3, 3): fx from the field of view, square pixels, centred."""
        height, width = self.size
        fx = (width / 2.0) / np.tan(np.radians(self.hfov_deg) / 2.0)
        return np.array([[fx, 0.0, (width - 1) / 2.0], [0.0, fx, (height - 1) / 2.0],
                         [0.0, 0.0, 1.0]])


# datasheet depth modes (resolution, horizontal FOV, range), one line each
CAMERAS = (
    CameraModel('realsense_d415', 'active_stereo', (480, 848), 65.0, (310.0, 10000.0)),
    CameraModel('realsense_d435', 'active_stereo', (480, 848), 87.0, (200.0, 10000.0)),
    CameraModel('realsense_sr300', 'structured_light', (480, 640), 71.5, (200.0, 1500.0)),
    CameraModel('realsense_l515', 'tof', (768, 1024), 70.0, (250.0, 9000.0)),
    CameraModel('azure_kinect_nfov', 'tof', (576, 640), 75.0, (500.0, 3860.0)),
    CameraModel('azure_kinect_wfov', 'tof', (512, 512), 120.0, (250.0, 2880.0)),
    CameraModel('orbbec_astra', 'structured_light', (480, 640), 60.0, (600.0, 8000.0)),
    CameraModel('kinect_v2_tof', 'tof', (424, 512), 70.6, (500.0, 4500.0)),
)
CAMERA_NAMES = tuple(c.name for c in CAMERAS)


@dataclass(frozen=True)
class CameraRandomisation:
    """Calibration spread around a camera's nominal intrinsics (uniform draws)."""

    focal: float = 0.08        # fx scaled by 1 +- this (units of one model differ)
    aspect: float = 0.01       # fy = fx * (1 +- this)
    centre: float = 0.03       # principal point moved by +- this fraction of W and H

    def draw(self, rng, names=CAMERA_NAMES):
        """Pick one of ``names`` uniformly; return (CameraModel, K (3, 3) with the spread)."""
        unknown = sorted(set(names) - set(CAMERA_NAMES))
        if unknown or not names:
            raise ValueError(f'unknown depth camera {unknown or names}: one of '
                             f"{', '.join(CAMERA_NAMES)}")
        camera = CAMERAS[CAMERA_NAMES.index(names[int(rng.integers(len(names)))])]
        K = camera.intrinsics()
        height, width = camera.size
        fx = K[0, 0] * (1.0 + rng.uniform(-self.focal, self.focal))
        K[0, 0], K[1, 1] = fx, fx * (1.0 + rng.uniform(-self.aspect, self.aspect))
        K[0, 2] += rng.uniform(-self.centre, self.centre) * width
        K[1, 2] += rng.uniform(-self.centre, self.centre) * height
        return camera, K


def in_range(depth, camera):
    """``depth`` (mm, 0 = none) with what lies outside the camera's range removed."""
    low, high = camera.range_mm
    return np.where((depth >= low) & (depth <= high), depth, 0.0).astype(np.float32)
