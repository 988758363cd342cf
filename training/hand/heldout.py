# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""A held-out depth domain that no training run uses: a time-of-flight camera, other hands.

It tells how a model trained on the built-in benchmark (structured light, VGA) holds up on a
sensor it never saw (``python -m training.evaluate --weights W --set data.source=heldout-tof``):
- sensor: continuous-wave time-of-flight at 512 x 424, fx = fy = 366 px (Kinect-v2-like)
  instead of structured light at 640 x 480, fx = 475 px: no projector shadows or disparity
  steps; noise that grows linearly with depth; multipath that pushes surfaces near other
  surfaces farther away; flying pixels spread along the whole gap between foreground and
  background; dark low-reflectivity blobs; a 500 mm minimum range;
- hands: smaller and larger (scale 0.8-1.3) and thicker or thinner (0.85-1.4) than both the
  synthetic and the built-in real-like hands, farther away (550-950 mm), more rolled.
Depth maps are float32 mm ``(H, W)``, 0 = no measurement, as everywhere in training/.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from training.hand.datasets import real_like_frames, SimRealSource
from training.hand.model import PoseSampling
from training.hand.sensor_sim import edge_pixels

K_TOF = np.array([[366.0, 0.0, 255.5], [0.0, 366.0, 211.5], [0.0, 0.0, 1.0]])
TOF_SIZE = (424, 512)                      # (H, W)
HELDOUT_SAMPLING = PoseSampling(depth_mm=(550.0, 950.0), max_tilt=np.radians(60.0),
                                max_roll=np.radians(75.0), back_facing=0.3,
                                scale=(0.8, 1.3), thickness=(0.85, 1.4))


@dataclass(frozen=True)
class TofSensorModel:
    """Time-of-flight sensor effects; each field says what it imitates."""

    noise_mm: float = 1.5              # depth noise at 0 mm ...
    noise_per_m: float = 2.0           # ... plus this many mm per metre of depth
    multipath: float = 0.35            # share of the local depth excess added (concave bias)
    multipath_px: int = 15             # neighbourhood that bounces light back (box size)
    edge_jump_mm: float = 25.0         # a neighbour this much farther marks a depth edge
    flying: float = 0.7                # edge pixels placed anywhere between the two surfaces
    dark_blobs: int = 6                # low-reflectivity blobs with no return per frame
    dark_blob_px: tuple = (4, 14)      # their radius range
    grazing_slope: float = 2.0         # |dz/dx| per pixel footprint beyond which it's lost
    min_range_mm: float = 500.0        # no return closer than this
    max_range_mm: float = 4500.0       # no return beyond this

    def apply(self, depth, K, rng):
        """Return what this sensor measures of a clean depth map (``apply_tof``)."""
        return apply_tof(depth, K, rng, self)


def apply_tof(depth, K, rng, sensor=TofSensorModel()):
    """Turn a clean depth map (mm) into what a time-of-flight sensor returns."""
    depth = depth.astype(np.float64)
    valid = (depth > sensor.min_range_mm) & (depth < sensor.max_range_mm)
    size = (sensor.multipath_px, sensor.multipath_px)
    neighbourhood = cv2.blur(np.where(valid, depth, 0.0), size) / np.maximum(
        cv2.blur(valid.astype(np.float64), size), 1e-6)
    out = depth + sensor.multipath * np.clip(neighbourhood - depth, 0.0, None)
    out += rng.normal(0.0, 1.0, depth.shape) * (sensor.noise_mm + sensor.noise_per_m * depth / 1e3)
    edges = edge_pixels(depth, sensor.edge_jump_mm)
    far = cv2.dilate(depth.astype(np.float32), np.ones((3, 3), np.uint8))
    flying = edges & (rng.random(depth.shape) < sensor.flying)
    out[flying] = (depth + rng.random(depth.shape) * (far - depth))[flying]
    gy, gx = np.gradient(depth)
    slope = np.hypot(gx, gy) * K[0, 0] / np.maximum(depth, 1.0)
    lost = (slope > sensor.grazing_slope) | _dark_blobs(rng, depth.shape, sensor)
    out[lost | ~valid] = 0.0
    return out.astype(np.float32)


def _dark_blobs(rng, shape, sensor):
    """Mask of random discs where the surface is too dark to return light."""
    mask = np.zeros(shape, np.uint8)
    for _ in range(sensor.dark_blobs):
        centre = (int(rng.integers(0, shape[1])), int(rng.integers(0, shape[0])))
        cv2.circle(mask, centre, int(rng.integers(*sensor.dark_blob_px)), 1, -1)
    return mask.astype(bool)


class HeldOutSource(SimRealSource):
    """Test frames of the held-out domain; it has no training or validation frames."""

    name = 'heldout-tof'

    def train_records(self):
        """Refuse: the held-out domain is for evaluation only."""
        raise ValueError('data.source=heldout-tof is a held-out test domain: no training '
                         'or validation frames (use it with training.evaluate)')

    val_records = train_records

    def test_records(self):
        """Held-out frames (true labels): ToF sensor, other hands, other intrinsics."""
        rng = np.random.default_rng([self.cfg.seed, 4])
        return real_like_frames(rng, self.cfg.num_real_test, K_TOF, TOF_SIZE,
                                sensor=TofSensorModel(), label_noise=False,
                                sampling=HELDOUT_SAMPLING)
