# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""replay_eval against the real node: the bag path gives the offline path's numbers."""

import json
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time

from geometry_msgs.msg import PoseArray
import numpy as np
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from ros_probe import header, Probe, spin_until
from test_bags import hand_frames, unusable_hand_frames

from fm_pose_ros.core.hand_estimator import HandEstimator
from fm_pose_ros.core.image_codec import depth_to_mm
from fm_pose_ros.evaluation.bags import (
    DEFAULT_TOPICS, frames_from_messages, read_messages, write_hand_bag)
from fm_pose_ros.evaluation.metrics import hand_metrics
from fm_pose_ros.evaluation.node_process import console_script, NodeProcess
from fm_pose_ros.ros.hand_messages import depth_image_msg, joints_to_pose_array
from fm_pose_ros.ros.hand_node import HAND_PARAMS

REPLAY = console_script('replay_eval')
FIT_ITERATIONS = HAND_PARAMS['fit_iterations'].default  # the node's default: the same fit offline
pytestmark = [pytest.mark.integration,  # DDS, subprocesses or colcon
              pytest.mark.skipif(REPLAY is None, reason='package not installed (pip -e .)')]

# A node that subscribes to depth/image and advertises /hand_joints but never publishes.
SILENT_NODE = textwrap.dedent('''
    import rclpy
    from geometry_msgs.msg import PoseArray
    from sensor_msgs.msg import CameraInfo, Image
    rclpy.init()
    node = rclpy.create_node('silent')
    node.create_subscription(Image, 'depth/image', lambda msg: None, 5)
    node.create_subscription(CameraInfo, 'depth/camera_info', lambda msg: None, 5)
    node.create_publisher(PoseArray, '/hand_joints', 5)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
''')


