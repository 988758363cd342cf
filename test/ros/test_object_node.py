# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Proof of life and bad input for the real object node over real DDS (in-process executor).

The weights are conftest.write_object_weights' real files with two layers set by hand so the
output is known: the locator sees the object everywhere (box = the whole image) and the
corner head always predicts the box corners of ``TRUE_R``, ``TRUE_T`` (``refine_steps`` 0 and
``test_rotation_deg`` 0, so that box is the only crop).
"""

from conftest import (
    K_VGA, OBJECT_NOWHERE, OBJECT_R as TRUE_R, OBJECT_SIZE as SIZE, OBJECT_T as TRUE_T,
    write_object_weights)
import cv2
import numpy as np
import pytest
from rclpy.parameter import Parameter
from ros_probe import (
    COLOR_FRAME_ID, header, ObjectProbe, send_and_wait, spin_until, stamp_ns, start_rig,
    stop_rig)
from sensor_msgs.msg import Image

from fm_pose_ros.core.image_codec import fill_image
from fm_pose_ros.core.object_estimator import ObjectEstimator
from fm_pose_ros.core.weights import WeightsError
from fm_pose_ros.ros.object_messages import (
    BOX_EDGES, COLOUR_ENCODINGS, image_to_rgb, pose_stamped, pose_stamped_to_pose, rgb_image_msg)
from fm_pose_ros.ros.object_node import ObjectNode

pytestmark = pytest.mark.integration  # DDS, subprocesses or colcon

TOLERANCE_M = 0.003


def make_node(weights_path, **params):
    params = {'weights': str(weights_path), 'stats_period_s': 0.0, 'refine_steps': 0,
              'test_rotation_deg': 0.0, 'device': 'cpu', **params}
    return ObjectNode(parameter_overrides=[Parameter(k, value=v) for k, v in params.items()])


def start_object_rig(weights_path):
    node, probe = make_node(weights_path), ObjectProbe(debug=True)
    return start_rig(node, probe, lambda: probe.image_pub.get_subscription_count() > 0,
                     lambda: node.pose_pub.get_subscription_count() > 0)


@pytest.fixture
def rig(ros, object_weights):
    started = start_object_rig(object_weights)
    yield started
    stop_rig(started)


def scene():
    """A textured ``(H, W, 3)`` uint8 RGB frame (the hand-set weights ignore its content)."""
    return np.random.default_rng(5).integers(0, 256, (*SIZE, 3), dtype=np.uint8)


def with_camera_info(rig):
    node, probe, executor = rig
    probe.send_info(K_VGA, SIZE[1], SIZE[0])
    assert spin_until(executor, lambda: node.camera_K is not None)


def test_proof_of_life_pose_stamped(rig, object_weights):
    node, probe, executor = rig
    with_camera_info(rig)
    rgb, stamp = scene(), 1_700_000_000_123_456_789
    send_and_wait(rig, lambda p: p.send_rgb(rgb, stamp), stamp=stamp)
    msg = probe.poses[-1]
    assert msg.header.frame_id == COLOR_FRAME_ID and stamp_ns(msg.header.stamp) == stamp
    q = msg.pose.orientation
    assert np.linalg.norm([q.x, q.y, q.z, q.w]) == pytest.approx(1.0, abs=1e-9)
    R, t = pose_stamped_to_pose(msg)
    direct = ObjectEstimator(object_weights, 'cpu', refine_steps=0).estimate(rgb, K_VGA)
    np.testing.assert_allclose(t, direct.t, atol=1e-6)
    np.testing.assert_allclose(R, direct.R, atol=1e-6)
    assert t[2] > 0 and np.all(np.abs(t - TRUE_T) < TOLERANCE_M), t
    assert np.degrees(np.arccos(np.clip((np.trace(R.T @ TRUE_R) - 1) / 2, -1, 1))) < 1.0
    assert spin_until(executor, lambda: probe.markers and probe.debug_images)
    box = probe.markers[-1].markers[0]
    assert len(box.points) == 2 * 12 and stamp_ns(box.header.stamp) == stamp
    debug = probe.debug_images[-1]
    assert debug.encoding == 'bgr8' and (debug.height, debug.width) == SIZE
    assert stamp_ns(debug.header.stamp) == stamp


def test_every_colour_encoding_is_served(rig):
    with_camera_info(rig)
    rgb = scene()
    for stamp, encoding in enumerate(('bgr8', 'mono8', 'rgba8', 'bgra8'), start=31):
        send_and_wait(rig, lambda p: p.send_rgb(rgb, stamp, encoding), stamp=stamp)


def raw_image(array, encoding, stamp):
    return fill_image(Image(header=header(stamp, COLOR_FRAME_ID)), array, encoding)


BAD_INPUTS = {
    'depth encoding': (lambda: raw_image(np.zeros(SIZE, np.uint16), '16UC1', 11),
                       'bad_image'),
    'wrong size for CameraInfo': (
        lambda: raw_image(np.zeros((240, 320, 3), np.uint8), 'rgb8', 12), 'bad_image'),
    'empty image': (lambda: raw_image(np.zeros((0, 0, 3), np.uint8), 'rgb8', 13),
                    'bad_image'),
}


@pytest.mark.parametrize('case', sorted(BAD_INPUTS))
def test_bad_image_is_skipped_and_next_good_frame_served(rig, case):
    node, probe, executor = rig
    with_camera_info(rig)
    build, counter = BAD_INPUTS[case]
    bad = build()
    send_and_wait(rig, lambda p: p.image_pub.publish(bad), counter=counter)
    assert stamp_ns(bad.header.stamp) not in probe.stamps_out()
    send_and_wait(rig, lambda p: p.send_rgb(scene(), 1000), stamp=1000)


def test_no_camera_info_and_zero_K(rig):
    node, probe, executor = rig
    send_and_wait(rig, lambda p: p.send_rgb(scene(), 21), counter='no_camera_info')
    send_and_wait(rig, lambda p: p.send_info(np.zeros((3, 3)), 640, 480),
                  counter='bad_camera_info')
    assert probe.stamps_out() == []
    with_camera_info(rig)
    send_and_wait(rig, lambda p: p.send_rgb(scene(), 23), stamp=23)


def test_no_object_publishes_only_the_not_found_signal(ros, tmp_path):
    rig = start_object_rig(write_object_weights(tmp_path / 'empty.safetensors', OBJECT_NOWHERE))
    try:
        with_camera_info(rig)
        send_and_wait(rig, lambda p: p.send_rgb(scene(), 41), counter='no_object')
        probe, executor = rig[1], rig[2]
        # object_pose/all: an empty PoseArray with the frame's header; no PoseStamped
        assert spin_until(executor, lambda: len(probe.all_poses) > 0)
        empty = probe.all_poses[-1]
        assert empty.poses == [] and stamp_ns(empty.header.stamp) == 41
        assert empty.header.frame_id == COLOR_FRAME_ID
        assert probe.stamps_out() == []
    finally:
        stop_rig(rig)


def test_found_object_is_also_on_all(rig):
    with_camera_info(rig)
    send_and_wait(rig, lambda p: p.send_rgb(scene(), 42), stamp=42)
    probe, executor = rig[1], rig[2]
    assert spin_until(executor, lambda: any(stamp_ns(m.header.stamp) == 42
                                            for m in probe.all_poses))
    answer = next(m for m in probe.all_poses if stamp_ns(m.header.stamp) == 42)
    assert len(answer.poses) == 1
    assert answer.poses[0] == probe.poses[-1].pose


@pytest.mark.parametrize('params, message', [
    ({'threshold': 2.0}, r"'threshold' = 2.0 must be in \[0.05, 0.95\]"),
    ({'refine_steps': 9}, r"'refine_steps' = 9 must be in \[0, 5\]"),
    ({'device': 'tpu'}, "'device' = 'tpu' must be one of"),
])
def test_bad_parameters_fail_at_start_with_a_clear_message(ros, object_weights, params,
                                                           message):
    with pytest.raises(ValueError, match=message):
        make_node(object_weights, **params)


def test_object_name_from_the_weights_is_logged_escaped(ros, tmp_path, capfd):
    name = 'box\x1b[2J\n[FATAL] [object_node]: forged' + 'x' * 1000
    weights = write_object_weights(tmp_path / 'hostile.safetensors', name=name)
    make_node(weights).destroy_node()
    err = capfd.readouterr().err
    assert "object 'box\\x1b[2J\\n[FATAL] [object_node]: forged" in err, err
    assert '\x1b[2J' not in err and '\n[FATAL]' not in err and 'x' * 100 not in err


def test_hand_weights_are_refused(ros, weights_path):
    with pytest.raises(WeightsError, match="task is 'hand', expected 'object'"):
        make_node(weights_path)


def test_message_round_trips():
    rgb = scene()[:4, :5]
    for encoding in COLOUR_ENCODINGS:
        back = image_to_rgb(rgb_image_msg(rgb, header(1), encoding))
        expected = np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None], 3, 2) \
            if encoding == 'mono8' else rgb
        np.testing.assert_array_equal(back, expected, err_msg=encoding)
    R, t = pose_stamped_to_pose(pose_stamped(TRUE_R, TRUE_T, header(1)))
    np.testing.assert_allclose(R, TRUE_R, atol=1e-12)
    np.testing.assert_allclose(t, TRUE_T)
    assert len(set(BOX_EDGES)) == 12
    assert all(bin(a ^ b).count('1') == 1 for a, b in BOX_EDGES)
