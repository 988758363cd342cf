# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The installed ``hand_node`` executable as a separate process: remaps, params file, exits."""

import os

from conftest import blob_frame
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from ros_probe import Probe, spin_until
from safetensors.torch import save_file
from test_lint import REPO
import torch

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


@pytest.mark.parametrize('text, words', [
    ('[' * 100_000 + ']' * 100_000, 'nests 100000 levels deep'),
    ('{"format": "fm_pose_ros.weights", "x": ' + '9' * 5000 + '}', 'not valid JSON')])
def test_hostile_weights_metadata_exit_non_zero_with_one_line(tmp_path, text, words):
    weights = tmp_path / 'hostile.safetensors'
    save_file({'w': torch.zeros(2)}, weights, metadata={'fm_pose_ros': text})
    with NodeProcess('hand', ['-p', f'weights:={weights}']) as node:
        assert node.wait(timeout=60) == 1, node.output
    assert len(node.lines) == 1, node.output
    assert 'hostile.safetensors' in node.lines[0] and words in node.lines[0], node.output


@pytest.mark.parametrize('publisher_first', [True, False])
def test_auto_qos_answers_the_first_frame_of_a_reliable_camera(weights_path, publisher_first):
    """CameraInfo and one image sent as soon as the reliable publishers see the node."""
    args = ['-p', f'weights:={weights_path}', '-p', 'device:=cpu',
            '-r', 'depth/image:=/first/depth', '-r', 'depth/camera_info:=/first/info']
    rclpy.init()
    node = None if publisher_first else NodeProcess('hand', args)
    probe = Probe('/first/depth', '/first/info')  # reliable publishers
    executor = SingleThreadedExecutor()
    executor.add_node(probe)
    try:
        if node is None:
            spin_until(executor, lambda: False, 0.5)
            node = NodeProcess('hand', args)
        else:
            assert node.wait_started(60.0), node.output
        assert spin_until(executor, lambda: probe.image_pub.get_subscription_count() > 0
                          and probe.info_pub.get_subscription_count() > 0, 60), node.output
        depth, K, _ = blob_frame()
        probe.send_info(K, 640, 480, 7)
        probe.send_depth(depth, 7)
        assert spin_until(executor, lambda: probe.joints, 10.0), node.output
        assert probe.stamps_out() == [7]
    finally:
        executor.shutdown()
        probe.destroy_node()
        rclpy.shutdown()
        if node is not None:
            node.close()
