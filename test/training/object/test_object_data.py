# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object training data and a tiny object run: shapes, targets, determinism, export path."""

import numpy as np
import pytest

from fm_pose_ros.core.object_codec import decode_corners
from training.config import load_config

pytest.importorskip('moderngl')

TINY = ['data.num_real_train=24', 'data.num_real_test=6', 'data.num_real_val=4',
        'object.locator_steps=4', 'object.locator_batch=4',
        'net.stage_channels=[8, 16, 16, 32]', 'net.feature_dim=64', 'net.dropout=0.0',
        'optim.batch_size=16', 'optim.stage1_steps=60',
        'optim.stage2_steps=10', 'eval_every=1000', 'ckpt_every=1000', 'log_every=1000',
        'threads=1', 'optim.lr=0.002']


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    from training.object.data import ObjectTrainingData
    try:
        return ObjectTrainingData(tiny_config(tmp_path_factory.mktemp('object')))
    except Exception as exc:  # moderngl present but no EGL
        if 'EGL' in str(exc) or 'context' in str(exc).lower():
            pytest.skip(f'no headless OpenGL: {exc}')
        raise


def tiny_config(folder, *extra):
    return load_config(None, TINY + [f'out_dir={folder / "run"}',
                                     f'data.cache_dir={folder / "cache"}', *extra], task='object')


def test_synthetic_batch_is_deterministic_and_targets_decode_to_the_corners(data):
    from training.object.data import jittered_box
    from training.object.datasets import corner_pixels, K_LINEMOD, sample_poses
    first = data.synthetic_batch(np.random.default_rng(3), 4)
    again = data.synthetic_batch(np.random.default_rng(3), 4)
    assert first[0].shape == (4, 3, 64, 64) and first[1].shape == (4, 16)
    np.testing.assert_array_equal(first[0], again[0])
    assert first[0].min() >= -1.0 and first[0].max() <= 1.0
    # the same random stream as synthetic_batch: poses, then boxes
    rng = np.random.default_rng(3)
    R, t = sample_poses(rng, 4, data.mesh, data.ocfg.up_axis, data.ocfg.distance_m)
    uv = corner_pixels(data.mesh, R, t, K_LINEMOD)
    box = jittered_box(rng, uv[0], data.settings, data.ocfg.box_shift, data.ocfg.box_scale)
    np.testing.assert_allclose(decode_corners(first[1][0], box), uv[0], atol=1e-3)


def test_paired_batch_and_locator_targets(data):
    real, twin, target = data.paired_batch(np.random.default_rng(0), 6)
    assert real.shape == twin.shape == (6, 3, 64, 64) and target.shape == (6, 16)
    assert np.abs(target).max() < 1.5   # boxes are built around the corners (+ noise)
    assert not np.array_equal(real, twin)
    assert data.train['locator_in'].shape == (24, 120, 160, 3)
    assert data.train['locator_target'].shape == (24, 30, 40)
    assert 0 < data.train['locator_target'].mean() < 0.5


def test_augmented_pairs_are_warped_anew_at_every_draw(tmp_path):
    from training.object.data import ObjectTrainingData
    data = ObjectTrainingData(tiny_config(tmp_path, 'object.augment=true', 'data.num_real_val=0',
                                          'data.num_real_train=3', 'data.num_real_test=1'))
    assert data.train['real'].shape == data.train['twin'].shape == (3, 102, 102, 3)  # 1.6 x 64
    assert data.train['target'].shape == (3, 8, 2)  # corners in margin-crop pixels
    real, twin, target = data.paired_batch(np.random.default_rng(0), 8)
    assert real.shape == twin.shape == (8, 3, 64, 64) and target.shape == (8, 16)
    assert np.abs(target).max() < 1.5
    again = data.paired_batch(np.random.default_rng(0), 8)
    np.testing.assert_array_equal(real, again[0])
    other = data.paired_batch(np.random.default_rng(1), 8)
    assert not np.array_equal(target, other[2])


