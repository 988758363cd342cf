# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""NYU loader on fixture files written in NYU's exact format."""

import numpy as np
import pytest
from scipy.io import savemat

from fm_pose_ros.core.camera import project
from fm_pose_ros.core.hand_joints import NYU_INDICES
from training.config import load_config
from training.hand.data import HandTrainingData
from training.hand.datasets import synthetic_frames
from training.hand.nyu import load_joints, NYU_K, nyu_records, NyuSource, read_depth_png


def write_split(folder, frames):
    """Write frames as NYU does: PNG (G << 8 | B), 32001 background, joint_data.mat."""
    import cv2
    folder.mkdir(parents=True)
    xyz = np.zeros((3, len(frames), 36, 3))
    uvd = np.zeros((3, len(frames), 36, 3))
    for i, frame in enumerate(frames):
        for prefix, depth in (('depth', frame['depth']), ('synthdepth', frame['depth'])):
            d = np.where(depth > 0, np.rint(depth), 32001).astype(np.uint32)
            image = np.stack([d & 255, (d >> 8) & 255, np.zeros_like(d)], -1).astype(np.uint8)
            cv2.imwrite(str(folder / f'{prefix}_1_{i + 1:07d}.png'), image)
        metric = np.zeros((36, 3))
        metric[list(NYU_INDICES)] = frame['joints'] * [1.0, -1.0, 1.0]   # NYU: y up
        xyz[0, i] = metric
        uv = project(frame['joints'], NYU_K)
        uvd[0, i, list(NYU_INDICES)] = np.column_stack([uv, frame['joints'][:, 2]])
    savemat(folder / 'joint_data.mat', {'joint_xyz': xyz, 'joint_uvd': uvd})


@pytest.fixture
def nyu_root(tmp_path):
    frames = list(synthetic_frames(np.random.default_rng(0), 3, K=NYU_K))
    write_split(tmp_path / 'train', frames[:2])
    write_split(tmp_path / 'test', frames[2:])
    return tmp_path, frames


def test_depth_png_and_joints_round_trip(nyu_root):
    root, frames = nyu_root
    depth = read_depth_png(root / 'train' / 'depth_1_0000001.png')
    np.testing.assert_array_equal(depth, np.rint(frames[0]['depth']))
    assert depth.min() == 0.0 and depth.max() < 32001
    joints = load_joints(str(root / 'train'))
    np.testing.assert_allclose(joints, np.stack([f['joints'] for f in frames[:2]]))


def test_y_flip_agrees_with_joint_uvd(nyu_root):
    root, _ = nyu_root
    from scipy.io import loadmat
    uvd = loadmat(str(root / 'train' / 'joint_data.mat'))['joint_uvd'][0][:, list(NYU_INDICES)]
    joints = load_joints(str(root / 'train'))
    np.testing.assert_allclose(project(joints.reshape(-1, 3), NYU_K).reshape(-1, 14, 2),
                               uvd[..., :2], atol=1e-6)


def test_records_and_training_source(nyu_root, tmp_path):
    root, _ = nyu_root
    records = list(nyu_records(str(root / 'test')))
    assert len(records) == 1 and records[0]['twin'].shape == (480, 640)
    cfg = load_config(None, [f'data.source={root}', f'data.cache_dir={tmp_path / "c"}',
                             'data.locator_steps=0', 'data.num_real_train=1',
                             'data.num_real_val=1', 'data.label_poses=0.5'])
    data = HandTrainingData(cfg)
    assert len(data.train['real']) == 1 and len(data.test_set()['crops']) == 1
    train_joints = load_joints(str(root / 'train'))
    np.testing.assert_allclose(data.val['joints'][0], train_joints[1], atol=1e-3)  # held out
    assert len(data.pose_pool) == 1            # synthetic poses from the NYU labels too
    crops, targets = data.synthetic_batch(np.random.default_rng(0), 4)
    assert crops.shape == (4, 1, 128, 128) and np.isfinite(targets).all()
    with pytest.raises(ValueError, match='NYU train has 2 frames'):
        NyuSource(load_config(None, [f'data.source={root}']).data).val_records()
    for copies in ('data.sensor_copies=1', 'data.robot_copies=1'):
        with pytest.raises(ValueError, match='robot_copies need the built-in benchmark'):
            NyuSource(load_config(None, [f'data.source={root}', copies]).data).train_records()
    with pytest.raises(ValueError, match='not an NYU folder'):
        NyuSource(load_config(None, [f'data.source={tmp_path / "nothing"}']).data)
