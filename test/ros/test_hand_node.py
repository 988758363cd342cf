# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Proof of life and bad input for the real hand node over real DDS (in-process executor)."""

import time

from conftest import blob_frame
import numpy as np
import pytest
from rclpy.parameter import Parameter
from ros_probe import (
    FRAME_ID, header, Probe, send_and_wait, spin_until, stamp_ns, start_rig, stop_rig)
from sensor_msgs.msg import Image

from fm_pose_ros.core.hand_joints import NUM_JOINTS
from fm_pose_ros.core.image_codec import fill_image
from fm_pose_ros.core.resources import default_hand_weights, default_object_weights
from fm_pose_ros.core.weights import WeightsError
from fm_pose_ros.ros.hand_messages import depth_image_msg, pose_array_to_joints
from fm_pose_ros.ros.hand_node import HandNode
from fm_pose_ros.ros.object_node import ObjectNode
from fm_pose_ros.ros.pose_node import THROTTLE_S

pytestmark = pytest.mark.integration  # DDS, subprocesses or colcon


def make_node(weights_path, **params):
    overrides = [Parameter('weights', value=str(weights_path)),
                 Parameter('stats_period_s', value=0.0)]
    overrides += [Parameter(name, value=value) for name, value in params.items()]
    return HandNode(parameter_overrides=overrides)


def test_empty_weights_parameter_loads_the_shipped_models(ros):
    # config/*.yaml ship weights: "" (the shipped model); each node has its own
    for node_class, shipped in ((HandNode, default_hand_weights),
                                (ObjectNode, default_object_weights)):
        node = node_class(parameter_overrides=[Parameter('weights', value=''),
                                               Parameter('stats_period_s', value=0.0)])
        try:
            assert node.weights_path == shipped() and node.estimator.trained
        finally:
            node.destroy_node()


@pytest.fixture
def rig(ros, weights_path):
    node = make_node(weights_path)
    probe = Probe(debug=True)
    rig = start_rig(node, probe, lambda: probe.image_pub.get_subscription_count() > 0,
                    lambda: node.joints_pub.get_subscription_count() > 0)
    yield rig
    stop_rig(rig)


def test_proof_of_life_pose_array(rig):
    node, probe, executor = rig
    depth, K, centre = blob_frame()
    probe.send_info(K, 640, 480)
    assert spin_until(executor, lambda: node.camera_K is not None)
    stamp = 1_700_000_000_123_456_789
    send_and_wait(rig, lambda p: p.send_depth(depth, stamp), stamp=stamp)
    msg = probe.joints[-1]
    assert msg.header.frame_id == FRAME_ID and stamp_ns(msg.header.stamp) == stamp
    assert len(msg.poses) == NUM_JOINTS
    joints = pose_array_to_joints(msg)
    # inside the 300 mm cube around the hand centre (positions are metres on the wire)
    assert np.all(np.abs(joints - centre) < 150.0 + 60.0)
    assert all(p.orientation.w == 1.0 for p in msg.poses)
    assert spin_until(executor, lambda: len(probe.markers) > 0 and len(probe.debug_images) > 0)
    debug = probe.debug_images[-1]
    assert debug.encoding == 'bgr8' and (debug.height, debug.width) == (480, 640)
    assert stamp_ns(debug.header.stamp) == stamp
    assert len(probe.markers[-1].markers[1].points) == 2 * 14


def test_a_first_image_that_overtakes_its_camera_info_is_answered(rig):
    node, probe, executor = rig
    depth, K, _ = blob_frame()
    probe.send_depth(depth, 55)                 # before any CameraInfo reached the node
    spin_until(executor, lambda: False, 0.1)
    probe.send_info(K, 640, 480, 55)
    assert spin_until(executor, lambda: 55 in probe.stamps_out())
    assert len(probe.joints[-1].poses) == NUM_JOINTS
    assert node.worker.stats.counts['no_camera_info'] == 0


def test_32fc1_with_nan_holes_still_works(rig):
    node, probe, executor = rig
    depth, K, _ = blob_frame()
    probe.send_info(K, 640, 480)
    assert spin_until(executor, lambda: node.camera_K is not None)
    depth[::7, ::5] = 0.0  # becomes NaN in 32FC1
    send_and_wait(rig, lambda p: p.send_depth(depth, 77, encoding='32FC1'), stamp=77)


def raw_image(array, encoding, stamp, **fields):
    msg = fill_image(Image(header=header(stamp)), array, encoding)
    for name, value in fields.items():
        setattr(msg, name, value)
    return msg


BAD_INPUTS = {
    'wrong encoding': (lambda d: raw_image(np.zeros((480, 640, 3), np.uint8), 'rgb8', 11),
                       'bad_image'),
    'step/size mismatch': (lambda d: raw_image(d.astype(np.uint16), '16UC1', 12, step=1000),
                           'bad_image'),
    'empty image': (lambda d: raw_image(np.zeros((0, 0), np.uint16), '16UC1', 13), 'bad_image'),
    'wrong size for CameraInfo': (
        lambda d: raw_image(d[:240, :320].astype(np.uint16), '16UC1', 14), 'bad_image'),
    'all-invalid depth': (lambda d: raw_image(np.zeros((480, 640), np.uint16), '16UC1', 15),
                          'no_hand'),
    'NaN and inf 32FC1': (lambda d: raw_image(
        np.where(np.arange(640) % 2, np.nan, np.inf)[None].repeat(480, 0).astype(np.float32),
        '32FC1', 16), 'no_hand'),
    'no hand, wall only': (lambda d: raw_image(np.full((480, 640), 3000, np.uint16), '16UC1',
                                               17), 'no_hand'),
}