def test_tiny_object_run_learns_and_exports_a_loadable_model(data, tmp_path):
    from dataclasses import replace
    from fm_pose_ros.core.object_estimator import ObjectEstimator
    from training.predict import predictor
    from training.train import Trainer
    cfg = replace(data.cfg, out_dir=str(tmp_path / 'run'))
    trainer = Trainer(cfg, data=data)
    path = trainer.run()
    syn = [h['loss_syn'] for h in trainer.history[:60]]
    assert np.mean(syn[-10:]) < 0.9 * np.mean(syn[:10])
    estimator = ObjectEstimator(path, 'cpu', 'onnxruntime', refine_steps=0)
    in_memory = data.estimator(predictor(trainer.model, 'cpu'))
    frame = data.test[0]
    box = in_memory.locate(frame['rgb']) or estimator.locate(frame['rgb'])
    if box is not None:  # same locator and (fp16-stored) network: same corners
        np.testing.assert_allclose(estimator.corners_in(frame['rgb'], box),
                                   in_memory.corners_in(frame['rgb'], box), atol=1.0)
    report = data.evaluate(predictor(trainer.model, 'cpu'))
    assert report['task'] == 'object' and report['frames_in'] == 6
    assert 0.0 <= report['add_acc'] <= 1.0
    # the built-in test frames carry aligned depth: the RGB-D line is scored too
    assert report['rgbd']['depth_frames'] == 6 and 0.0 <= report['rgbd']['add_acc'] <= 1.0


def test_bop_dataset_as_the_real_domain(tmp_path):
    """Real frames, twins and the test set from a BOP folder (fixture in the BOP format)."""
    from test_bop import BOXES, SCENES, write_models, write_scene
    from training.object.data import ObjectTrainingData
    root = tmp_path / 'lm'
    write_models(root)
    rng = np.random.default_rng(0)
    for scene_id, images in SCENES.items():
        write_scene(root / 'test' / f'{scene_id:06d}', scene_id, images, rng)
    cfg = tiny_config(tmp_path, f'object.bop_root={root}', 'object.bop_obj_id=1',
                      'object.bop_train_split=test', 'data.num_real_train=5')
    data = ObjectTrainingData(cfg)
    count = sum(images.count(1) for scenes in SCENES.values() for images in scenes)
    assert len(data.train['real']) == 5 and len(data.test) == min(6, count)
    assert data.mesh.name == 'obj_000001'
    np.testing.assert_allclose(data.mesh.bbox_size * 1000, BOXES[1][1], rtol=1e-5)  # mm -> m
    assert all(frame['mask'] is not None for frame in data.test)  # rendered where missing
    with_depth = [f for f in data.test if f.get('depth_mm') is not None]  # BOP depth/ read
    assert with_depth and all(f['depth_mm'].dtype == np.uint16 for f in with_depth)
    assert data.train['twin'].shape == (5, 64, 64, 3) and data.train['twin'].any()


def test_validation_frames_are_their_own_backgrounds_and_poses(data):
    assert len(data.val) == 4
    for frame in data.val:
        assert not any(np.array_equal(frame['R'], other['R']) for other in data.test)
    report = data.evaluate(lambda crops: np.zeros((len(crops), 16), np.float32), 'val')
    assert report['frames_in'] == 4


def test_no_validation_frames_is_a_clear_error(tmp_path):
    from training.object.data import ObjectTrainingData
    data = ObjectTrainingData(tiny_config(tmp_path, 'data.num_real_val=0'), train=False)
    assert data.val is None
    with pytest.raises(ValueError, match='no validation frames'):
        data.evaluate(lambda crops: crops, 'val')


