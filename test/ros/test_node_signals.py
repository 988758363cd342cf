# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The installed ``hand_node`` process: signals at any moment end it quickly and cleanly.

Also: a params file keyed for another node and a namespace ending in '/' give one clear
line, never a traceback.
"""

import signal
import time

from conftest import blob_frame
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from ros_probe import Probe, spin_until

from fm_pose_ros.evaluation.node_process import (
    console_script, FINAL_STATS, NodeProcess, STARTED)

EXECUTABLE = console_script('hand_node')
EXIT_LIMIT_S = 5.0
pytestmark = [pytest.mark.integration,  # DDS, subprocesses or colcon
              pytest.mark.skipif(EXECUTABLE is None, reason='package not installed (pip -e .)')]


def start_node(weights, *ros_args):
    """``hand_node`` (its console script) on the CPU with ``weights``."""
    return NodeProcess('hand', ['-p', f'weights:={weights}', '-p', 'device:=cpu', *ros_args])


def stop(node, *signals, gap_s=0.005):
    """Send ``signals`` ``gap_s`` apart; return the seconds until the exit (inf: killed)."""
    node.stop(signals, timeout=EXIT_LIMIT_S + 5.0, gap_s=gap_s)
    return node.exit_s


def before_the_handlers(output):
    """Python's own KeyboardInterrupt: a SIGINT before ``shutdown.install`` ran (first import).

    The package's handler raises ``KeyboardInterrupt('SIGINT')`` and catches it; the
    interpreter's, active from its own start-up until then, has no message.
    """
    return output.rstrip().endswith('\nKeyboardInterrupt') and 'shutdown.py' not in output


def check_clean_exit(node, elapsed, signals):
    output = node.output
    assert elapsed < EXIT_LIMIT_S, f'took {elapsed:.1f} s\n{output}'
    assert 'Traceback' not in output or before_the_handlers(output), output
    if STARTED in output:  # started: status 0 and the final statistics, once
        assert node.returncode == 0, output
        assert output.count(FINAL_STATS) == 1, output
    elif before_the_handlers(output):  # the interpreter's own: 1 when it was importing site
        assert node.returncode in (1, *(-s for s in signals)), output
    else:  # before Python's handlers exist a signal keeps its default action
        assert node.returncode in (0, *(-s for s in signals)), output


@pytest.mark.parametrize('delay_s, signals', [
    (0.2, (signal.SIGINT,)),
    (1.0, (signal.SIGINT,)),
    (1.0, (signal.SIGTERM,)),
    (0.6, (signal.SIGINT, signal.SIGTERM)),
])
def test_signal_during_start_up(weights_path, delay_s, signals):
    with start_node(weights_path) as node:
        time.sleep(delay_s)
        elapsed = stop(node, *signals)
    check_clean_exit(node, elapsed, signals)


@pytest.mark.parametrize('signals', [(signal.SIGINT,), (signal.SIGTERM,),
                                     (signal.SIGINT, signal.SIGTERM)])
def test_signal_once_running(weights_path, signals):
    with start_node(weights_path) as node:
        assert node.wait_started(60.0), node.output
        elapsed = stop(node, *signals)
    check_clean_exit(node, elapsed, signals)
    assert STARTED in node.output


@pytest.mark.parametrize('gap_s, signals', [
    (0.0, (signal.SIGHUP,)),                   # a closed terminal: as SIGTERM
    (0.15, (signal.SIGINT, signal.SIGINT)),    # a second Ctrl-C during the shutdown
    (0.6, (signal.SIGTERM, signal.SIGINT)),    # ... or later, while the process exits
])
def test_sighup_and_a_second_signal_during_shutdown(weights_path, gap_s, signals):
    with start_node(weights_path) as node:
        assert node.wait_started(60.0), node.output
        elapsed = stop(node, *signals, gap_s=gap_s)
    check_clean_exit(node, elapsed, signals)
    assert STARTED in node.output


def test_sigint_after_the_first_frame(weights_path):
    node = start_node(weights_path, '-r', 'depth/image:=/sig/depth',
                      '-r', 'depth/camera_info:=/sig/info')
    rclpy.init()
    probe = Probe('/sig/depth', '/sig/info')
    executor = SingleThreadedExecutor()
    executor.add_node(probe)
    try:
        assert spin_until(executor, lambda: probe.image_pub.get_subscription_count() > 0, 60)
        depth, K, _ = blob_frame()
        for stamp in range(1, 60):
            probe.send_info(K, 640, 480, stamp)
            probe.send_depth(depth, stamp)
            if spin_until(executor, lambda: probe.joints, 0.5):
                break
        assert probe.joints, node.output
        elapsed = stop(node, signal.SIGINT)
    finally:
        executor.shutdown()
        probe.destroy_node()
        rclpy.shutdown()
        node.close()
    check_clean_exit(node, elapsed, (signal.SIGINT,))
    assert node.final_stats['frames_out'] >= 1, node.output


def test_params_file_for_another_node_is_reported(weights_path, tmp_path):
    params = tmp_path / 'other.yaml'
    params.write_text('object_node:\n  ros__parameters:\n    threads: 1\n')
    with start_node(weights_path, '--params-file', str(params)) as node:
        assert node.wait_for('has no section for this node'), node.output
        assert node.wait_started(60.0), node.output
        elapsed = stop(node, signal.SIGINT)
    check_clean_exit(node, elapsed, (signal.SIGINT,))
    line = next(line for line in node.lines if 'has no section' in line)
    assert str(params) in line and '/hand_node' in line and "'/**:'" in line


def test_namespace_with_a_trailing_slash_gives_one_line(weights_path):
    with start_node(weights_path, '-r', '__ns:=/cam1/') as node:
        assert node.wait(timeout=60) == 1, node.output
    assert 'Traceback' not in node.output
    lines = [line for line in node.lines if line.strip()]
    assert len(lines) == 1 and "must not end with a '/': use __ns:=/cam1" in lines[0], node.output