def run_replay(*args, timeout=120):
    result = subprocess.run([REPLAY, *args, '--no-progress'], capture_output=True, text=True,
                            timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def read_report(folder):
    return json.loads((folder / 'report.json').read_text())


def offline_errors(bag, weights_path):
    """{stamp: mean joint error mm} of HandEstimator on the bag's frames (the offline path).

    With the node's default depth fitting, as the started node runs it.
    """
    estimator = HandEstimator(weights_path, 'cpu', 'torch', fit_iterations=FIT_ITERATIONS)
    errors = {}
    for frame in frames_from_messages(read_messages(bag, DEFAULT_TOPICS)):
        pred = estimator.estimate(frame['depth'], frame['K']).joints_mm
        errors[frame['stamp']] = hand_metrics(pred[None], frame['joints'][None])
    return errors


# Node, replay tool and DDS discovery in separate processes on a loaded machine: a frame is
# now and then lost before the node sees it; rerun up to twice.
@pytest.mark.flaky(reruns=2)
@pytest.mark.parametrize('storage,mode,namespace', [('mcap', 'lockstep', ''),
                                                    ('sqlite3', 'realtime', 'cam1')])
def test_bag_report_equals_offline_evaluation(tmp_path, weights_path, storage, mode,
                                              namespace):
    bag = str(tmp_path / 'bag')
    write_hand_bag(bag, hand_frames(6), storage=storage, rate_hz=15.0)
    code, out, err = run_replay(bag, '--start-node', '--weights', weights_path,
                                '--backend', 'torch', '--out', str(tmp_path / 'report'),
                                '--mode', mode, '--namespace', namespace)
    assert code == 0, out + err
    assert len(out.strip().splitlines()) == 1 and 'frames answered' in out
    report = read_report(tmp_path / 'report')
    assert report['frames_read'] == report['frames_in'] == 6 and report['mode'] == mode
    # sqlite3 keeps no per-message checksum: said once, in the report and on stderr
    warnings = ['bag.db3 is sqlite3 storage, which has no per-message checksum: damage '
                'inside a message cannot be detected'] if storage == 'sqlite3' else []
    assert report['warnings'] == warnings and report['unverified_chunks'] == 0
    assert err.strip().splitlines() == [f'replay_eval: warning: {w}' for w in warnings], err
    prefix = f'/{namespace}' if namespace else ''
    assert report['topics'] == {'image_out': f'{prefix}/depth/image',
                                'output': f'{prefix}/hand_joints',
                                'info_out': f'{prefix}/depth/camera_info'}
    answered = [r['stamp_ns'] for r in report['per_frame']]
    assert report['frames_out'] == len(answered) == report['frames']
    if mode == 'lockstep':
        assert report['frames_out'] == 6
        assert report['node_stats']['frames_out'] >= 6   # plus the warm-up frame(s)
    else:  # the node may drop a frame that arrives while it is busy
        assert report['frames_out'] >= 3
    assert report['node_stats']['p50_ms'] > 0 and report['latency_ms']['p50'] > 0
    for name in ('error_curve.png', 'per_joint_error.png', 'latency.png', 'summary.md'):
        assert (tmp_path / 'report' / name).is_file(), name
    offline = offline_errors(bag, weights_path)
    mean = np.mean([offline[s]['mean_joint_error_mm'] for s in answered])
    assert report['mean_joint_error_mm'] == pytest.approx(mean, abs=1e-3)


def one_line_error(code, err, text):
    assert code == 1, err
    assert err.strip().count('\n') == 0 and text in err, err


def test_missing_bag_is_one_line(tmp_path):
    code, _, err = run_replay(str(tmp_path / 'nope'), '--out', str(tmp_path / 'r'))
    one_line_error(code, err, 'bag not found')
    assert not (tmp_path / 'r').exists()


@pytest.mark.parametrize('damage', ['truncate', 'random'])
def test_corrupt_bag_is_one_line(tmp_path, damage):
    bag = tmp_path / 'bag'
    write_hand_bag(str(bag), hand_frames(2))
    mcap = next(bag.glob('*.mcap'))
    data = mcap.read_bytes()
    mcap.write_bytes(data[:300] if damage == 'truncate' else os.urandom(len(data)))
    code, _, err = run_replay(str(bag), '--out', str(tmp_path / 'r'))
    one_line_error(code, err, 'cannot read bag')


@pytest.mark.parametrize('joints, reason', [(13, '13 joints, expected 14'),
                                            (np.nan, 'non-finite values')])
def test_bag_without_usable_ground_truth_is_one_line(tmp_path, joints, reason):
    frames = hand_frames(2)
    for frame in frames:
        frame['joints'] = (frame['joints'][:joints] if joints == 13
                           else np.full((14, 3), joints))
    bag = str(tmp_path / 'bag')
    write_hand_bag(bag, frames)
    code, _, err = run_replay(bag, '--out', str(tmp_path / 'r'))
    one_line_error(code, err, 'no usable ground truth on /gt/hand_joints: 2 of 2 ground-truth '
                   'messages cannot be scored (first at stamp')
    assert f'ns: {reason})' in err
    assert not (tmp_path / 'r').exists()


# Node and replay tool in separate processes on a loaded machine: rerun up to twice.
@pytest.mark.flaky(reruns=2)
def test_unusable_ground_truth_is_skipped_and_counted(tmp_path, weights_path):
    bag = str(tmp_path / 'bag')
    write_hand_bag(bag, unusable_hand_frames())  # usable, 13 joints, NaN, inf
    code, out, err = run_replay(bag, '--start-node', '--weights', weights_path,
                                '--backend', 'torch', '--out', str(tmp_path / 'r'))
    assert code == 0, out + err
    report = read_report(tmp_path / 'r')
    assert report['bad_ground_truth'] == 3 and report['frames_out'] == 4 == report['frames_in']
    assert report['frames'] == 1 and np.isfinite(report['mean_joint_error_mm'])
    first = report['per_frame'][1]['stamp_ns']
    warning = (f'3 of 4 ground-truth messages cannot be scored (first at stamp {first} ns: '
               '13 joints, expected 14): those frames are not scored')
    assert report['warnings'] == [warning]
    assert err.strip().splitlines() == [f'replay_eval: warning: {warning}'], err
    assert 'nan' not in out and 'mean joint error' in out


def test_missing_topic_and_wrong_type_are_one_line(tmp_path):
    bag = str(tmp_path / 'bag')
    write_hand_bag(bag, hand_frames(1), topics={'image': '/other/image'})
    code, _, err = run_replay(bag, '--out', str(tmp_path / 'r'))
    one_line_error(code, err, f"has no topic {DEFAULT_TOPICS['image']}")
    code, _, err = run_replay(bag, '--out', str(tmp_path / 'r'),
                              '--image-topic', DEFAULT_TOPICS['camera_info'])
    one_line_error(code, err, 'has type sensor_msgs/msg/CameraInfo')


def test_non_monotonic_stamps_are_one_line(tmp_path):
    bag = str(tmp_path / 'bag')
    frames = [{**f, 'stamp': s} for f, s in zip(hand_frames(3), (3 * 10**9, 2 * 10**9, 10**10))]
    write_hand_bag(bag, frames)
    code, _, err = run_replay(bag, '--out', str(tmp_path / 'r'))
    one_line_error(code, err, 'not monotonic')


def test_no_node_writes_partial_report(tmp_path):
    bag = str(tmp_path / 'bag')
    write_hand_bag(bag, hand_frames(2))
    code, _, err = run_replay(bag, '--out', str(tmp_path / 'r'), '--wait', '2',
                              '--image-out', '/nobody/listens')
    one_line_error(code, err, 'no hand node subscribed to /nobody/listens')
    report = read_report(tmp_path / 'r')
    assert (report['frames_read'], report['frames_in'], report['frames_out']) == (2, 0, 0)


def test_node_that_never_answers(tmp_path):
    bag = str(tmp_path / 'bag')
    write_hand_bag(bag, hand_frames(2))
    script = tmp_path / 'silent_node.py'
    script.write_text(SILENT_NODE)
    silent = subprocess.Popen([sys.executable, str(script)])
    try:
        code, _, err = run_replay(bag, '--out', str(tmp_path / 'r'), '--timeout', '0.5',
                                  '--wait', '20')
    finally:  # never leave a DDS participant behind for later runs on this machine
        silent.terminate()
        try:
            silent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            silent.kill()
            silent.wait()
    one_line_error(code, err, 'the node never answered (2 frames read, 2 published, 0 answered')
    report = read_report(tmp_path / 'r')
    assert report['problems'] == ['the node never answered'] and report['frames_out'] == 0
    assert 'problem: the node never answered' in (tmp_path / 'r' / 'summary.md').read_text()


def test_started_node_that_fails(tmp_path):
    bag = str(tmp_path / 'bag')
    write_hand_bag(bag, hand_frames(2))
    code, _, err = run_replay(bag, '--out', str(tmp_path / 'r'), '--start-node',
                              '--weights', str(tmp_path / 'missing.safetensors'))
    one_line_error(code, err, 'hand_node exited before it was ready')
    assert 'weights file not found' in err


# Three processes discover each other over DDS with no way for the test to see the node's
# writer match the recorder; under load a recording still misses messages now and then
# (as `ros2 bag record` can miss what is published right after it starts): rerun up to twice.
@pytest.mark.flaky(reruns=2)
def test_listen_mode_records_outputs_and_ground_truth(tmp_path, weights_path):
    """``ros2 bag play`` users: the node and the recorder run; a probe plays the frames."""
    node = NodeProcess('hand', ['-p', f'weights:={weights_path}', '-p', 'backend:=torch',
                                '-r', 'depth/image:=/cam/image',
                                '-r', 'depth/camera_info:=/cam/info'])
    recorder = subprocess.Popen([REPLAY, '--listen', '60', '--out', str(tmp_path / 'r'),
                                 '--no-progress'], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    lines = queue.Queue()  # the recorder's output, read on a thread (the pipe never fills)
    reader = threading.Thread(target=lambda: [lines.put(x) for x in recorder.stdout],
                              daemon=True)
    reader.start()
    frames = hand_frames(4)
    try:
        # frames sent before the recorder matched the node's publisher would be lost
        play_with_ground_truth(frames, [10**9 + i * 10**8 for i in range(4)],
                               lambda: wait_for_line(lines, 'replay_eval: recording', 40))
        recorder.send_signal(signal.SIGINT)  # ends the recording early; report written
        recorder.wait(timeout=30)
    finally:
        node.stop(timeout=20.0)
        recorder.kill()
    reader.join(timeout=5)
    output = ''.join(lines.queue)
    assert recorder.returncode == 0, output
    assert 'recording /hand_joints (1 publishers) and /gt/hand_joints (1 publishers)' in output
    assert output.strip().splitlines()[-1].startswith('replay_eval: 4/4 frames answered')
    report = read_report(tmp_path / 'r')
    assert report['mode'] == 'listen' and report['frames_out'] == report['frames'] == 4
    estimator = HandEstimator(weights_path, 'cpu', 'torch', fit_iterations=FIT_ITERATIONS)
    sent = [depth_to_mm(depth_image_msg(f['depth'], header(0))) for f in frames]  # as 16UC1
    pred = np.stack([estimator.estimate(d, f['K']).joints_mm for d, f in zip(sent, frames)])
    offline = hand_metrics(pred, np.stack([f['joints'] for f in frames]))
    assert report['mean_joint_error_mm'] == pytest.approx(offline['mean_joint_error_mm'],
                                                          abs=1e-3)


def wait_for_line(lines, start, timeout):
    """Take lines from the queue until one starts with ``start``; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        if line.startswith(start):
            lines.put(line)  # kept for the final check
            return


def play_with_ground_truth(frames, stamps, recorder_ready):
    """Publish image, CameraInfo and ground truth per frame; wait for each output."""
    rclpy.init()
    probe = Probe('/cam/image', '/cam/info')
    gt_pub = probe.create_publisher(PoseArray, DEFAULT_TOPICS['ground_truth'], 10)
    executor = SingleThreadedExecutor()
    executor.add_node(probe)
    try:
        assert spin_until(executor, lambda: probe.image_pub.get_subscription_count() > 0
                          and probe.count_publishers('/hand_joints') > 0, 30)
        recorder_ready()
        # the recorder saw our publishers; wait until our ground-truth publisher sees it too
        assert spin_until(executor, lambda: gt_pub.get_subscription_count() > 0, 30)
        # and until the node's output has two subscribers (this probe and the recorder);
        # discovery is not symmetric, so give the node's side time to match the recorder
        assert spin_until(executor, lambda: len(
            probe.get_subscriptions_info_by_topic('/hand_joints')) >= 2, 30)
        # the node re-creates its input subscriptions once it sees our reliable writers
        # (qos_reliability auto), and a CameraInfo sent before the new one matched is lost:
        # keep sending the first one meanwhile, as a camera driver would
        for _ in range(15):
            probe.send_info(frames[0]['K'], 640, 480, stamps[0])
            spin_until(executor, lambda: False, 0.2)
        for frame, stamp in zip(frames, stamps):
            probe.send_info(frame['K'], 640, 480, stamp)
            gt_pub.publish(joints_to_pose_array(frame['joints'], header(stamp)))
            probe.send_depth(frame['depth'], stamp)
            assert spin_until(executor, lambda: stamp in probe.stamps_out(), 20.0)
        # keep the writers alive until the recorder has everything: a sample lost on the way
        # is resent only after the writer's next heartbeat (Fast DDS: every 3 s), a reliable
        # reader holds the later ones back until then, and a destroyed writer resends nothing
        spin_until(executor, lambda: False, 4.0)
    finally:
        executor.shutdown()
        probe.destroy_node()
        rclpy.shutdown()
