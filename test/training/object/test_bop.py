# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""BOP loader on fixture datasets written in the exact BOP (LM / LM-O) layout."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
from plyfile import PlyData, PlyElement
import pytest
from test_lint import REPO

from training.object.bop import bbox_corners, BopError, BopSource, load_models_info, main
from training.object.meshes import load_mesh

H, W = 24, 32
DEPTH_SCALE = 0.1
K = [572.4114, 0.0, 325.2611, 0.0, 573.57043, 242.04899, 0.0, 0.0, 1.0]   # LM's camera
BOXES = {1: ([-37.9, -38.7, -45.9], [75.8, 77.4, 91.8]),
         2: ([-50.0, -40.0, -30.0], [100.0, 80.0, 60.0])}
# 180 deg about z, then 12 mm along z (flattened 4x4, translation in mm as in BOP)
FLIP_Z = [-1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 12.0, 0.0, 0.0, 0.0, 1.0]
# scene_id -> per image, the obj_id of each gt instance (scene 3 stores grayscale images)
SCENES = {1: [[1, 2], [2, 1, 1], [2]], 3: [[1], [1, 2], [1]]}


def write_cube_ply(path, low, size):
    """Binary PLY of a box in mm with per-vertex colours, as BOP ships its models."""
    bits = (np.arange(8)[:, None] >> np.arange(3)) & 1
    xyz = np.asarray(low) + bits * np.asarray(size)
    vertex = np.array([(*p, 30 * i, 255 - 30 * i, 100) for i, p in enumerate(xyz)],
                      dtype=[('x', 'f4'), ('y', 'f4'), ('z', 'f4'), ('red', 'u1'),
                             ('green', 'u1'), ('blue', 'u1')])
    quads = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    tris = [(q[0], q[1], q[2]) for q in quads] + [(q[0], q[2], q[3]) for q in quads]
    face = np.array([(list(t),) for t in tris], dtype=[('vertex_indices', 'i4', (3,))])
    PlyData([PlyElement.describe(vertex, 'vertex'), PlyElement.describe(face, 'face')]).write(
        str(path))


def write_models(root):
    models = root / 'models'
    models.mkdir(parents=True)
    info = {}
    for obj_id, (low, size) in BOXES.items():
        write_cube_ply(models / f'obj_{obj_id:06d}.ply', low, size)
        entry = {'diameter': float(np.linalg.norm(size))}
        entry.update({f'min_{a}': v for a, v in zip('xyz', low)})
        entry.update({f'size_{a}': v for a, v in zip('xyz', size)})
        info[str(obj_id)] = entry
    info['2']['symmetries_discrete'] = [FLIP_Z]
    (models / 'models_info.json').write_text(json.dumps(info))


def pose(rng):
    rotation, _ = cv2.Rodrigues(rng.normal(size=3))
    return rotation.reshape(-1).tolist(), rng.uniform([-100, -100, 500], [100, 100, 900]).tolist()


def write_scene(folder, scene_id, images, rng):
    """One scene folder; scene 3 is grayscale, without gt_info, depth of image 2, masks of 2."""
    gray = scene_id == 3
    for sub in ('gray' if gray else 'rgb', 'depth', 'mask_visib'):
        (folder / sub).mkdir(parents=True)
    cameras, gts, infos, truth = {}, {}, {}, {}
    for im_id, objects in enumerate(images):
        cameras[str(im_id)] = {'cam_K': K, 'depth_scale': DEPTH_SCALE}
        gts[str(im_id)], infos[str(im_id)] = [], []
        colour = rng.integers(0, 256, (H, W) if gray else (H, W, 3), dtype=np.uint8)
        depth = rng.integers(0, 20000, (H, W), dtype=np.uint16)
        truth[im_id] = {'rgb': colour, 'depth': depth}
        cv2.imwrite(str(folder / ('gray' if gray else 'rgb') / f'{im_id:06d}.png'),
                    colour if gray else colour[:, :, ::-1])
        if not (gray and im_id == 2):
            cv2.imwrite(str(folder / 'depth' / f'{im_id:06d}.png'), depth)
        for gt_index, obj_id in enumerate(objects):
            R, t = pose(rng)
            gts[str(im_id)].append({'cam_R_m2c': R, 'cam_t_m2c': t, 'obj_id': obj_id})
            mask = rng.random((H, W)) < 0.3
            infos[str(im_id)].append({'bbox_obj': [1, 2, 10, 12], 'bbox_visib': [1, 2, 10, 12],
                                      'px_count_all': 130, 'px_count_valid': 120,
                                      'px_count_visib': int(mask.sum()),
                                      'visib_fract': 0.25 * (gt_index + 1)})
            truth[(im_id, gt_index)] = {'R': R, 't': t, 'mask': mask}
            if not (gray and im_id == 2):
                cv2.imwrite(str(folder / 'mask_visib' / f'{im_id:06d}_{gt_index:06d}.png'),
                            mask.astype(np.uint8) * 255)
    for name, data in (('scene_camera', cameras), ('scene_gt', gts), ('scene_gt_info', infos)):
        if not (gray and name == 'scene_gt_info'):
            (folder / f'{name}.json').write_text(json.dumps(data, indent=2))
    return truth


@pytest.fixture
def bop_root(tmp_path):
    root = tmp_path / 'lmo'
    write_models(root)
    rng = np.random.default_rng(0)
    truth = {scene_id: write_scene(root / 'test' / f'{scene_id:06d}', scene_id, images, rng)
             for scene_id, images in SCENES.items()}
    targets = [{'im_id': 1, 'inst_count': 2, 'obj_id': 1, 'scene_id': 1},
               {'im_id': 1, 'inst_count': 1, 'obj_id': 2, 'scene_id': 1},
               {'im_id': 2, 'inst_count': 1, 'obj_id': 1, 'scene_id': 3}]
    (root / 'test_targets_bop19.json').write_text(json.dumps(targets))
    return root, truth


