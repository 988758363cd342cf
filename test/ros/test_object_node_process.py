# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The installed ``object_node`` executable as a separate process: start-up failures."""

from conftest import write_object_weights
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


def test_two_objects_of_one_name_exit_non_zero_with_one_line(tmp_path):
    mug, again = (write_object_weights(tmp_path / f'{stem}.safetensors', name=name)
                  for stem, name in (('mug', 'Mug'), ('again', 'MUG')))
    with NodeProcess('object', ['-p', f'weights:=[{mug}, {again}]']) as node:
        assert node.wait(timeout=60) == 1, node.output
    lines = node.lines
    assert len(lines) == 1 and 'object_node' in lines[0], node.output
    assert f"{mug} and {again} both hold an object named 'mug'" in lines[0], node.output
