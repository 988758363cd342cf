# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The installed ``object_node`` executable as a separate process: start-up failures."""

import subprocess

from conftest import console_script
import pytest


EXECUTABLE = console_script('object_node')
pytestmark = [pytest.mark.integration,  # DDS, subprocesses or colcon
              pytest.mark.skipif(EXECUTABLE is None, reason='package not installed (pip -e .)')]


def test_missing_weights_exit_non_zero_with_one_line(tmp_path):
    node = subprocess.Popen(
        [EXECUTABLE, '--ros-args', '-p', f"weights:={tmp_path / 'missing.safetensors'}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = node.communicate(timeout=60)[0]
    assert node.returncode == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and 'weights file not found' in lines[0], output
    assert 'object_node' in lines[0], output
