# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""locator_boxes: box errors against the true box; a tiny run writes a row per split."""

import numpy as np
import pytest

from fm_pose_ros.core.object_codec import box_around, ObjectCropSettings, project_points
from training.tools.locator_boxes import box_errors, main


class _Mesh:
    def corners(self):
        return np.array([[x, y, z] for x in (-.05, .05) for y in (-.05, .05) for z in (-.05, .05)])


class _Locator:
    """Answers the given boxes (None: nothing found), one per frame."""

    def __init__(self, answers):
        self.answers = iter(answers)

    def locate(self, rgb):
        return next(self.answers)


def _frame(t):
    K = np.array([[500.0, 0, 320], [0, 500.0, 240], [0, 0, 1]])
    return {'rgb': None, 'R': np.eye(3), 't': np.array(t), 'K': K}


def test_the_true_box_scores_one_and_zero_and_a_missing_box_is_a_miss():
    settings, mesh = ObjectCropSettings(), _Mesh()
    frames = [_frame([0.0, 0.0, 0.6]), _frame([0.05, 0.0, 0.7]), _frame([0.0, 0.0, 0.5])]
    true = [box_around(project_points(mesh.corners(), f['R'], f['t'], f['K']), settings,
                       settings.mask_margin) for f in frames]
    wide = type(true[1])(true[1].centre + [0.5 * true[1].side, 0.0], 2.0 * true[1].side,
                         true[1].crop_size)
    ratios, offsets, misses = box_errors(_Locator([true[0], wide, None]), mesh, settings,
                                         frames)
    np.testing.assert_allclose(ratios, [1.0, 2.0])
    np.testing.assert_allclose(offsets, [0.0, 0.5])
    assert misses == 1


def test_a_tiny_run_writes_a_row_per_background_and_split(tmp_path):
    pytest.importorskip('moderngl')
    config = tmp_path / 'tiny.yaml'
    config.write_text('task: object\n')
    sets = ['data.num_real_train=8', 'data.num_real_test=3', 'data.num_real_val=2',
            'object.locator_steps=2', 'object.locator_batch=4', 'threads=1',
            f'data.cache_dir={tmp_path / "cache"}']
    out = tmp_path / 'boxes.md'
    try:
        code = main(['--config', str(config), '--out', str(out)] +
                    [item for s in sets for item in ('--set', s)])
    except Exception as exc:  # moderngl present but no EGL
        if 'EGL' in str(exc) or 'context' in str(exc).lower():
            pytest.skip(f'no headless OpenGL: {exc}')
        raise
    assert code == 0
    rows = [line for line in out.read_text().splitlines() if line.startswith('| smooth')
            or line.startswith('| varied')]
    assert [r.split(' | ')[1:3] for r in rows] == [['val', '2'], ['test', '3'], ['val', '2'],
                                                   ['test', '3']]


def test_a_hand_config_is_a_one_line_error(tmp_path, capsys):
    config = tmp_path / 'hand.yaml'
    config.write_text('task: hand\n')
    assert main(['--config', str(config), '--out', str(tmp_path / 'x.md')]) == 2
    err = capsys.readouterr().err
    assert err.startswith('training.tools.locator_boxes: ') and err.count('\n') == 1
    assert not (tmp_path / 'x.md').exists()