def test_tiny_dense_head_run_exports_and_the_study_tools_tabulate_it(tmp_path):
    import json
    from training.tools import refine_sweep, study
    from training.train import Trainer
    cfg = tiny_config(tmp_path, 'net.head=dense', 'net.stage_channels=[8, 16, 16]',
                      'optim.stage1_steps=20', 'optim.stage2_steps=10')
    Trainer(cfg).run()
    out = tmp_path / 'study.md'
    assert study.main(['--runs', cfg.out_dir, '--out', str(out)]) == 0
    table = out.read_text()
    assert table.startswith('Command: `python -m training.tools.study --runs')
    row = table.strip().splitlines()[-1]
    assert row.startswith("| run | dense vgg [8, 16, 16] | 64 |") and row.count('|') == 16
    rows = json.loads(out.with_suffix('.json').read_text())
    assert rows[0]['steps'] == 30 and rows[0]['reports']['val']['frames_in'] == 4
    assert rows[0]['reports']['test']['frames_in'] == 6
    sweep = tmp_path / 'refine.md'
    assert refine_sweep.main(['--weights', rows[0]['weights'], '--steps', '0', '2',
                              '--rotations', '0', '10', '--out', str(sweep)]) == 0
    lines = sweep.read_text().strip().splitlines()
    assert [tuple(cell.strip() for cell in line.split('|')[1:3]) for line in lines[-4:]] == [
        ('0', 'none'), ('2', 'none'), ('0', '+-10'), ('2', '+-10')]
    from training.tools import depth_sweep
    depth = tmp_path / 'depth.md'
    assert depth_sweep.main(['--weights', rows[0]['weights'], '--variant', 'defaults:',
                             'loose:min_inlier_fraction=0.3', '--out', str(depth)]) == 0
    names = [line.split('|')[1].strip() for line in depth.read_text().splitlines()[-3:]]
    assert names == ['RGB (PnP)', 'RGB-D, defaults', 'RGB-D, loose']


def test_the_study_tool_refuses_a_folder_without_weights_in_one_line(tmp_path, capsys):
    from training.tools import study
    assert study.main(['--runs', str(tmp_path), '--out', str(tmp_path / 's.md')]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0 and 'expected one exported weights file, found 0' in err
    assert not (tmp_path / 's.md').exists()


MUG = ['object.mesh=pybullet_data/objects/mug.obj', 'object.scale=1.0', "object.up_axis='+z'",
       'object.cull_back_faces=false', 'object.symmetric=true']


def test_symmetric_targets_are_invariant_under_the_objects_symmetry(tmp_path):
    from fm_pose_ros.core.rotations import axis_symmetries
    from training.losses import pose_loss
    from training.object.data import ObjectTrainingData
    import torch
    data = ObjectTrainingData(tiny_config(tmp_path, *MUG, 'object.symmetry_order=4',
                                          'object.augment=true', 'data.num_real_val=0',
                                          'data.num_real_train=3', 'data.num_real_test=1'))
    assert len(data.mesh.symmetries) == 4 and len(data.info['symmetries']) == 4
    assert data.train['target'].shape == (3, 4, 8, 2)   # margin-crop corners per symmetry
    real, _, target = data.paired_batch(np.random.default_rng(0), 5)
    syn, syn_target = data.synthetic_batch(np.random.default_rng(0), 5)
    assert target.shape == syn_target.shape == (5, 4, 16)
    # the pose turned by a symmetry has the same targets, in another order, so the same loss
    K = np.broadcast_to(np.array([[500.0, 0, 320], [0, 500.0, 240], [0, 0, 1]]), (1, 3, 3))
    R, t = np.eye(3)[None], np.array([[0.02, -0.01, 0.6]])
    quarter = axis_symmetries([0.0, 0.0, 1.0], 4)[1, :3, :3]
    sets, turned = data.corner_sets(R, t, K), data.corner_sets(R @ quarter, t, K)
    np.testing.assert_allclose(turned, np.roll(sets, -1, axis=1), atol=1e-9)
    assert not np.allclose(turned[:, 0], sets[:, 0])    # the box itself did move
    pred = torch.randn(1, 16)
    scale = torch.tensor(sets.reshape(1, 4, 16) / 100.0)
    scale_turned = torch.tensor(turned.reshape(1, 4, 16) / 100.0)
    torch.testing.assert_close(pose_loss(pred.double(), scale),
                               pose_loss(pred.double(), scale_turned))


def test_symmetry_order_one_keeps_plain_targets_and_metadata(data):
    assert len(data.mesh.symmetries) == 1 and 'symmetries' not in data.info
