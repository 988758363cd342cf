# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The GPU check: one line and status 0 without CUDA; its arguments, overrides and table."""

import os
import subprocess
import sys

import pytest
from test_lint import REPO

from benchmarks.gpu_check import (
    crops_in_steps, DEFAULT_OUT, parse_args, table_markdown, training_overrides)
from training.config import load_config, recipe_steps, RECIPES
from training.train import stage_plan


@pytest.mark.integration  # a subprocess
def test_without_cuda_one_line_and_status_0(tmp_path):
    # CUDA_VISIBLE_DEVICES='' hides any GPU from torch: this path runs on every machine
    env = {**os.environ, 'CUDA_VISIBLE_DEVICES': '', 'PYTHONPATH': REPO}
    out = tmp_path / 'table.md'
    result = subprocess.run([sys.executable, '-m', 'benchmarks.gpu_check', '--out', str(out)],
                            capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith('gpu_check: no CUDA device visible to torch')
    assert lines[0].endswith('nothing checked, no table written')
    assert not out.exists()


def test_arguments():
    args = parse_args([])
    assert (args.frames, args.steps, args.device) == (90, 200, 'cuda')
    assert args.tasks == ['hand', 'object']
    assert args.out == DEFAULT_OUT and args.set == []
    args = parse_args(['--tasks', ' object ', '--device', 'cpu', '--out', 't.md',
                       '--set', 'optim.batch_size=4'])
    assert (args.tasks, args.device, args.out) == (['object'], 'cpu', 't.md')
    assert args.set == ['optim.batch_size=4']


@pytest.mark.parametrize('argv, text', [
    (['--tasks', 'hand,feet'], '--tasks takes hand and/or object, got feet'),
    (['--tasks', ','], '--tasks takes hand and/or object, got nothing'),
    (['--steps', '3'], '--steps must be at least 4'),
    (['--frames', '1'], '--frames must be at least 2'),
    (['--device', 'cpu'], '--device cpu (a rehearsal) needs --out'),
    (['--device', 'tpu'], "invalid choice: 'tpu'"),
    (['--set', 'optim.lr'], '--set takes KEY=VALUE, got optim.lr')])
def test_bad_arguments_exit_2_naming_the_problem(argv, text, capsys):
    with pytest.raises(SystemExit) as info:
        parse_args(argv)
    assert info.value.code == 2
    assert text in capsys.readouterr().err


def test_training_overrides_give_the_steps_and_device_and_load(tmp_path):
    args = parse_args(['--steps', '7', '--device', 'cpu', '--out', 't.md',
                       '--set', 'data.num_real_test=16'])
    for task in ('hand', 'object'):
        _, first_step = recipe_steps(RECIPES[task])[0]
        cfg = load_config(first_step, training_overrides(task, args, str(tmp_path)), task=task)
        assert (cfg.task, cfg.device) == (task, 'cpu')
        assert cfg.optim.stage1_steps + cfg.optim.stage2_steps == 7
        assert cfg.data.num_real_test == 16  # the command line's --set comes last
        assert cfg.out_dir == os.path.join(str(tmp_path), f'{task}_train')


def test_crops_in_steps_counts_the_streams_of_each_stage():
    cfg = load_config(None, ['optim.stage1_steps=3', 'optim.stage2_steps=5'])
    plan = stage_plan(cfg)  # fm: synthetic only, then synthetic + real + twin
    streams = [len(s[1]) for s in plan for _ in range(s[3], s[4])]
    for first, last in ((0, 8), (1, 7), (2, 4), (5, 5)):
        assert crops_in_steps(plan, 16, first, last) == 16 * sum(streams[first:last])


def test_table_has_a_row_per_task_and_aligned_columns():
    args = parse_args(['--tasks', 'hand', '--device', 'cpu', '--out', 't.md'])
    sections = {'nodes': [['hand', '3 / 3', '1 / 2', '3 / 4', '40.0', 'error 5 mm']],
                'networks': [['hand', '96x96 x 1', '1.00', '1,000', '9,000']],
                'training': [['hand', 'failed: ValueError: no']]}
    text = table_markdown(args, sections, ['--tasks', 'hand'])
    assert text.startswith('# GPU check\n\n`python -m benchmarks.gpu_check --tasks hand`')
    tables = [block.splitlines() for block in text.split('\n\n') if block.startswith('|')]
    assert len(tables) == 3
    for header, separator, *rows in tables:
        assert separator.count('---') == header.count(' | ') + 1
        assert len(rows) == 1 and rows[0].startswith('| hand |')
