# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""colcon builds the package like a ROS 2 workspace: executables in lib/, files in share/."""

import os
import shutil
import subprocess
import sys

import pytest
from test_lint import REPO

from fm_pose_ros.evaluation.node_process import console_script

pytestmark = pytest.mark.integration  # DDS, subprocesses or colcon

COLCON = console_script('colcon')


@pytest.mark.skipif(COLCON is None, reason='colcon not installed')
def test_colcon_build_installs_ros_layout(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    shutil.copytree(REPO, src / 'fm_pose_ros', ignore=shutil.ignore_patterns(
        '.venv', '.git', 'build', 'install', 'log', 'runs', '__pycache__', '*.egg-info'))
    result = subprocess.run(
        [COLCON, 'build', '--base-paths', 'src', '--packages-select', 'fm_pose_ros'],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    prefix = tmp_path / 'install' / 'fm_pose_ros'
    for executable in ('hand_node', 'object_node'):
        assert os.access(prefix / 'lib' / 'fm_pose_ros' / executable, os.X_OK), executable
    share = prefix / 'share' / 'fm_pose_ros'
    for relative in ('package.xml', 'launch/hand.launch.py', 'config/hand.yaml',
                     'models/hand_fm.safetensors', 'launch/object.launch.py',
                     'config/object.yaml'):
        assert (share / relative).is_file(), relative
    index = prefix / 'share' / 'ament_index' / 'resource_index' / 'packages' / 'fm_pose_ros'
    assert index.is_file()
    # the installed package finds its shipped model through the ament index
    env = {**os.environ, 'AMENT_PREFIX_PATH': str(prefix)}
    site = next((prefix / 'lib').glob('python*/site-packages'))
    env['PYTHONPATH'] = f"{site}{os.pathsep}{env.get('PYTHONPATH', '')}"
    found = subprocess.run(
        [sys.executable, '-c', 'from fm_pose_ros.core import resources as r; '
         'print(r.default_hand_weights()); print(r.default_object_weights())'],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert found.stdout.split() == [str(share / 'models' / 'hand_fm.safetensors'),
                                    str(share / 'models' / 'object_fm.safetensors')], found.stderr
