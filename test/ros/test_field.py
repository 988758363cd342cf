# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Field behaviour over real DDS (in-process): auto QoS, /diagnostics, namespaces."""

from conftest import blob_frame
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import PoseArray
import numpy as np
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from ros_probe import header, Probe, spin_until, stamp_ns
from sensor_msgs.msg import CameraInfo, Image

from fm_pose_ros.ros.camera_messages import camera_info_msg
from fm_pose_ros.ros.hand_messages import depth_image_msg
from fm_pose_ros.ros.hand_node import HandNode
from fm_pose_ros.ros.health import NO_INPUT_WARN_S

pytestmark = pytest.mark.integration  # DDS, subprocesses or colcon


def make_node(weights_path, namespace=None, **params):
    overrides = [Parameter('weights', value=str(weights_path)),
                 Parameter('stats_period_s', value=0.0)]
    overrides += [Parameter(name, value=value) for name, value in params.items()]
    return HandNode(parameter_overrides=overrides, namespace=namespace)


@pytest.fixture
def executor(ros):
    executor = SingleThreadedExecutor()
    nodes = []
    executor.nodes_to_destroy = nodes
    yield executor
    executor.shutdown()
    for node in nodes:
        node.destroy_node()


def add(executor, *nodes):
    for node in nodes:
        executor.add_node(node)
        executor.nodes_to_destroy.append(node)
    return nodes[0] if len(nodes) == 1 else nodes


def test_auto_qos_follows_the_publishers(executor, weights_path):
    node = add(executor, make_node(weights_path))
    assert node.params['qos_reliability'] == 'auto'
    assert node.image_input.actual_reliability == 'best_effort'  # nothing seen yet
    camera = add(executor, Node('camera'))
    reliable = camera.create_publisher(Image, 'depth/image', 5)  # default QoS: reliable
    assert spin_until(executor, lambda: node.image_input.actual_reliability == 'reliable', 10)
    # frames arrive on the recreated subscription
    depth, K, _ = blob_frame()
    info = camera.create_publisher(CameraInfo, 'depth/camera_info', 5)
    joints = []
    camera.create_subscription(PoseArray, '/hand_joints', joints.append, 10)
    for stamp in range(1, 40):
        info.publish(camera_info_msg(K, 640, 480, header(stamp)))
        reliable.publish(depth_image_msg(depth, header(stamp)))
        if spin_until(executor, lambda: joints, 0.5):
            break
    assert joints and len(joints[-1].poses) == 14
    # a best-effort publisher joins: no longer all reliable -> best effort, as rosbag2 does
    camera.create_publisher(Image, 'depth/image', qos_profile_sensor_data)
    assert spin_until(executor, lambda: node.image_input.actual_reliability == 'best_effort', 10)


def test_fixed_reliability_declares_the_standard_qos_overrides(executor, weights_path):
    node = add(executor, make_node(weights_path, qos_reliability='reliable'))
    assert node.image_input.actual_reliability == 'reliable'
    prefix = 'qos_overrides./depth/image.subscription.'
    for policy in ('history', 'depth', 'reliability'):
        assert node.has_parameter(prefix + policy), policy
    assert node.get_parameter(prefix + 'reliability').value == 'reliable'
    auto = add(executor, make_node(weights_path, namespace='auto_ns'))
    assert auto.has_parameter('qos_overrides./auto_ns/depth/image.subscription.depth')
    assert not auto.has_parameter('qos_overrides./auto_ns/depth/image.subscription.reliability')


def test_large_frames_over_best_effort_warn_once(executor, weights_path):
    node = add(executor, make_node(weights_path, qos_reliability='best_effort'))
    camera = add(executor, Node('camera'))
    info = camera.create_publisher(CameraInfo, 'depth/camera_info', qos_profile_sensor_data)
    K = blob_frame()[1]
    assert spin_until(executor, lambda: node.info_input.subscription.get_publisher_count() > 0)
    for stamp in range(1, 20):  # 640x480x2 = 0.6 MB: no warning
        info.publish(camera_info_msg(K, 640, 480, header(stamp)))
        spin_until(executor, lambda: False, 0.1)
    assert node.camera_K is not None and not node._large_frame_warned
    for stamp in range(20, 60):  # 4096x3072x2 = 24 MiB over best effort: warned
        info.publish(camera_info_msg(K, 4096, 3072, header(stamp)))
        if spin_until(executor, lambda: node._large_frame_warned, 0.2):
            break
    assert node._large_frame_warned


