# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Aligned depth for the real-like object frames: the scene's depth, then an RGB-D sensor.

The scene (metres, colour camera frame): the rendered object, a tilted wall or table plane
behind it, and the occluders the colour frame draws in front of it (flat patches nearer than
the object). The sensor imitates an active-stereo camera's depth aligned to its colour image
(RealSense D400-like): noise whose sigma grows with z squared, 1 mm steps (16UC1), holes along
depth edges (failed matching, the occlusion band of the alignment), dropout blobs (dark or
shiny patches), and a registration error of up to 2 px between depth and colour. Output:
``(H, W)`` uint16 millimetres, 0 = no measurement (the ``depth_mm`` of a frame record).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from training.hand.sensor_sim import edge_pixels, plane_depth


@dataclass(frozen=True)
class SceneDepth:
    """What surrounds the object in depth."""

    wall_gap_m: tuple = (0.03, 0.5)       # plane behind the object's farthest point
    wall_tilt_deg: float = 35.0            # plane normal off the optical axis, at most
    occluder_gap_m: tuple = (0.02, 0.15)   # occluders this much nearer than the object


@dataclass(frozen=True)
class DepthSensor:
    """Aligned RGB-D depth effects; each field says what it imitates (ranges: per frame)."""

    noise_per_m2: tuple = (0.001, 0.004)  # sigma = k z^2 (m): stereo disparity noise
    step_m: float = 0.001                  # 16UC1 millimetre steps
    edge_jump_m: float = 0.01              # a neighbour this much farther marks a depth edge
    edge_width_px: tuple = (1, 3)          # holes along edges: band width
    edge_drop: tuple = (0.3, 0.9)          # share of the band's pixels lost
    blobs: tuple = (0, 3)                  # dropout blobs per frame
    blob_radius_px: tuple = (3, 14)
    shift_px: float = 2.0                  # depth-to-colour registration error, up to this
    max_range_m: float = 6.0


def scene_depth(rng, object_depth, occluders, K, scene=SceneDepth()):
    """Return the clean scene depth ``(H, W)`` float32 m.

    ``object_depth`` ``(H, W)`` m (0 = no object, the renderer's z); ``occluders`` ``(H, W)``
    int labels (0 = none, k = the k-th occluder drawn over the colour frame).
    """
    height, width = object_depth.shape
    on_object = object_depth > 0
    near, far = ((object_depth[on_object].min(), object_depth[on_object].max())
                 if on_object.any() else (0.6, 0.6))
    tilt = np.radians(rng.uniform(0.0, scene.wall_tilt_deg))
    azimuth = rng.uniform(0.0, 2.0 * np.pi)
    normal = np.array([np.sin(tilt) * np.cos(azimuth), np.sin(tilt) * np.sin(azimuth),
                       np.cos(tilt)])
    anchor = np.array([0.0, 0.0, far + rng.uniform(*scene.wall_gap_m)])
    wall = plane_depth(K, height, width, normal, float(normal @ anchor))
    depth = np.where(on_object, object_depth, wall).astype(np.float32)
    for label in range(1, int(occluders.max()) + 1):
        depth[occluders == label] = max(near - rng.uniform(*scene.occluder_gap_m), 0.1)
    return depth


def apply_sensor(rng, depth, sensor=DepthSensor()):
    """Return what the sensor reports of a clean depth ``(H, W)`` m: ``(H, W)`` uint16 mm."""
    height, width = depth.shape
    valid = (depth > 0) & (depth < sensor.max_range_m)
    sigma = rng.uniform(*sensor.noise_per_m2) * depth.astype(np.float64) ** 2
    noisy = depth + rng.normal(0.0, 1.0, depth.shape) * sigma
    lost = _edge_holes(rng, depth, sensor) | _blobs(rng, height, width, sensor)
    millimetres = np.round(noisy / sensor.step_m) * (sensor.step_m * 1000.0)
    out = np.where(valid & ~lost, np.clip(millimetres, 0, 65535), 0).astype(np.uint16)
    return _shift(rng, out, sensor.shift_px)


def _edge_holes(rng, depth, sensor):
    """Random share of a band of random width along the depth edges."""
    edges = edge_pixels(depth, sensor.edge_jump_m).astype(np.uint8)
    width = int(rng.integers(sensor.edge_width_px[0], sensor.edge_width_px[1] + 1))
    band = cv2.dilate(edges, np.ones((2 * width - 1,) * 2, np.uint8)) > 0
    return band & (rng.random(depth.shape) < rng.uniform(*sensor.edge_drop))


def _blobs(rng, height, width, sensor):
    """Draw filled ellipses of no depth anywhere in the frame (a mask)."""
    mask = np.zeros((height, width), np.uint8)
    for _ in range(int(rng.integers(sensor.blobs[0], sensor.blobs[1] + 1))):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = tuple(int(rng.uniform(*sensor.blob_radius_px)) for _ in range(2))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    return mask > 0


def _shift(rng, depth_mm, limit_px):
    """Move the depth image by up to ``limit_px`` (nearest neighbour, 0 where uncovered)."""
    angle, length = rng.uniform(0.0, 2.0 * np.pi), rng.uniform(0.0, limit_px)
    matrix = np.array([[1.0, 0.0, length * np.cos(angle)], [0.0, 1.0, length * np.sin(angle)]])
    return cv2.warpAffine(depth_mm, matrix, depth_mm.shape[::-1], flags=cv2.INTER_NEAREST,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def sensor_depth(rng, object_depth, occluders, K, scene=SceneDepth(), sensor=DepthSensor()):
    """Return the aligned depth of a real-like frame: ``(H, W)`` uint16 mm, 0 = none."""
    return apply_sensor(rng, scene_depth(rng, object_depth, occluders, K, scene), sensor)
