# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The learning-curve tool: one tiny curve end to end, the table's ratios, bad --sizes."""

import json

from conftest import TINY_HAND as TINY
import pytest

from training.tools.learning_curve import main, parse_sizes, table


def report(error):
    return {'mean_joint_error_mm': error}


def test_table_has_a_row_per_size_and_fm_ratios():
    results = {300: {'synthetic': report(30.0), 'real': report(40.0), 'mix': report(20.0),
                     'fm': report(15.0)},
               100: {'synthetic': report(30.0), 'real': report(60.0), 'mix': report(25.0),
                     'fm': report(24.0)}}
    lines = table(results, 'hand', 'cmd').splitlines()
    assert lines[0] == 'Command: `cmd`'
    assert lines[-2] == '| 100 | 30.00 | 60.00 | 25.00 | 24.00 | 0.80 | 0.40 | 0.96 |'
    assert lines[-1] == '| 300 | 30.00 | 40.00 | 20.00 | 15.00 | 0.50 | 0.38 | 0.75 |'
    objects = {50: {m: {'proj2d_acc': acc} for m, acc in
                    (('synthetic', 0.1), ('real', 0.05), ('mix', 0.2), ('fm', 0.25))}}
    lines = table(objects, 'object', 'cmd').splitlines()
    assert '2D projection < 5 px (%)' in lines[2]
    assert lines[-1] == '| 50 | 10.00 | 5.00 | 20.00 | 25.00 | 2.50 | 5.00 | 1.25 |'
    objects[50]['real'] = {'proj2d_acc': 0.0}
    assert table(objects, 'object', 'cmd').splitlines()[-1] == (
        '| 50 | 10.00 | 0.00 | 20.00 | 25.00 | 2.50 | - | 1.25 |')


@pytest.mark.parametrize('text', ['', '100,x', '0,100'])
def test_bad_sizes_are_one_readable_error(text, capsys):
    with pytest.raises(ValueError, match='--sizes'):
        parse_sizes(text)
    assert main(['--sizes', text, '--table', 'unused.md']) == 2
    assert capsys.readouterr().err.startswith('learning_curve: --sizes')


def test_tiny_curve_trains_each_method_per_size_and_writes_table_json_plot(tmp_path):
    items = TINY + [f'data.cache_dir={tmp_path / "cache"}', 'optim.stage1_steps=2',
                    'optim.stage2_steps=2']
    sets = [arg for item in items for arg in ('--set', item)]
    out, doc = tmp_path / 'runs', tmp_path / 'docs' / 'curve.md'
    doc.parent.mkdir()
    assert main(sets + ['--sizes', '16,8', '--out', str(out), '--table', str(doc)]) == 0
    assert sorted(p.name for p in (out / 'n8').iterdir()) == ['fm', 'mix', 'real']
    assert sorted(p.name for p in (out / 'n16').iterdir()) == ['fm', 'mix', 'real', 'synthetic']
    results = json.loads((tmp_path / 'docs' / 'curve.json').read_text())
    assert sorted(results) == ['16', '8']
    for reports in results.values():
        assert sorted(reports) == ['fm', 'mix', 'real', 'synthetic']
        assert all(r['mean_joint_error_mm'] > 0 for r in reports.values())
    rows = doc.read_text().splitlines()[-2:]
    assert [row.split(' | ')[0] for row in rows] == ['| 8', '| 16']
    assert (tmp_path / 'docs' / 'curve.png').stat().st_size > 1000
