# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Depth frames for the depth-refinement tests: a box (or a sphere) ray-cast exactly.

Boxes are centred on the model origin with side lengths ``size`` (m); poses map model to
camera (``R @ X + t``); depth images are ``(H, W)`` float32 metres, 0 = no measurement.
"""

import numpy as np


def box_surface_points(size, count=600, seed=0):
    """Points ``(count, 3)`` m spread over the box's six faces, area-weighted."""
    size = np.asarray(size, np.float64)
    rng = np.random.default_rng(seed)
    areas = np.array([size[1] * size[2], size[0] * size[2], size[0] * size[1]])
    face = rng.choice(6, count, p=np.repeat(areas, 2) / (2 * areas.sum()))
    points = rng.uniform(-0.5, 0.5, (count, 3)) * size
    axis = face // 2
    points[np.arange(count), axis] = np.where(face % 2, 0.5, -0.5) * size[axis]
    return points


def pixel_rays(K, shape):
    """Rays ``(H, W, 3)`` with z = 1 through every pixel centre."""
    v, u = np.mgrid[:shape[0], :shape[1]].astype(np.float64)
    return np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1)


def box_depth(size, R, t, K, shape, wall_m=None):
    """Depth of the box under pose R, t (slab test per ray); ``wall_m`` elsewhere, else 0."""
    size = np.asarray(size, np.float64)
    directions = pixel_rays(K, shape) @ np.asarray(R)  # rays in the model frame (R^T d)
    origin = -np.asarray(R).T @ np.asarray(t)
    with np.errstate(divide='ignore', invalid='ignore'):
        low = (-size / 2 - origin) / directions
        high = (size / 2 - origin) / directions
    near = np.nanmax(np.minimum(low, high), axis=-1)
    far = np.nanmin(np.maximum(low, high), axis=-1)
    hit = (near <= far) & (near > 0)
    depth = np.where(hit, near, 0.0)  # the ray's z is 1: its parameter is the depth
    if wall_m is not None:
        depth = np.where(hit, depth, wall_m)
    return depth.astype(np.float32)


def sphere_depth(centre, radius, K, shape, wall_m=None):
    """Depth of a sphere; ``wall_m`` elsewhere, else 0."""
    rays = pixel_rays(K, shape)
    centre = np.asarray(centre, np.float64)
    a = (rays ** 2).sum(-1)
    b = rays @ centre
    disc = b ** 2 - a * (centre @ centre - radius ** 2)
    hit = disc > 0
    depth = np.where(hit, (b - np.sqrt(np.maximum(disc, 0.0))) / a, 0.0)
    if wall_m is not None:
        depth = np.where(hit, depth, wall_m)
    return depth.astype(np.float32)


def sensor_like(depth, seed=1, sigma_m=0.0015):
    """Gaussian noise and 1 mm steps on the measured pixels; 0 stays 0."""
    rng = np.random.default_rng(seed)
    out = np.round((depth + rng.normal(0.0, sigma_m, depth.shape)) * 1000.0) / 1000.0
    return np.where(depth > 0, out, 0.0).astype(np.float32)