@pytest.mark.parametrize('case', sorted(BAD_INPUTS))
def test_bad_image_is_skipped_and_next_good_frame_served(rig, case):
    node, probe, executor = rig
    depth, K, _ = blob_frame()
    probe.send_info(K, 640, 480)
    assert spin_until(executor, lambda: node.camera_K is not None)
    build, counter = BAD_INPUTS[case]
    bad = build(depth)
    send_and_wait(rig, lambda p: p.image_pub.publish(bad), counter=counter)
    stamp = stamp_ns(bad.header.stamp)
    if counter == 'no_hand':  # processed, nothing found: an empty PoseArray, frame's header
        assert spin_until(executor, lambda: stamp in probe.stamps_out())
        answer = next(m for m in probe.joints if stamp_ns(m.header.stamp) == stamp)
        assert answer.poses == [] and answer.header.frame_id == FRAME_ID
    else:
        assert stamp not in probe.stamps_out()
    send_and_wait(rig, lambda p: p.send_depth(depth, 1000), stamp=1000)


def test_no_camera_info_and_zero_K(rig):
    node, probe, executor = rig
    depth, K, _ = blob_frame()
    send_and_wait(rig, lambda p: p.send_depth(depth, 21), counter='no_camera_info')
    send_and_wait(rig, lambda p: p.send_info(np.zeros((3, 3)), 640, 480),
                  counter='bad_camera_info')
    send_and_wait(rig, lambda p: p.send_depth(depth, 22), counter='no_camera_info')
    assert probe.stamps_out() == []
    probe.send_info(K, 640, 480)
    assert spin_until(executor, lambda: node.camera_K is not None)
    send_and_wait(rig, lambda p: p.send_depth(depth, 23), stamp=23)


IMPLAUSIBLE_K = {'fx 1e300': (0, 0, 1e300), 'fx 1e-300': (0, 0, 1e-300),
                 'cx 1e9': (0, 2, 1e9), 'cx -1e9': (0, 2, -1e9), 'K[2, 2] 0': (2, 2, 0.0)}


def implausible(K, case):
    row, col, value = IMPLAUSIBLE_K[case]
    K = K.copy()
    K[row, col] = value
    return K


def test_implausible_camera_info_is_counted_and_no_pose_published(rig, capfd):
    node, probe, executor = rig
    depth, K, _ = blob_frame()
    for case in IMPLAUSIBLE_K:
        send_and_wait(rig, lambda p, c=case: p.send_info(implausible(K, c), 640, 480),
                      counter='bad_camera_info')
    assert node.camera_K is None
    send_and_wait(rig, lambda p: p.send_depth(depth, 31), counter='no_camera_info')
    # without a size in the CameraInfo, the frame's size is what K is checked against
    probe.send_info(implausible(K, 'fx 1e300'), 0, 0)
    assert spin_until(executor, lambda: node.camera_K is not None)
    send_and_wait(rig, lambda p: p.send_depth(depth, 32), counter='bad_camera_info')
    assert probe.stamps_out() == []
    probe.send_info(K, 640, 480)
    assert spin_until(executor, lambda: node.camera_K is not None and node.camera_K[1] == 640)
    send_and_wait(rig, lambda p: p.send_depth(depth, 33), stamp=33)
    err = capfd.readouterr().err
    assert 'CameraInfo ignored' in err and 'RuntimeWarning' not in err


def test_strings_from_messages_are_logged_escaped(rig, capfd):
    depth, K, _ = blob_frame()
    rig[1].send_info(K, 640, 480)
    assert spin_until(rig[2], lambda: rig[0].camera_K is not None)
    hostile = depth_image_msg(depth, header(51), '16UC1')
    hostile.encoding = '16UC1\x1b[2J\n[FATAL] [hand_node]: forged'
    time.sleep(THROTTLE_S)  # an earlier test's skip may hold this log site's throttle
    send_and_wait(rig, lambda p: p.image_pub.publish(hostile), counter='bad_image')
    err = capfd.readouterr().err
    assert '\x1b' not in err and '\n[FATAL]' not in err
    assert "16UC1\\x1b[2J\\n[FATAL] [hand_node]: forged" in err


def test_runtime_parameter_checks(rig):
    node, _, _ = rig
    results = node.set_parameters([Parameter('depth_min_m', value=-1.0)])
    assert not results[0].successful and 'depth_min_m' in results[0].reason
    results = node.set_parameters([Parameter('depth_min_m', value=2.0)])
    assert not results[0].successful and 'smaller than depth_max_m' in results[0].reason
    results = node.set_parameters([Parameter('depth_max_m', value=1.2)])
    assert results[0].successful
    assert node.estimator.crop_settings.depth_max_mm == pytest.approx(1200.0)


@pytest.mark.parametrize('params, message', [
    ({'device': 'tpu'}, "'device' = 'tpu' must be one of"),
    ({'qos_depth': 0}, "'qos_depth' = 0 must be in"),
    ({'backend': 'tensorrt'}, "'backend' = 'tensorrt' must be one of"),
    ({'threads': 'two'}, "'threads'.*expecting type 'INTEGER'"),
])
def test_bad_parameters_fail_at_start_with_a_clear_message(ros, weights_path, params, message):
    with pytest.raises(ValueError, match=message):
        make_node(weights_path, **params)


def test_corrupt_weights_fail_at_start(ros, tmp_path):
    bad = tmp_path / 'bad.safetensors'
    bad.write_bytes(b'not a model')
    with pytest.raises(WeightsError, match='not a readable safetensors'):
        make_node(bad)
