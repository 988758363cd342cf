# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The real hand node under faults: overflowing weights publish nothing, fuzzed input is survived.

In-process nodes over real DDS. Weights whose outputs overflow to inf must never reach
``/hand_joints``; a few hundred seeded malformed Image / CameraInfo messages must leave the
node alive and answering the next good frame with a finite pose.
"""

from conftest import blob_frame
import numpy as np
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from ros_probe import header, Probe, send_and_wait, spin_until
from sensor_msgs.msg import CameraInfo, Image
import torch

from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.networks import FeatureMappingNet, HAND_NET
from fm_pose_ros.core.weights import hand_metadata, save_weights
from fm_pose_ros.ros.hand_messages import pose_array_to_joints
from fm_pose_ros.ros.hand_node import HandNode

pytestmark = pytest.mark.integration  # DDS

FUZZ_MESSAGES = 300
ENCODINGS = ('16UC1', '32FC1', 'mono16', 'mono8', 'bgr8', 'rgba8', '', 'unknown', '16SC1')


def write_overflowing_hand(path):
    """Real hand weights, every tensor finite, whose outputs overflow to inf."""
    torch.manual_seed(0)
    model = FeatureMappingNet(HAND_NET)
    with torch.no_grad():
        model.h.weight.fill_(3e38)
        model.h.bias.fill_(3e38)
    save_weights(path, model, hand_metadata(HAND_NET, HandCropSettings(), trained=False),
                 dtype=torch.float32)
    return str(path)


def start(weights):
    node = HandNode(parameter_overrides=[Parameter('weights', value=str(weights)),
                                         Parameter('stats_period_s', value=0.0)])
    probe = Probe()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    executor.add_node(probe)
    assert spin_until(executor, lambda: probe.image_pub.get_subscription_count() > 0)
    assert spin_until(executor, lambda: node.joints_pub.get_subscription_count() > 0)
    return node, probe, executor


def stop(node, probe, executor):
    executor.shutdown()
    probe.destroy_node()
    node.destroy_node()


def all_finite(pose_arrays):
    return all(np.isfinite(pose_array_to_joints(m)).all() for m in pose_arrays)


def test_overflowing_weights_publish_no_pose(ros, tmp_path):
    rig = start(write_overflowing_hand(tmp_path / 'overflow.safetensors'))
    node, probe, executor = rig
    try:
        depth, K, _ = blob_frame()
        probe.send_info(K, 640, 480)
        assert spin_until(executor, lambda: node.camera_K is not None)
        for stamp in (11, 12, 13):
            send_and_wait(rig, lambda p, s=stamp: p.send_depth(depth, s), counter='non_finite')
        assert probe.joints == [] and node.worker.stats.summary().get('frames_out', 0) == 0
    finally:
        stop(*rig)


def random_image(rng, stamp):
    """One malformed (or odd) Image: wrong encodings, sizes, steps, truncated data."""
    height, width = (int(v) for v in rng.choice([0, 1, 3, 48, 480, 2**31 - 1], 2))
    encoding = str(rng.choice(ENCODINGS))
    step = int(rng.choice([0, width, 2 * width, 4 * width + 1, 2**32 - 1]))
    size = int(rng.choice([0, 1, 17, 48 * 64 * 2, 640 * 480 * 2]))
    data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    return Image(header=header(stamp), height=height % 2**32, width=width % 2**32,
                 encoding=encoding, is_bigendian=int(rng.integers(0, 2)), step=step % 2**32,
                 data=data)


def random_info(rng):
    """One malformed CameraInfo: NaN, inf, zero or negative K; zero or huge sizes."""
    K = rng.normal(300.0, 200.0, 9)
    K[rng.integers(0, 9, 2)] = rng.choice([np.nan, np.inf, 0.0, -1.0])
    info = CameraInfo(header=header(1), height=int(rng.choice([0, 480, 2**31])),
                      width=int(rng.choice([0, 640, 2**31])))
    info.k = [float(v) for v in K]
    return info


def test_fuzzed_inputs_leave_the_node_answering(ros, weights_path):
    rig = start(weights_path)
    node, probe, executor = rig
    rng = np.random.default_rng(1234)
    try:
        for i in range(FUZZ_MESSAGES):
            if rng.random() < 0.2:
                probe.info_pub.publish(random_info(rng))
            probe.image_pub.publish(random_image(rng, 1000 + i))
            executor.spin_once(timeout_sec=0.01)
        depth, K, _ = blob_frame()
        probe.send_info(K, 640, 480)
        assert spin_until(executor, lambda: node.camera_K is not None
                          and np.allclose(node.camera_K[0], K))
        stamp = 7_000_000_000
        send_and_wait(rig, lambda p: p.send_depth(depth, stamp), stamp=stamp)
        summary = node.worker.stats.summary()
        assert node.worker._thread.is_alive()
        assert summary.get('bad_image', 0) > 0 and summary.get('bad_camera_info', 0) > 0
        assert summary.get('errors', 0) == 0, summary
        assert all_finite(probe.joints) and len(probe.joints[-1].poses) == 14
    finally:
        stop(*rig)