def diagnostics_of(executor, node_name, predicate, timeout):
    seen = []
    listener = add(executor, Node('diagnostics_listener'))
    listener.create_subscription(DiagnosticArray, '/diagnostics',
                                 lambda m: seen.extend(s for s in m.status
                                                       if s.name == node_name), 10)
    assert spin_until(executor, lambda: seen and predicate(seen[-1]), timeout), \
        [(s.level, s.message) for s in seen[-3:]]
    return seen[-1]


def test_diagnostics_warn_on_silence_and_report_rates(executor, weights_path):
    node = add(executor, make_node(weights_path, namespace='cam9'))
    status = diagnostics_of(executor, '/cam9/hand_node',
                            lambda s: s.level == DiagnosticStatus.WARN,
                            NO_INPUT_WARN_S + 5)
    assert status.message.startswith('no input for ')
    assert status.message.endswith(' s on /cam9/depth/image'), status.message
    values = {kv.key: kv.value for kv in status.values}
    assert {'input_rate_hz', 'output_rate_hz', 'dropped', 'processing_p50_ms',
            'processing_p99_ms', 'last_frame_age_s'} <= set(values)
    # frames arrive: OK, with a rate and a frame age
    probe = add(executor, Probe('/cam9/depth/image', '/cam9/depth/camera_info'))
    depth, K, _ = blob_frame()
    assert spin_until(executor, lambda: probe.image_pub.get_subscription_count() > 0)
    for stamp in range(1, 12):
        probe.send_info(K, 640, 480, stamp)
        probe.send_depth(depth, stamp)
        spin_until(executor, lambda: False, 0.15)
    status = diagnostics_of(executor, '/cam9/hand_node',
                            lambda s: s.level == DiagnosticStatus.OK, 5)
    values = {kv.key: kv.value for kv in status.values}
    assert float(values['last_frame_age_s']) < NO_INPUT_WARN_S
    assert int(values['frames_in']) > 0 and node.worker.stats.summary()['frames_in'] > 0


def test_two_namespaced_nodes_publish_separately(executor, weights_path):
    add(executor, make_node(weights_path, namespace='cam1'),
        make_node(weights_path, namespace='cam2'))
    probe = add(executor, Probe('/cam1/depth/image', '/cam1/depth/camera_info'))
    outputs = {'cam1': [], 'cam2': []}
    for ns in outputs:
        probe.create_subscription(PoseArray, f'/{ns}/hand_joints', outputs[ns].append, 10)
    assert spin_until(executor, lambda: probe.count_publishers('/cam1/hand_joints') == 1
                      and probe.count_publishers('/cam2/hand_joints') == 1
                      and probe.count_publishers('/hand_joints') == 0)
    depth, K, _ = blob_frame()
    for stamp in range(1, 40):
        probe.send_info(K, 640, 480, stamp)
        probe.send_depth(depth, stamp)
        if spin_until(executor, lambda: outputs['cam1'], 0.5):
            break
    assert outputs['cam1'] and len(outputs['cam1'][-1].poses) == 14
    spin_until(executor, lambda: False, 0.5)
    assert outputs['cam2'] == []
    assert stamp_ns(outputs['cam1'][-1].header.stamp) > 0


def test_locator_every_reaches_the_estimator_at_run_time(executor, weights_path):
    node = add(executor, make_node(weights_path, locator_every=3))
    assert node.estimator.locator_every == 3
    assert node.set_parameters([Parameter('locator_every', value=1)])[0].successful
    assert node.estimator.locator_every == 1
    refused = node.set_parameters([Parameter('locator_every', value=0)])[0]
    assert not refused.successful and 'locator_every' in refused.reason
    assert node.estimator.locator_every == 1


