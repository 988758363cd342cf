# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Clean hand crops as the node cuts them: centre found on a first render, then re-rendered.

Shared by the synthetic stream (``datasets.synthetic_crops``) and the grasp stream
(``robot_view.grasp_synthetic_crops``).
"""

import numpy as np

from fm_pose_ros.core.hand_codec import crop_camera, normalise_depth
from training.hand.model import capsules, joints
from training.render.depth import render_depth


def crops_around_hands(rng, pose, settings, jitter_mm, K, centre, render):
    """Crops ``(n, S, S)`` in [-1, 1] and targets ``(n, 14, 3)`` = (joints - com) / (cube / 2).

    A first render through a crop camera at each palm centre gives ``centre(depth_mm, K_crop,
    palm_mm, cube_mm)`` (the localiser's answer, mm), moved by Gaussian ``jitter_mm``; then
    ``render(ends, radii, cams, size)`` (depth ``(n, S, S)`` mm) renders the crops there.
    """
    ends, radii = capsules(pose)
    hand_joints = joints(pose)
    cube, size = np.asarray(settings.cube_mm), settings.crop_size
    cams = np.stack([crop_camera(c, cube, K, size) for c in hand_joints[:, -1]])
    first = render_depth(ends, radii, cams, size, size)
    coms = np.stack([centre(d, kc, c, cube)
                     for d, kc, c in zip(first, cams, hand_joints[:, -1])])
    coms += rng.normal(0.0, jitter_mm, coms.shape)
    cams = np.stack([crop_camera(c, cube, K, size) for c in coms])
    depth = render(ends, radii, cams, size)
    crops = np.stack([normalise_depth(d, c[2], cube[2]) for d, c in zip(depth, coms)])
    return crops, (hand_joints - coms[:, None, :]) / (cube / 2.0)
