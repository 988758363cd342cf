# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Depth of boxes and flat-capped cylinders: exact perspective ray casting in numpy.

The capsule renderer (``depth.py``) draws rounded shapes only; grasped objects also have flat
faces and sharp rims (a box, a can, a mug). Each solid is a centre ``(3,)`` mm in the camera
optical frame, a frame ``(3, 3)`` whose columns are its local axes in the camera frame (a
cylinder's axis is the third column) and half sizes ``(3,)`` mm: a box's half extents
``(hx, hy, hz)``; a cylinder's ``(radius, radius, half length)``. Output: ``(H, W)`` float32
depth in mm (z of the first hit along the ray through each pixel centre), 0 = nothing.
Each solid is only tested against the pixels of its projected bounding box.
"""

from dataclasses import dataclass

import numpy as np

BOX, CYLINDER = 0, 1


@dataclass
class Solids:
    """A list of solids (arrays with a leading dimension N; see the module docstring)."""

    kind: np.ndarray      # (N,) BOX or CYLINDER
    centre: np.ndarray    # (N, 3) mm, camera frame
    frame: np.ndarray     # (N, 3, 3) local axes as columns, camera frame
    half: np.ndarray      # (N, 3) mm

    @classmethod
    def empty(cls):
        """No solid."""
        return cls(np.zeros(0, int), np.zeros((0, 3)), np.zeros((0, 3, 3)), np.zeros((0, 3)))

    @classmethod
    def concatenate(cls, parts):
        """Join several lists of solids into one."""
        parts = [cls.empty()] + list(parts)
        return cls(*(np.concatenate([getattr(p, k) for p in parts])
                     for k in ('kind', 'centre', 'frame', 'half')))

    def __len__(self):
        return len(self.kind)


def _pixel_box(centre, frame, half, K, height, width):
    """Pixel window ``(v0, v1, u0, u1)`` of a solid's bounding box (all when it reaches z <= 1)."""
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
    corners = centre + (signs * half) @ frame.T
    if corners[:, 2].max() <= 1.0:
        return 0, 0, 0, 0
    if corners[:, 2].min() <= 1.0:
        return 0, height, 0, width
    u = K[0, 0] * corners[:, 0] / corners[:, 2] + K[0, 2]
    v = K[1, 1] * corners[:, 1] / corners[:, 2] + K[1, 2]
    u0, u1 = max(int(np.floor(u.min())) - 1, 0), min(int(np.ceil(u.max())) + 2, width)
    v0, v1 = max(int(np.floor(v.min())) - 1, 0), min(int(np.ceil(v.max())) + 2, height)
    return v0, max(v1, v0), u0, max(u1, u0)


def _slab(origin, direction, half):
    """Entry and exit ray parameters of the slab ``|x| <= half`` (arrays; +-inf when none)."""
    with np.errstate(divide='ignore', invalid='ignore'):
        t1, t2 = (-half - origin) / direction, (half - origin) / direction
    inside = np.abs(origin) <= half
    parallel = direction == 0
    low = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
    high = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
    return low, high


def _disc(origin, direction, radius):
    """Entry and exit parameters of the infinite cylinder ``x^2 + y^2 <= r^2`` (local frame)."""
    a = direction[..., 0] ** 2 + direction[..., 1] ** 2
    b = origin[0] * direction[..., 0] + origin[1] * direction[..., 1]
    c = origin[0] ** 2 + origin[1] ** 2 - radius ** 2
    h = b * b - a * c
    root = np.sqrt(np.maximum(h, 0.0))
    with np.errstate(divide='ignore', invalid='ignore'):
        low, high = (-b - root) / a, (-b + root) / a
    along = a < 1e-12
    low = np.where(along, np.where(c <= 0, -np.inf, np.inf), np.where(h >= 0, low, np.inf))
    high = np.where(along, np.where(c <= 0, np.inf, -np.inf), np.where(h >= 0, high, -np.inf))
    return low, high


def _hits(kind, centre, frame, half, rays):
    """Depth of the first hit of each ray ``(n, 3)`` (z = 1 rays: t is depth); 0 = missed."""
    origin = -frame.T @ centre                   # the camera centre in the solid's frame
    direction = rays @ frame                     # (n, 3) in the solid's frame
    if kind == BOX:
        slabs = [_slab(origin[k], direction[:, k], half[k]) for k in range(3)]
        low = np.maximum.reduce([s[0] for s in slabs])
        high = np.minimum.reduce([s[1] for s in slabs])
    else:
        disc = _disc(origin, direction, half[0])
        caps = _slab(origin[2], direction[:, 2], half[2])
        low, high = np.maximum(disc[0], caps[0]), np.minimum(disc[1], caps[1])
    return np.where((low <= high) & (low > 0.0), low, 0.0)


def render_solids(solids, K, height, width):
    """Render ``(H, W)`` float32 depth in mm (0 = nothing) of ``solids`` through ``K``."""
    out = np.zeros((height, width), np.float64)
    K = np.asarray(K, np.float64)
    for i in range(len(solids)):
        centre, frame, half = solids.centre[i], solids.frame[i], solids.half[i]
        v0, v1, u0, u1 = _pixel_box(centre, frame, half, K, height, width)
        if v1 <= v0 or u1 <= u0:
            continue
        v, u = np.mgrid[v0:v1, u0:u1].astype(np.float64)
        rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1],
                         np.ones_like(u)], -1).reshape(-1, 3)
        z = _hits(solids.kind[i], centre, frame, half, rays).reshape(v.shape)
        window = out[v0:v1, u0:u1]
        closer = (z > 0) & ((window == 0) | (z < window))
        window[closer] = z[closer]
    return out.astype(np.float32)
