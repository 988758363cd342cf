# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The depth sensor families of common cameras, each with random parameters per frame.

- structured light (SR300, Orbbec Astra, Kinect v1): ``sensor_sim.SensorModel`` with
  parameters drawn by ``sensor_random.RandomSensor.structured_light_sensor``;
- active stereo (RealSense D4xx): ``ActiveStereo``: disparity noise and 1/32 px steps, a
  minimum distance set by the disparity search range, the matching window fattening the
  foreground across depth edges, the band left of a foreground edge that the right camera
  cannot see;
- continuous-wave time of flight (Azure Kinect, Kinect v2, L515): ``TofFamily``: noise
  growing with depth, multipath, mixed pixels at depth edges, dark spots, grazing losses.

The held-out time-of-flight domain (``heldout.TofSensorModel``: multipath 0.35 over a 15 px
box, flying pixels on 70 % of edge pixels spread uniformly along the gap, 1.5 mm + 2 mm/m
noise, grazing slope 2, six dark blobs of 4-14 px) lies outside every range of ``TofFamily``
(multipath 0.05-0.25 over a Gaussian of 2-6 px, mixed pixels on 10-50 % of edge pixels
placed near one of the two surfaces, 0.5-1.2 mm + 0.5-1.5 mm/m, slope 2.5-5, 0-4 spots of
3-10 px), so it stays a test of a time-of-flight sensor not trained on. The held-out
egocentric domain (``heldout_ego.py``) uses passive stereo, a family none of these is.
Depth maps are float32 mm ``(H, W)``, 0 = no measurement.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from training.hand.sensor_random import RandomSensor
from training.hand.sensor_sim import edge_pixels

FAMILIES = ('structured_light', 'active_stereo', 'tof')


def _draw(rng, bounds):
    return float(rng.uniform(*bounds))


def occlusion_band(depth, K, baseline_mm, side, max_px=40):
    """Pixels that a second view ``baseline_mm`` to the ``side`` ('right'/'left') cannot see.

    A background pixel just beside a foreground edge is hidden in the other view when the
    disparity step across the edge exceeds its distance to the edge (``sensor_sim``'s
    projector shadow is the same geometry); bands are at most ``max_px`` wide.
    """
    flip = side == 'right'
    work = np.fliplr(depth) if flip else depth
    fb = K[0, 0] * baseline_mm
    disparity = np.where(work > 0, fb / np.maximum(work, 1e-6), 0.0).astype(np.float32)
    seen = disparity[disparity > 0]
    widest = 0 if seen.size == 0 else min(int(np.ceil(seen.max() - seen.min())), max_px)
    missing = np.zeros(work.shape, bool)
    for shift in range(1, widest + 1):
        near = np.zeros_like(disparity)
        near[:, shift:] = disparity[:, :-shift]
        missing |= (near > 0) & (near - disparity > shift) & (work > 0)
    return np.fliplr(missing) if flip else missing


@dataclass(frozen=True)
class ActiveStereo:
    """Ranges of an active stereo sensor (RealSense D4xx-like), drawn per frame (uniform)."""

    baseline_mm: tuple = (40.0, 70.0)          # D415 55 mm, D435 50 mm
    disparity_noise_px: tuple = (0.04, 0.15)   # sub-pixel matching noise
    disparity_step_px: float = 1 / 32          # sub-pixel resolution of the matcher
    max_disparity_px: float = 126.0            # search range: the minimum distance
    window_px: tuple = (5, 11)                 # matching window: foreground fattening
    fattening: tuple = (0.3, 1.0)              # share of the half window it reaches
    edge_jump_mm: float = 25.0                 # a neighbour this much farther marks an edge
    grazing_slope: tuple = (3.0, 6.0)          # |dz/dx| per pixel footprint beyond: lost
    speckle_drop: tuple = (0.0, 0.01)          # isolated failed matches

    def apply(self, depth, K, rng):
        """Return what an active stereo sensor drawn from the ranges measures (mm)."""
        depth = np.asarray(depth, np.float64)
        valid = depth > 0
        baseline = _draw(rng, self.baseline_mm)
        fb = K[0, 0] * baseline
        disparity = np.where(valid, fb / np.maximum(depth, 1.0), 0.0)
        disparity += rng.normal(0.0, _draw(rng, self.disparity_noise_px), depth.shape)
        step = self.disparity_step_px
        disparity = np.round(disparity / step) * step
        out = np.where(valid & (disparity > 0), fb / np.maximum(disparity, 1e-6), 0.0)
        out = self._fatten(depth, out, rng)
        gy, gx = np.gradient(depth)
        slope = np.hypot(gx, gy) * K[0, 0] / np.maximum(depth, 1.0)
        lost = ((disparity > self.max_disparity_px) | (slope > _draw(rng, self.grazing_slope))
                | occlusion_band(depth, K, baseline, 'right')
                | (rng.random(depth.shape) < _draw(rng, self.speckle_drop)))
        out[lost | ~valid] = 0.0
        return out.astype(np.float32)

    def _fatten(self, depth, out, rng):
        """Background pixels near a foreground edge take the foreground's depth."""
        window = int(rng.integers(self.window_px[0], self.window_px[1] + 1))
        reach = int(round(window / 2 * _draw(rng, self.fattening)))
        if reach < 1:
            return out
        kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
        far = np.where(depth > 0, depth, 1e6).astype(np.float32)
        nearest = cv2.erode(far, kernel).astype(np.float64)
        band = cv2.dilate(edge_pixels(depth, self.edge_jump_mm).astype(np.uint8), kernel) > 0
        spread = band & (depth - nearest > self.edge_jump_mm) & (nearest < 1e6)
        return np.where(spread, nearest, out)


