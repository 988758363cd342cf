# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The comparison table: rows for the methods run, ratios to FM; --methods, --config checked."""

import os

import pytest
from test_lint import REPO

from training.compare import main, results_table


def hand_result(error, within40):
    return {'mean_joint_error_mm': error,
            'within_curve': {'thresholds_mm': [20, 40, 60], 'fraction': [0.0, within40, 1.0]}}


def test_table_has_a_row_per_method_run_and_ratios_to_fm():
    results = {'synthetic': hand_result(30.0, 0.5), 'fm': hand_result(20.0, 0.75)}
    table = results_table(results, 'python -m training.compare --methods fm,synthetic')
    lines = table.splitlines()
    assert lines[0] == 'Command: `python -m training.compare --methods fm,synthetic`'
    assert lines[-2] == '| synthetic only | 30.00 | 50.0 % | 1.50 |'
    assert lines[-1] == '| feature mapping | 20.00 | 75.0 % | 1.00 |'
    assert not any('real only' in line for line in lines)


@pytest.mark.parametrize('methods', ['synthetic,real', 'fm,exemplar', 'fm,dope'])
def test_methods_must_include_fm_and_known_names(methods, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(['--methods', methods])
    assert exit_info.value.code == 2
    assert '--methods' in capsys.readouterr().err


def test_a_recipe_of_steps_is_refused_in_one_line(capsys):
    recipe = os.path.join(REPO, 'training', 'configs', 'recipes', 'hand_fm.yaml')
    assert main(['--config', recipe, '--out', 'unused']) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and 'a recipe of steps' in err and 'hand_fm.yaml' in err
