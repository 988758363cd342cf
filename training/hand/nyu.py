# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""NYU hand pose dataset (Tompson et al. 2014), read in its own format.

Folder layout: ``<root>/train`` and ``<root>/test``, each with ``joint_data.mat`` and per
frame ``depth_<cam>_<frame:07d>.png`` (real sensor) and ``synthdepth_<cam>_<frame:07d>.png``
(the synthetic twin: the fitted hand model rendered at the same pose). Depth PNGs store mm
as ``(G << 8) | B``; background/invalid is 32001 (-> 0 here). ``joint_xyz`` /
``joint_uvd`` are ``[cam][frame, 36, 3]``; NYU's metric y points UP, the optical frame's
down, so y is negated. The 14 evaluation joints come from ``hand_joints.NYU_INDICES``.
"""

import os

import cv2
import numpy as np
from scipy.io import loadmat

from fm_pose_ros.core.hand_joints import NYU_INDICES

NYU_K = np.array([[588.03, 0.0, 320.0], [0.0, 587.07, 240.0], [0.0, 0.0, 1.0]])
NYU_INVALID = 32001


def read_depth_png(path):
    """NYU depth PNG -> float32 mm ``(H, W)``, 0 = invalid."""
    image = cv2.imread(os.fspath(path), cv2.IMREAD_COLOR)    # B, G, R channels
    if image is None:
        raise FileNotFoundError(f'cannot read NYU depth image {path}')
    depth = (image[:, :, 1].astype(np.uint32) << 8) | image[:, :, 0].astype(np.uint32)
    depth = depth.astype(np.float32)
    depth[depth >= NYU_INVALID] = 0.0
    return depth


def load_joints(split_dir, camera=1):
    """14 evaluation joints ``(N, 14, 3)`` mm in the optical frame (y down) of one camera."""
    path = os.path.join(split_dir, 'joint_data.mat')
    try:
        data = loadmat(path)
        xyz = np.asarray(data['joint_xyz'][camera - 1], np.float64)[:, list(NYU_INDICES)]
    except Exception as exc:  # scipy raises many types for damaged .mat files
        raise ValueError(f'{path} is not a readable NYU joint file: {type(exc).__name__}: '
                         f"{' '.join(str(exc).split())}") from exc
    xyz[..., 1] *= -1.0
    return xyz


def nyu_records(split_dir, camera=1, limit=None, skip=0):
    """Yield records (depth, twin, K, joints) of one NYU split folder.

    Frames ``skip`` to ``skip + limit`` (all after ``skip`` when ``limit`` is None).
    """
    joints = load_joints(split_dir, camera)
    stop = len(joints) if limit is None else min(skip + limit, len(joints))
    for index in range(skip, stop):
        name = f'{camera}_{index + 1:07d}.png'
        yield {'depth': read_depth_png(os.path.join(split_dir, f'depth_{name}')),
               'twin': read_depth_png(os.path.join(split_dir, f'synthdepth_{name}')),
               'K': NYU_K, 'joints': joints[index], 'joints_true': joints[index]}


class NyuSource:
    """Training source for ``data.source=<NYU root>``: real frames with their synthdepth twins.

    The synthetic stream renders our hand model with NYU's camera (poses: the prior and IK
    fits of the training labels, ``HandTrainingData``).
    """

    name = 'nyu'
    camera_K = NYU_K                 # the camera of the synthetic stream

    def __init__(self, data_cfg):
        self.root = data_cfg.source
        if not os.path.isfile(os.path.join(self.root, 'train', 'joint_data.mat')):
            raise ValueError(f'{self.root} is not an NYU folder (no train/joint_data.mat)')
        self.cfg = data_cfg

    def train_records(self):
        """Real training frames (no sensor copies: NYU has no clean scene to see again)."""
        if self.cfg.sensor_copies or self.cfg.robot_copies:
            raise ValueError('data.sensor_copies and data.robot_copies need the built-in '
                             'benchmark (data.source=simreal): NYU frames have no clean '
                             'scene to see again')
        return nyu_records(os.path.join(self.root, 'train'), limit=self.cfg.num_real_train)

    def val_records(self):
        """Training-split frames after the first ``num_real_train``: held out for tuning."""
        total = len(load_joints(os.path.join(self.root, 'train')))
        if self.cfg.num_real_train + self.cfg.num_real_val > total:
            raise ValueError(f'NYU train has {total} frames, fewer than data.num_real_train + '
                             'data.num_real_val: lower them (num_real_val=0: no validation)')
        return nyu_records(os.path.join(self.root, 'train'), limit=self.cfg.num_real_val,
                           skip=self.cfg.num_real_train)

    def test_records(self):
        """Real test frames."""
        return nyu_records(os.path.join(self.root, 'test'), limit=self.cfg.num_real_test)

    def synthetic_crops(self, rng, pose, settings, jitter_mm):
        """Online synthetic crops of ``pose`` through NYU's intrinsics."""
        from training.hand.datasets import synthetic_crops
        return synthetic_crops(rng, pose, settings, jitter_mm, K=NYU_K)