def test_fitting_and_smoothing_reach_the_estimator_at_run_time(executor, weights_path):
    node = add(executor, make_node(weights_path, fit_iterations=0))
    assert node.estimator.fit_settings.iterations == 0 and node.estimator.smoother is None
    assert node.set_parameters([Parameter('fit_iterations', value=4)])[0].successful
    assert node.estimator.fit_settings.iterations == 4
    assert node.set_parameters([Parameter('smoothing', value=True),
                                Parameter('beta', value=0.2)])[0].successful
    assert node.estimator.smoother.beta == 0.2
    for name, value in (('fit_iterations', 21), ('min_cutoff', 0.0), ('beta', -1.0)):
        refused = node.set_parameters([Parameter(name, value=value)])[0]
        assert not refused.successful and name in refused.reason
    assert node.estimator.fit_settings.iterations == 4
    assert node.set_parameters([Parameter('smoothing', value=False)])[0].successful
    assert node.estimator.smoother is None


def test_auto_switch_loses_and_duplicates_no_frame(executor, weights_path):
    node = add(executor, make_node(weights_path))
    camera = add(executor, Node('camera'))
    image_pub = camera.create_publisher(Image, 'depth/image', 5)  # reliable
    assert spin_until(executor, lambda: image_pub.get_subscription_count() > 0)
    depth = blob_frame()[0]
    stamps = range(1, 31)  # 3 s at 10 Hz: the switch to reliable happens in between
    for stamp in stamps:
        image_pub.publish(depth_image_msg(depth, header(stamp)))
        spin_until(executor, lambda: False, 0.1)
    assert node.image_input.actual_reliability == 'reliable'
    assert spin_until(executor, lambda: node.worker.stats.summary()['frames_in'] >= len(stamps))
    spin_until(executor, lambda: False, 0.5)
    assert node.worker.stats.summary()['frames_in'] == len(stamps)


def test_ten_megabyte_frames_arrive_from_a_reliable_publisher(executor, weights_path):
    """Frames of ~10 MB: auto QoS turns reliable for a reliable camera, and they arrive."""
    node = add(executor, make_node(weights_path))
    camera = add(executor, Node('camera'))
    image_pub = camera.create_publisher(Image, 'depth/image', 2)  # reliable, as drivers can
    assert spin_until(executor, lambda: node.image_input.actual_reliability == 'reliable', 10)
    assert spin_until(executor, lambda: image_pub.get_subscription_count() > 0)
    big = depth_image_msg(np.full((2048, 2560), 800.0, np.float32), header(1))  # 10.5 MB
    assert len(big.data) > 10 * 10**6
    for stamp in range(1, 6):
        big.header.stamp.sec = stamp
        image_pub.publish(big)
        spin_until(executor, lambda: False, 0.3)
    assert spin_until(executor, lambda: node.worker.stats.summary().get('frames_in', 0) >= 5,
                      20), node.worker.stats.summary()


def test_an_idle_node_reports_every_counter_at_zero(executor, weights_path):
    node = add(executor, make_node(weights_path))
    status = node.health.status()
    values = {kv.key: kv.value for kv in status.values}
    documented = ('frames_in', 'frames_out', 'dropped', 'lost', 'no_hand', 'bad_image',
                  'no_camera_info', 'bad_camera_info', 'non_finite', 'errors')
    assert {name: values.get(name) for name in documented} == dict.fromkeys(documented, '0')
    summary = node.worker.stats.summary()
    assert {name: summary.get(name) for name in documented} == dict.fromkeys(documented, 0)


def test_health_runs_with_sim_time_and_no_clock(executor, weights_path, capfd):
    """use_sim_time and nothing on /clock (a bag not playing): /diagnostics and the warning."""
    node = add(executor, make_node(weights_path, namespace='simtime', use_sim_time=True))
    assert node.get_clock().now().nanoseconds == 0  # the node's clock stands still
    status = diagnostics_of(executor, '/simtime/hand_node',
                            lambda s: s.level == DiagnosticStatus.WARN, NO_INPUT_WARN_S + 5)
    assert status.message.startswith('no input for ')
    assert 'no input for ' in capfd.readouterr().err


def test_lost_frames_are_counted_and_warned_once(executor, weights_path, capfd):
    node = add(executor, make_node(weights_path))
    assert node.image_input.subscription.event_handlers  # the message-lost QoS event
    node._on_lost(3)  # what the event hands over: the samples lost since the last event
    node._on_lost(2)
    assert node.worker.stats.summary()['lost'] == 5
    values = {kv.key: kv.value for kv in node.health.status().values}
    assert values['lost'] == '5'
    err = capfd.readouterr().err
    assert err.count('lost 3 frame(s)') == 1 and 'fastdds_large_frames.xml' in err
    assert 'lost 2 frame(s)' not in err
