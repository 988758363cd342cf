# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Batched depth renderer of capsule scenes: exact perspective ray casting, numba on CPU.

Input: capsule endpoints ``(B, P, 2, 3)`` mm in the camera optical frame, radii ``(B, P)``
mm, intrinsics ``K`` ``(3, 3)`` or ``(B, 3, 3)``, image size. Output ``(B, H, W)`` float32
depth in mm (z of the first hit along the ray through each pixel centre), 0 = no surface.
Each capsule is only tested against the pixels of its projected bounding box; frames of a
batch render in parallel (``numba.prange``). A sphere is a capsule with equal endpoints.
"""

import math

import numba
import numpy as np


@numba.njit(cache=True, fastmath=True)
def _ray_sphere(rx, ry, rz, cx, cy, cz, r):
    """Distance along the unit ray from the origin to a sphere at c (-1 when missed)."""
    b = -(rx * cx + ry * cy + rz * cz)
    c = cx * cx + cy * cy + cz * cz - r * r
    h = b * b - c
    return -b - math.sqrt(h) if h > 0.0 else -1.0


@numba.njit(cache=True, fastmath=True)
def _ray_capsule(rx, ry, rz, ax, ay, az, bx, by, bz, r):
    """Distance along the unit ray from the origin to a capsule (-1 when missed).

    Infinite-cylinder test first (the capsule lies inside it), then the body or the cap on
    the side the cylinder hit falls (Quilez's closed form).
    """
    bax, bay, baz = bx - ax, by - ay, bz - az
    baba = bax * bax + bay * bay + baz * baz
    bard = bax * rx + bay * ry + baz * rz
    a = baba - bard * bard
    if baba < 1e-9 or a < 1e-9 * baba:      # a sphere, or a ray along the axis
        ta = _ray_sphere(rx, ry, rz, ax, ay, az, r)
        tb = _ray_sphere(rx, ry, rz, bx, by, bz, r)
        if ta < 0.0 or (0.0 < tb < ta):
            return tb
        return ta
    baoa = -(bax * ax + bay * ay + baz * az)
    rdoa = -(rx * ax + ry * ay + rz * az)
    oaoa = ax * ax + ay * ay + az * az
    b = baba * rdoa - baoa * bard
    c = baba * oaoa - baoa * baoa - r * r * baba
    h = b * b - a * c
    if h < 0.0:
        return -1.0
    t = (-b - math.sqrt(h)) / a
    y = baoa + t * bard
    if 0.0 < y < baba:
        return t
    if y <= 0.0:
        return _ray_sphere(rx, ry, rz, ax, ay, az, r)
    return _ray_sphere(rx, ry, rz, bx, by, bz, r)


@numba.njit(cache=True)
def _bbox(a, b, r, fx, fy, cx, cy, height, width):
    """Conservative pixel box of a capsule; empty when it is behind the camera."""
    zmin = min(a[2], b[2]) - r
    if max(a[2], b[2]) + r <= 1.0:
        return 0, 0, 0, 0
    if zmin <= 1.0:
        return 0, height, 0, width
    ua, va = fx * a[0] / a[2] + cx, fy * a[1] / a[2] + cy
    ub, vb = fx * b[0] / b[2] + cx, fy * b[1] / b[2] + cy
    pad_u = fx * r / zmin * 1.5 + 1.0
    pad_v = fy * r / zmin * 1.5 + 1.0
    u0 = max(int(math.floor(min(ua, ub) - pad_u)), 0)
    u1 = min(int(math.ceil(max(ua, ub) + pad_u)) + 1, width)
    v0 = max(int(math.floor(min(va, vb) - pad_v)), 0)
    v1 = min(int(math.ceil(max(va, vb) + pad_v)) + 1, height)
    return v0, max(v1, v0), u0, max(u1, u0)


@numba.njit(cache=True, fastmath=True)
def _render_one(ends, radii, K, out):
    height, width = out.shape
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    for p in range(ends.shape[0]):
        a, b, r = ends[p, 0], ends[p, 1], radii[p]
        if r <= 0.0:
            continue
        v0, v1, u0, u1 = _bbox(a, b, r, fx, fy, cx, cy, height, width)
        for v in range(v0, v1):
            dy = (v - cy) / fy
            for u in range(u0, u1):
                dx = (u - cx) / fx
                norm = 1.0 / math.sqrt(dx * dx + dy * dy + 1.0)
                t = _ray_capsule(dx * norm, dy * norm, norm, a[0], a[1], a[2],
                                 b[0], b[1], b[2], r)
                if t > 0.0:
                    z = t * norm
                    if out[v, u] == 0.0 or z < out[v, u]:
                        out[v, u] = z


@numba.njit(cache=True, parallel=True)
def _render_batch(ends, radii, Ks, out):
    for i in numba.prange(ends.shape[0]):
        _render_one(ends[i], radii[i], Ks[i], out[i])


def render_depth(ends, radii, K, height, width):
    """Render ``(B, H, W)`` float32 depth in mm (0 = nothing) of capsule scenes."""
    ends = np.ascontiguousarray(ends, np.float64)
    radii = np.ascontiguousarray(radii, np.float64)
    Ks = np.broadcast_to(np.asarray(K, np.float64), (len(ends), 3, 3)).copy()
    out = np.zeros((len(ends), height, width), np.float32)
    _render_batch(ends, radii, Ks, out)
    return out