@dataclass(frozen=True)
class TofFamily:
    """Ranges of a continuous-wave time-of-flight sensor, drawn per frame (uniform)."""

    noise_mm: tuple = (0.5, 1.2)        # depth noise at 0 mm ...
    noise_per_m: tuple = (0.5, 1.5)     # ... plus this many mm per metre
    multipath: tuple = (0.05, 0.25)     # share of the local depth excess added
    multipath_sigma_px: tuple = (2.0, 6.0)  # Gaussian neighbourhood that bounces light back
    edge_jump_mm: float = 25.0          # a neighbour this much farther marks a depth edge
    mixed: tuple = (0.1, 0.5)           # edge pixels that mix the two surfaces ...
    mixed_beta: float = 0.4             # ... at a Beta(b, b) position: near one surface
    grazing_slope: tuple = (2.5, 5.0)   # |dz/dx| per pixel footprint beyond which it's lost
    dark_spots: tuple = (0, 4)          # low-reflectivity spots with no return per frame
    dark_spot_px: tuple = (3, 10)       # their radius range

    def apply(self, depth, K, rng):
        """Return what a time-of-flight sensor drawn from the ranges measures (mm)."""
        depth = np.asarray(depth, np.float64)
        valid = depth > 0
        sigma = _draw(rng, self.multipath_sigma_px)
        weight = cv2.GaussianBlur(valid.astype(np.float32), (0, 0), sigma)
        neighbourhood = cv2.GaussianBlur(np.where(valid, depth, 0.0).astype(np.float32),
                                         (0, 0), sigma) / np.maximum(weight, 1e-6)
        out = depth + _draw(rng, self.multipath) * np.clip(neighbourhood - depth, 0.0, None)
        noise = _draw(rng, self.noise_mm) + _draw(rng, self.noise_per_m) * depth / 1e3
        out += rng.normal(0.0, 1.0, depth.shape) * noise
        far = cv2.dilate(depth.astype(np.float32), np.ones((3, 3), np.uint8))
        mixed = edge_pixels(depth, self.edge_jump_mm) & (rng.random(depth.shape)
                                                         < _draw(rng, self.mixed))
        blend = rng.beta(self.mixed_beta, self.mixed_beta, int(mixed.sum()))
        out[mixed] = depth[mixed] + blend * (far[mixed] - depth[mixed])
        gy, gx = np.gradient(depth)
        slope = np.hypot(gx, gy) * K[0, 0] / np.maximum(depth, 1.0)
        lost = (slope > _draw(rng, self.grazing_slope)) | self._spots(rng, depth.shape)
        out[lost | ~valid] = 0.0
        return out.astype(np.float32)

    def _spots(self, rng, shape):
        mask = np.zeros(shape, np.uint8)
        for _ in range(int(rng.integers(self.dark_spots[0], self.dark_spots[1] + 1))):
            centre = (int(rng.integers(0, shape[1])), int(rng.integers(0, shape[0])))
            cv2.circle(mask, centre, int(rng.integers(*self.dark_spot_px)), 1, -1)
        return mask.astype(bool)


def draw_sensor(rng, family):
    """Return a sensor of ``family`` (one of FAMILIES) with parameters drawn per frame."""
    if family == 'structured_light':
        return RandomSensor().structured_light_sensor(rng)
    if family == 'active_stereo':
        return ActiveStereo()
    if family == 'tof':
        return TofFamily()
    raise ValueError(f"unknown sensor family {family!r}: one of {', '.join(FAMILIES)}")
