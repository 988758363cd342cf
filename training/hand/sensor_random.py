# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Sensor-model domain randomisation: another depth sensor for every training frame.

``data.sensor_copies`` adds, for each labelled real training frame, copies of the same clean
scene (hand, forearm, clutter, wall) seen by a ``RandomSensor``, with the same label and twin:
no new labels, only other ways a depth camera can distort the same scene. Half of the copies
come from a structured-light sensor with random parameters (baseline, disparity noise and
quantisation, edge dropouts, flying pixels, grazing losses, speckle); the other half from a
"filtered-depth" sensor: the depth map low-pass filtered over a random width (foreground and
background mix across edges, thin parts flatten), noise growing with depth, and random holes.
The held-out time-of-flight sensor (``heldout.py``: its multipath, flying pixels along the
whole gap, minimum range, intrinsics and hands) is not one of them.
Depth maps are float32 mm ``(H, W)``, 0 = no measurement.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from training.hand.sensor_sim import SensorModel


@dataclass(frozen=True)
class RandomSensor:
    """Ranges drawn from, per frame (uniform; each field says what it varies)."""

    structured_light: float = 0.5      # share of frames from a structured-light sensor
    baseline_mm: tuple = (40.0, 120.0)         # projector-camera baseline (shadows, noise)
    disparity_noise_px: tuple = (0.03, 0.2)    # disparity noise
    disparity_step_px: tuple = (1 / 16, 1 / 4)  # disparity quantisation
    edge_drop: tuple = (0.0, 0.8)      # missing pixels on depth edges
    flying: tuple = (0.0, 0.6)         # edge pixels mixed between the two surfaces
    grazing_slope: tuple = (2.0, 5.0)  # slope beyond which a surface is lost
    speckle_drop: tuple = (0.0, 0.03)  # isolated missing pixels
    blur_px: tuple = (0.5, 4.0)        # filtered depth: Gaussian sigma of the low-pass (px)
    noise_mm: tuple = (0.0, 3.0)       # filtered depth: noise at 0 mm ...
    noise_per_m: tuple = (0.0, 4.0)    # ... plus this many mm per metre of depth
    holes: tuple = (0, 8)              # filtered depth: missing discs per frame ...
    hole_px: tuple = (2, 12)           # ... and their radius range

    def apply(self, depth, K, rng):
        """Return what a sensor drawn at random measures of a clean depth map (mm)."""
        if rng.random() < self.structured_light:
            return self.structured_light_sensor(rng).apply(depth, K, rng)
        return self.filtered_depth(depth, rng)

    def structured_light_sensor(self, rng):
        """Draw a SensorModel with parameters from the ranges."""
        def draw(bounds):
            return float(rng.uniform(*bounds))
        return SensorModel(baseline_mm=draw(self.baseline_mm),
                           disparity_noise_px=draw(self.disparity_noise_px),
                           disparity_step_px=draw(self.disparity_step_px),
                           edge_drop=draw(self.edge_drop), flying=draw(self.flying),
                           grazing_slope=draw(self.grazing_slope),
                           speckle_drop=draw(self.speckle_drop))

    def filtered_depth(self, depth, rng):
        """Low-pass filtered depth (valid pixels only), depth-proportional noise, holes."""
        depth = depth.astype(np.float64)
        valid = depth > 0
        sigma = float(rng.uniform(*self.blur_px))
        weight = cv2.GaussianBlur(valid.astype(np.float64), (0, 0), sigma)
        out = cv2.GaussianBlur(depth, (0, 0), sigma) / np.maximum(weight, 1e-6)
        noise = rng.uniform(*self.noise_mm) + rng.uniform(*self.noise_per_m) * out / 1e3
        out += rng.normal(0.0, 1.0, depth.shape) * noise
        holes = np.zeros(depth.shape, np.uint8)
        for _ in range(int(rng.integers(self.holes[0], self.holes[1] + 1))):
            centre = (int(rng.integers(0, depth.shape[1])), int(rng.integers(0, depth.shape[0])))
            cv2.circle(holes, centre, int(rng.integers(*self.hole_px)), 1, -1)
        out[~valid | holes.astype(bool)] = 0.0
        return out.astype(np.float32)
