# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The installed ``hand_node`` executable as a separate process: remaps, params file, exits."""

import os

from conftest import blob_frame
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from ros_probe import Probe, spin_until
from test_lint import REPO

from fm_pose_ros.evaluation.node_process import console_script, NodeProcess

EXECUTABLE = console_script('hand_node')
pytestmark = [pytest.mark.integration,  # DDS, subprocesses or colcon
              pytest.mark.skipif(EXECUTABLE is None, reason='package not installed (pip -e .)')]


def test_node_process_serves_remapped_topics(weights_path):
    node = NodeProcess('hand', ['--params-file', os.path.join(REPO, 'config', 'hand.yaml'),
                                '-p', f'weights:={weights_path}',
                                '-r', 'depth/image:=/cam/depth/image_rect_raw',
                                '-r', 'depth/camera_info:=/cam/depth/camera_info'])
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
        stats = node.stop(timeout=20.0)
    assert node.returncode == 0, node.output
    assert 'UNTRAINED' in node.output
    assert stats['frames_out'] >= 1, node.output


def test_missing_weights_exit_non_zero_with_one_line(tmp_path):
    with NodeProcess('hand', ['-p', f"weights:={tmp_path / 'missing.safetensors'}"]) as node:
        assert node.wait(timeout=60) == 1, node.output
    assert len(node.lines) == 1 and 'weights file not found' in node.lines[0], node.output
