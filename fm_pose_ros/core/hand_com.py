# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The hand's centre of mass: the closest-object localiser and its step in the cube.

Conventions as in ``hand_codec``: depth ``(H, W)`` float32 mm (0 = no measurement), ``K``
3x3 pinhole intrinsics (pixels), centres ``(3,)`` mm in the camera optical frame, the cube
``settings.cube_mm`` around a centre (``hand_codec.cube_bounds``).

- ``locate_hand``: the localiser of weights without a learned locator (the closest object's
  refined centre of mass).
- ``centre_of_mass_in_cube`` and ``count_in_cube``: one refinement step and the pixel count
  of the cube; ``locate_hand`` iterates the step, ``hand_tracking`` follows a hand with it.
- ``centre_of_mass``: of any pixel mask (the learned locator's hand pixels, training targets).
"""

import numpy as np

from fm_pose_ros.core.camera import backproject
from fm_pose_ros.core.hand_codec import cube_bounds, HandCropSettings


def locate_hand(depth_mm, K, settings=HandCropSettings()):
    """Find the hand centre (mm, camera frame) as the closest object's refined centre of mass.

    Returns ``(3,)`` float64 or None when nothing hand-sized is in the depth range.
    """
    depth = np.asarray(depth_mm, np.float32)
    valid = (depth > settings.depth_min_mm) & (depth < settings.depth_max_mm)
    values = depth[valid]
    if values.size < settings.min_hand_pixels:
        return None
    rank = min(settings.robust_rank, values.size - 1)
    closest = float(np.partition(values, rank)[rank])
    mask = valid & (depth <= closest + settings.cube_mm[2])
    com = centre_of_mass(depth, mask, K)
    for _ in range(settings.com_iterations):
        refined = centre_of_mass_in_cube(depth, com, K, settings)
        if refined is None:
            return None
        shift = np.linalg.norm(refined - com)
        com = refined
        if shift < 1.0:
            break
    if count_in_cube(depth, com, K, settings) < settings.min_hand_pixels:
        return None
    return com


def centre_of_mass(depth, mask, K):
    """3D centre of mass of the masked pixels (mean pixel, mean depth), mm."""
    v, u = np.nonzero(mask)
    d = depth[v, u]
    return backproject(u.mean(), v.mean(), float(d.mean()), K)


def _cube_window(depth, com, K, settings):
    """Pixel window of the cube and the mask of its pixels whose depth lies inside the cube."""
    u0, v0, u1, v1 = cube_bounds(com, settings.cube_mm, K)
    height, width = depth.shape
    c0, c1 = max(int(np.floor(u0)), 0), min(int(np.ceil(u1)) + 1, width)
    r0, r1 = max(int(np.floor(v0)), 0), min(int(np.ceil(v1)) + 1, height)
    if c0 >= c1 or r0 >= r1:
        return None, None, None
    window = depth[r0:r1, c0:c1]
    half_z = settings.cube_mm[2] / 2.0
    inside = (window > max(com[2] - half_z, settings.depth_min_mm)) & (window < com[2] + half_z)
    return window, inside, (r0, c0)


def count_in_cube(depth, com, K, settings):
    """Count the depth pixels inside the cube around ``com`` (mm, camera frame)."""
    window, inside, _ = _cube_window(depth, com, K, settings)
    return 0 if window is None else int(inside.sum())


def centre_of_mass_in_cube(depth, com, K, settings):
    """Return the centre of mass (mm) of the pixels in the cube around ``com``, or None."""
    window, inside, origin = _cube_window(depth, com, K, settings)
    if window is None or inside.sum() < settings.min_hand_pixels:
        return None
    v, u = np.nonzero(inside)
    d = window[v, u]
    return backproject(u.mean() + origin[1], v.mean() + origin[0], float(d.mean()), K)
