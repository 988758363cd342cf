# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The installed ``hand_node`` executable as a separate process: remaps, params file, exits."""

import os
import signal
import subprocess

from conftest import blob_frame, console_script
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from ros_probe import Probe, spin_until
from safetensors.torch import save_file
from test_lint import REPO
import torch

EXECUTABLE = console_script('hand_node')
pytestmark = [pytest.mark.integration,  # DDS, subprocesses or colcon
              pytest.mark.skipif(EXECUTABLE is None, reason='package not installed (pip -e .)')]


def start_node(*ros_args):
    return subprocess.Popen([EXECUTABLE, '--ros-args', *ros_args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_node_process_serves_remapped_topics(weights_path):
    node = start_node('--params-file', os.path.join(REPO, 'config', 'hand.yaml'),
                      '-p', f'weights:={weights_path}',
                      '-r', 'depth/image:=/cam/depth/image_rect_raw',
                      '-r', 'depth/camera_info:=/cam/depth/camera_info')
    rclpy.init()
    probe = Probe('/cam/depth/image_rect_raw', '/cam/depth/camera_info')
    executor = SingleThreadedExecutor()
    executor.add_node(probe)
    try:
        assert spin_until(executor, lambda: probe.image_pub.get_subscription_count() > 0
                          and probe.count_publishers('/hand_joints') > 0, 30)
        depth, K, _ = blob_frame()
        for stamp in range(100, 130):
            probe.send_info(K, 640, 480, stamp)
            probe.send_depth(depth, stamp)
            if spin_until(executor, lambda: len(probe.joints) > 0, 1.0):
                break
        assert probe.joints and len(probe.joints[0].poses) == 14
    finally:
        executor.shutdown()
        probe.destroy_node()
        rclpy.shutdown()
        node.send_signal(signal.SIGINT)
        output = node.communicate(timeout=20)[0]
    assert node.returncode == 0, output
    assert 'UNTRAINED' in output


def test_missing_weights_exit_non_zero_with_one_line(tmp_path):
    node = start_node('-p', f"weights:={tmp_path / 'missing.safetensors'}")
    output = node.communicate(timeout=60)[0]
    assert node.returncode == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and 'weights file not found' in lines[0], output


@pytest.mark.parametrize('text, words', [
    ('[' * 100_000 + ']' * 100_000, 'nests 100000 levels deep'),
    ('{"format": "fm_pose_ros.weights", "x": ' + '9' * 5000 + '}', 'not valid JSON')])
def test_hostile_weights_metadata_exit_non_zero_with_one_line(tmp_path, text, words):
    weights = tmp_path / 'hostile.safetensors'
    save_file({'w': torch.zeros(2)}, weights, metadata={'fm_pose_ros': text})
    node = start_node('-p', f'weights:={weights}')
    output = node.communicate(timeout=60)[0]
    assert node.returncode == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and 'hostile.safetensors' in lines[0] and words in lines[0], output
