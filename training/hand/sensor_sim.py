# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The "real" domain: a structured-light depth sensor looking at a hand in a cluttered room.

A different process from the clean synthetic renders (which stay noise-free, as in the
paper): other hand shapes, a forearm, background clutter, and the sensor's artefacts. Depth
maps are float32 mm ``(H, W)``, 0 = no measurement; K is the depth camera's intrinsics.
"""

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class SensorModel:
    """Structured-light (Kinect-v1-like) sensor effects; each field says what it imitates."""

    baseline_mm: float = 75.0          # projector-camera baseline: disparity and shadows
    disparity_noise_px: float = 0.08   # disparity noise -> depth noise grows as z^2
    disparity_step_px: float = 1 / 8  # sub-pixel disparity quantisation -> depth steps
    edge_jump_mm: float = 25.0         # a neighbour this much farther marks a depth edge
    edge_drop: float = 0.5             # missing pixels on depth edges (failed matching)
    flying: float = 0.3                # edge pixels mixed between foreground and background
    grazing_slope: float = 3.0         # |dz/dx| per pixel footprint beyond which it's lost
    speckle_drop: float = 0.01         # isolated missing pixels
    max_range_mm: float = 3500.0       # no return beyond this

    def apply(self, depth, K, rng):
        """Return what this sensor measures of a clean depth map (``apply_sensor``)."""
        return apply_sensor(depth, K, rng, self)


@dataclass(frozen=True)
class SceneModel:
    """What the real scene adds around the hand."""

    forearm: float = 0.9               # fraction of frames with the forearm attached
    wall_mm: tuple = (900.0, 1800.0)   # distance of a (tilted) back wall
    clutter: int = 4                   # random spheres/capsules between hand and wall
    clutter_gap_mm: float = 180.0      # clutter stays at least this far behind the hand
    label_noise_mm: float = 2.5        # annotation noise on TRAINING labels (per joint)


def plane_depth(K, height, width, normal, distance):
    """Depth (mm) of the plane ``normal . X = distance`` seen through every pixel."""
    v, u = np.mgrid[:height, :width].astype(np.float64)
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1)
    denom = rays @ np.asarray(normal, np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        z = distance / denom
    return np.where((denom > 1e-6) & (z > 0), z, 0.0).astype(np.float32)


def composite(*depths):
    """Nearest surface of several depth maps (0 = none)."""
    stack = np.stack(depths).astype(np.float32)
    stack[stack <= 0] = np.inf
    nearest = stack.min(axis=0)
    nearest[~np.isfinite(nearest)] = 0.0
    return nearest


def edge_pixels(depth, jump):
    """Pixels with a neighbour at least ``jump`` mm farther (or missing)."""
    padded = np.pad(depth, 1, mode='edge')
    far = np.zeros(depth.shape, bool)
    for dv, du in ((0, 1), (2, 1), (1, 0), (1, 2)):
        neighbour = padded[dv:dv + depth.shape[0], du:du + depth.shape[1]]
        far |= (neighbour - depth > jump) | ((neighbour <= 0) & (depth > 0))
    return far & (depth > 0)


def _shadow(depth, K, baseline):
    """Projector shadow: background pixels right of a foreground edge get no pattern."""
    missing = np.zeros(depth.shape, bool)
    fb = K[0, 0] * baseline
    with np.errstate(divide='ignore'):
        inv = np.where(depth > 0, 1.0 / depth, 0.0)
    for shift in range(1, 25):
        left = np.zeros_like(inv)
        left[:, shift:] = inv[:, :-shift]
        missing |= (left > 0) & (fb * (left - inv) > shift) & (depth > 0)
    return missing


def apply_sensor(depth, K, rng, sensor=SensorModel()):
    """Turn a clean depth map (mm) into what a structured-light sensor returns."""
    depth = depth.astype(np.float64)
    valid = (depth > 0) & (depth < sensor.max_range_mm)
    fb = K[0, 0] * sensor.baseline_mm
    disparity = np.where(valid, fb / np.maximum(depth, 1.0), 0.0)
    disparity += rng.normal(0.0, sensor.disparity_noise_px, depth.shape)
    disparity = np.round(disparity / sensor.disparity_step_px) * sensor.disparity_step_px
    out = np.where(valid & (disparity > 0), fb / np.maximum(disparity, 1e-6), 0.0)
    edges = edge_pixels(depth, sensor.edge_jump_mm)
    blurred = cv2.blur(depth.astype(np.float32), (5, 5))
    flying = edges & (rng.random(depth.shape) < sensor.flying)
    out[flying] = blurred[flying]
    gy, gx = np.gradient(depth)
    slope = np.hypot(gx, gy) * K[0, 0] / np.maximum(depth, 1.0)
    lost = ((edges & ~flying & (rng.random(depth.shape) < sensor.edge_drop))
            | (slope > sensor.grazing_slope) | _shadow(depth, K, sensor.baseline_mm)
            | (rng.random(depth.shape) < sensor.speckle_drop))
    out[lost | ~valid] = 0.0
    return out.astype(np.float32)


def clutter_capsules(rng, hand_z, K, height, width, scene=SceneModel()):
    """Random spheres/capsules behind the hand: ends ``(C, 2, 3)`` mm and radii ``(C,)``."""
    n = scene.clutter
    z = hand_z + scene.clutter_gap_mm + rng.uniform(0, 600, n)
    u, v = rng.uniform(0, width, n), rng.uniform(0, height, n)
    centres = np.stack([(u - K[0, 2]) * z / K[0, 0], (v - K[1, 2]) * z / K[1, 1], z], 1)
    offsets = rng.normal(0, 60, (n, 3)) * (rng.random((n, 1)) < 0.5)
    ends = np.stack([centres - offsets, centres + offsets], 1)
    return ends, rng.uniform(25, 90, n)


def background(rng, K, height, width, scene=SceneModel()):
    """Render a tilted back wall (mm depth map)."""
    normal = np.array([rng.normal(0, 0.15), rng.normal(0, 0.15), 1.0])
    normal /= np.linalg.norm(normal)
    return plane_depth(K, height, width, normal, rng.uniform(*scene.wall_mm))
