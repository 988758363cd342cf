# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The installed ``object_node`` executable as a separate process: start-up failures."""

import pytest

from fm_pose_ros.evaluation.node_process import console_script, NodeProcess

EXECUTABLE = console_script('object_node')
pytestmark = [pytest.mark.integration,  # DDS, subprocesses or colcon
              pytest.mark.skipif(EXECUTABLE is None, reason='package not installed (pip -e .)')]


def test_missing_weights_exit_non_zero_with_one_line(tmp_path):
    with NodeProcess('object', ['-p', f"weights:={tmp_path / 'missing.safetensors'}"]) as node:
        assert node.wait(timeout=60) == 1, node.output
    lines = node.lines
    assert len(lines) == 1 and 'weights file not found' in lines[0], node.output
    assert 'object_node' in lines[0], node.output
