# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The object node with aligned depth over real DDS: paired frames refine the pose.

The weights are conftest.write_object_weights' hand-set files (the corner head always
predicts the box of ``TRUE_R``, ``TRUE_T``: the RGB pose), with a point sample over the
cube's faces. The depth frames show the cube 2 cm deeper than the RGB pose: a refined pose
lands there, an RGB-only one stays at ``TRUE_T``.
"""

from conftest import (
    CUBE_M, K_VGA, OBJECT_R as TRUE_R, OBJECT_SIZE as SIZE, OBJECT_T as TRUE_T,
    write_object_weights)
from depth_scene import box_depth, box_surface_points
import numpy as np
import pytest
from rclpy.parameter import Parameter
from ros_probe import (
    COLOR_FRAME_ID, header, ObjectProbe, send_and_wait, spin_until, start_rig, stop_rig)
from sensor_msgs.msg import Image

from fm_pose_ros.ros.hand_messages import depth_image_msg
from fm_pose_ros.ros.object_messages import pose_stamped_to_pose
from fm_pose_ros.ros.object_node import ObjectNode

pytestmark = pytest.mark.integration  # DDS, subprocesses or colcon

DEEPER_T = TRUE_T * (1.0 + 0.02 / TRUE_T[2])  # where the depth shows the cube
STAMP = 1_700_000_000_000_000_000
MS = 1_000_000


@pytest.fixture(scope='module')
def depth_weights(tmp_path_factory):
    points = box_surface_points([CUBE_M] * 3, count=500)
    return write_object_weights(tmp_path_factory.mktemp('w') / 'cube.safetensors',
                                points_m=points)


class DepthProbe(ObjectProbe):
    """ObjectProbe that also publishes aligned depth on ``depth/image``."""

    def __init__(self):
        super().__init__()
        self.depth_pub = self.create_publisher(Image, 'depth/image', 10)

    def send_depth(self, depth_m, stamp, encoding='16UC1'):
        self.depth_pub.publish(depth_image_msg(depth_m * 1000.0, header(stamp, COLOR_FRAME_ID),
                                               encoding))


@pytest.fixture
def rig(ros, depth_weights):
    node = ObjectNode(parameter_overrides=[Parameter(k, value=v) for k, v in {
        'weights': depth_weights, 'stats_period_s': 0.0, 'refine_steps': 0,
        'test_rotation_deg': 0.0, 'device': 'cpu', 'depth_wait_s': 0.5}.items()])
    probe = DepthProbe()
    rig = start_rig(node, probe, lambda: probe.depth_pub.get_subscription_count() > 0,
                    lambda: node.pose_pub.get_subscription_count() > 0)
    probe.send_info(K_VGA, SIZE[1], SIZE[0])
    assert spin_until(rig[2], lambda: node.camera_K is not None)
    yield rig
    stop_rig(rig)


def scene_depth():
    return box_depth([CUBE_M] * 3, TRUE_R, DEEPER_T, K_VGA, SIZE, wall_m=1.0)


def rgb():
    return np.random.default_rng(5).integers(0, 256, (*SIZE, 3), dtype=np.uint8)


def pose_of(probe, stamp):
    msg = next(p for p in probe.poses if p.header.stamp.sec * 10**9 + p.header.stamp.nanosec
               == stamp)
    return pose_stamped_to_pose(msg)


def counted(node, key):
    return node.worker.stats.summary().get(key, 0)


def test_without_depth_the_pose_is_the_rgb_pose(rig):
    node, probe, _ = rig
    send_and_wait(rig, lambda p: p.send_rgb(rgb(), STAMP), stamp=STAMP)
    _, t = pose_of(probe, STAMP)
    np.testing.assert_allclose(t, TRUE_T, atol=0.003)
    assert counted(node, 'depth_refined') == 0


@pytest.mark.parametrize('encoding', ['16UC1', '32FC1'])
def test_depth_early_refines_the_pose(rig, encoding):
    node, probe, executor = rig
    probe.send_depth(scene_depth(), STAMP + 3 * MS, encoding)  # within the 20 ms tolerance
    assert spin_until(executor, lambda: node.depth_pairer.live())
    send_and_wait(rig, lambda p: p.send_rgb(rgb(), STAMP), stamp=STAMP)
    _, t = pose_of(probe, STAMP)
    np.testing.assert_allclose(t, DEEPER_T, atol=0.003)
    assert counted(node, 'depth_refined') == 1


def test_depth_late_is_waited_for(rig):
    node, probe, executor = rig
    probe.send_depth(scene_depth(), STAMP - 33 * MS)  # the stream is live
    assert spin_until(executor, lambda: node.depth_pairer.live())
    probe.send_rgb(rgb(), STAMP)
    spin_until(executor, lambda: False, 0.1)  # the worker is waiting for the depth frame
    probe.send_depth(scene_depth(), STAMP)
    assert spin_until(executor, lambda: STAMP in probe.stamps_out())
    np.testing.assert_allclose(pose_of(probe, STAMP)[1], DEEPER_T, atol=0.003)


def test_depth_out_of_tolerance_or_of_another_size_keeps_the_rgb_pose(rig):
    node, probe, executor = rig
    probe.send_depth(scene_depth(), STAMP + 60 * MS)  # beyond the 20 ms tolerance
    assert spin_until(executor, lambda: node.depth_pairer.live())
    send_and_wait(rig, lambda p: p.send_rgb(rgb(), STAMP), stamp=STAMP)
    np.testing.assert_allclose(pose_of(probe, STAMP)[1], TRUE_T, atol=0.003)
    assert counted(node, 'depth_out_of_tolerance') == 1
    later = STAMP + 100 * MS
    probe.send_depth(scene_depth()[::2, ::2], later)  # not aligned to the colour image
    assert spin_until(executor, lambda: node.depth_pairer.match(later).payload is not None)
    send_and_wait(rig, lambda p: p.send_rgb(rgb(), later), stamp=later)
    np.testing.assert_allclose(pose_of(probe, later)[1], TRUE_T, atol=0.003)
    assert counted(node, 'bad_depth') == 1


@pytest.mark.parametrize('name, value, message', [
    ('depth_tolerance_s', -0.1, 'must be in'), ('depth_wait_s', 2.0, 'must be in'),
    ('use_depth', 'yes', 'BOOL')])
def test_bad_depth_parameters_are_refused(ros, depth_weights, name, value, message):
    with pytest.raises(ValueError, match=f"'{name}'.*{message}"):
        ObjectNode(parameter_overrides=[Parameter('weights', value=depth_weights),
                                        Parameter(name, value=value)])


def test_use_depth_false_has_no_depth_subscription(ros, depth_weights):
    node = ObjectNode(parameter_overrides=[Parameter('weights', value=depth_weights),
                                           Parameter('use_depth', value=False)])
    try:
        topics = {name for name, _ in node.get_subscriber_names_and_types_by_node(
            node.get_name(), node.get_namespace())}
        assert '/depth/image' not in topics and '/image' in topics
    finally:
        node.destroy_node()