def test_models_info_in_metres_with_symmetry_and_corners(bop_root):
    root, _ = bop_root
    infos = load_models_info(root)
    assert sorted(infos) == [1, 2]
    assert not infos[1].symmetric and infos[2].symmetric
    assert infos[1].diameter_m == pytest.approx(np.linalg.norm(BOXES[1][1]) / 1000.0)
    np.testing.assert_array_equal(infos[2].bbox_min_m, np.array(BOXES[2][0]) / 1000.0)
    np.testing.assert_array_equal(infos[2].symmetries_discrete[0][:3, 3], [0.0, 0.0, 0.012])
    corners = bbox_corners(infos[1])
    low, size = np.array(BOXES[1][0]) / 1000.0, np.array(BOXES[1][1]) / 1000.0
    assert corners.shape == (8, 3) and corners.dtype == np.float64
    np.testing.assert_allclose(corners[0], low)
    np.testing.assert_allclose(corners[7], low + size)
    np.testing.assert_allclose(corners[1], low + [size[0], 0, 0])      # x varies fastest
    np.testing.assert_allclose(corners[4], low + [0, 0, size[2]])
    mesh = load_mesh(infos[1].mesh_path, units='mm')                    # the PLY agrees
    np.testing.assert_allclose(mesh.corners(), corners, atol=1e-6)
    assert mesh.colors.std() > 0                                        # vertex colours read


def test_records_poses_depth_masks(bop_root):
    root, truth = bop_root
    source = BopSource(root, 'test', 1)
    assert len(source) == 6
    records = list(source.records())
    keys = [(r['scene_id'], r['im_id'], r['gt_index']) for r in records]
    assert keys == [(1, 0, 0), (1, 1, 1), (1, 1, 2), (3, 0, 0), (3, 1, 0), (3, 2, 0)]
    for record in records:
        scene = truth[record['scene_id']]
        gt = scene[(record['im_id'], record['gt_index'])]
        np.testing.assert_array_equal(record['K'], np.array(K).reshape(3, 3))
        np.testing.assert_array_equal(record['R'], np.array(gt['R']).reshape(3, 3))
        np.testing.assert_array_equal(record['t'], np.array(gt['t']) / 1000.0)
        assert record['rgb'].shape == (H, W, 3) and record['rgb'].dtype == np.uint8
        assert record['K'].dtype == record['R'].dtype == record['t'].dtype == np.float64
    first = records[0]
    np.testing.assert_array_equal(first['rgb'], truth[1][0]['rgb'])         # RGB order
    assert first['depth_m'].dtype == np.float32 and first['depth_m'].shape == (H, W)
    np.testing.assert_allclose(first['depth_m'], truth[1][0]['depth'] * 1e-4, rtol=1e-6)
    np.testing.assert_array_equal(first['mask'], truth[1][(0, 0)]['mask'])
    assert first['visib_fract'] == 0.25 and records[2]['visib_fract'] == 0.75


def test_grayscale_scene_without_depth_mask_or_info(bop_root):
    root, truth = bop_root
    records = list(BopSource(root, 'test', 1, scene_ids=[3]).records())
    assert len(records) == 3
    gray = truth[3][0]['rgb']
    np.testing.assert_array_equal(records[0]['rgb'], np.repeat(gray[:, :, None], 3, axis=2))
    assert records[0]['visib_fract'] is None and records[0]['mask'] is not None
    assert records[2]['depth_m'] is None and records[2]['mask'] is None


def test_targets_and_max_frames(bop_root):
    root, _ = bop_root
    source = BopSource(root, 'test', 1, targets_file='test_targets_bop19.json')
    assert [(e['scene_id'], e['im_id'], e['gt_index']) for e in source.entries] == [
        (1, 1, 1), (1, 1, 2), (3, 2, 0)]
    assert len(BopSource(root, 'test', 2)) == 4
    assert len(BopSource(root, 'test', 1, max_frames=4)) == 4


def test_missing_and_malformed_files(bop_root):
    root, _ = bop_root
    os.remove(root / 'test' / '000003' / 'scene_gt.json')
    with pytest.raises(BopError, match=r'000003/scene_gt\.json: file not found') as error:
        BopSource(root, 'test', 1)
    assert '\n' not in str(error.value)
    assert len(BopSource(root, 'test', 1, scene_ids=[1])) == 3
    path = root / 'test' / '000001' / 'scene_camera.json'
    cameras = json.loads(path.read_text())
    cameras['1']['cam_K'] = K[:8]
    path.write_text(json.dumps(cameras))
    with pytest.raises(BopError, match=r'scene_camera\.json: image 1 cam_K must be 9'):
        BopSource(root, 'test', 1, scene_ids=[1])
    with pytest.raises(BopError, match='000002: scene folder not found'):
        BopSource(root, 'test', 1, scene_ids=[2])
    with pytest.raises(BopError, match='split folder not found'):
        BopSource(root, 'train', 1)
    with pytest.raises(BopError, match='models_info.json: file not found'):
        load_models_info(root / 'nothing')


@pytest.mark.integration
def test_cli(bop_root, capsys):
    root, _ = bop_root
    assert main(['--root', str(root / 'nothing'), '--obj-id', '1']) == 2
    err = capsys.readouterr().err
    assert err.startswith('training.object.bop: ') and err.count('\n') == 1
    result = subprocess.run([sys.executable, '-m', 'training.object.bop', '--root', str(root),
                             '--split', 'test', '--obj-id', '2'], capture_output=True,
                            text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert '4 instances' in result.stdout and 'diameter 0.1414 m' in result.stdout
