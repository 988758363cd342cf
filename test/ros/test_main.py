# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""fm_pose_ros/ros/main.py: the console scripts refuse an old torch before importing it."""

import os
import subprocess

import pytest
from test_lint import REPO

from fm_pose_ros.evaluation.node_process import console_script

pytestmark = pytest.mark.integration  # DDS, subprocesses or colcon


@pytest.mark.parametrize('task', ['hand', 'object'])
def test_torch_1_13_ends_start_up_in_one_line_before_torch_is_imported(task, tmp_path):
    executable = console_script(f'{task}_node')
    if executable is None:
        pytest.skip('package not installed (pip -e .)')
    # a torch 1.13 as rosdep installs it on Debian bookworm: metadata, and a module that
    # must not be imported (importing it would print its own line)
    (tmp_path / 'torch').mkdir()
    (tmp_path / 'torch' / '__init__.py').write_text("raise SystemExit('torch imported')\n")
    info = tmp_path / 'torch-1.13.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: torch\nVersion: 1.13.0\n')
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(
        [str(tmp_path), REPO, os.environ.get('PYTHONPATH', '')])}
    result = subprocess.run([executable], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ''
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f'[FATAL] [{task}_node]: torch 1.13.0 is installed')
    assert "pip install 'torch>=2.2'" in lines[0]
