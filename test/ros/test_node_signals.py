# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The installed ``hand_node`` process: signals at any moment end it quickly and cleanly.

Also: a params file keyed for another node and a namespace ending in '/' give one clear
line, never a traceback.
"""

import signal
import subprocess
import threading
import time

from conftest import blob_frame, console_script
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from ros_probe import Probe, spin_until

EXECUTABLE = console_script('hand_node')
EXIT_LIMIT_S = 5.0
STARTED = 'listening on'
pytestmark = [pytest.mark.integration,  # DDS, subprocesses or colcon
              pytest.mark.skipif(EXECUTABLE is None, reason='package not installed (pip -e .)')]


class NodeProcess:
    """``hand_node`` with its output collected line by line (stdout and stderr together)."""

    def __init__(self, weights, *ros_args):
        self.process = subprocess.Popen(
            [EXECUTABLE, '--ros-args', '-p', f'weights:={weights}', '-p', 'device:=cpu',
             *ros_args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    @property
    def output(self):
        return '\n'.join(self.lines)

    def wait_for(self, text, timeout=60.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.process.poll() is None:
            if text in self.output:
                return True
            time.sleep(0.05)
        return text in self.output

    def stop(self, *signals, gap_s=0.0):
        """Send ``signals`` (``gap_s`` apart); return seconds until the process ended."""
        start = time.monotonic()
        for number in signals:
            if self.process.poll() is None:
                self.process.send_signal(number)
            time.sleep(gap_s)
        try:
            self.process.wait(timeout=EXIT_LIMIT_S + 5.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return float('inf')
        self._reader.join(5.0)
        return time.monotonic() - start


def check_clean_exit(node, elapsed, signals):
    output = node.output
    assert elapsed < EXIT_LIMIT_S, f'took {elapsed:.1f} s\n{output}'
    assert 'Traceback' not in output, output
    if STARTED in output:  # started: status 0 and the final statistics, once
        assert node.process.returncode == 0, output
        assert output.count('final stats: ') == 1, output
    else:  # before Python's handlers exist a signal keeps its default action
        assert node.process.returncode in (0, *(-s for s in signals)), output


@pytest.mark.parametrize('delay_s, signals', [
    (0.2, (signal.SIGINT,)),
    (1.0, (signal.SIGINT,)),
    (1.0, (signal.SIGTERM,)),
    (0.6, (signal.SIGINT, signal.SIGTERM)),
])
def test_signal_during_start_up(weights_path, delay_s, signals):
    node = NodeProcess(weights_path)
    time.sleep(delay_s)
    elapsed = node.stop(*signals, gap_s=0.005)
    check_clean_exit(node, elapsed, signals)


@pytest.mark.parametrize('signals', [(signal.SIGINT,), (signal.SIGTERM,),
                                     (signal.SIGINT, signal.SIGTERM)])
def test_signal_once_running(weights_path, signals):
    node = NodeProcess(weights_path)
    assert node.wait_for(STARTED), node.output
    elapsed = node.stop(*signals, gap_s=0.005)
    check_clean_exit(node, elapsed, signals)
    assert STARTED in node.output


def test_sigint_after_the_first_frame(weights_path):
    node = NodeProcess(weights_path, '-r', 'depth/image:=/sig/depth',
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
        elapsed = node.stop(signal.SIGINT)
    finally:
        executor.shutdown()
        probe.destroy_node()
        rclpy.shutdown()
        if node.process.poll() is None:
            node.process.kill()
    check_clean_exit(node, elapsed, (signal.SIGINT,))
    final = [line for line in node.lines if 'final stats: ' in line]
    assert '"frames_out": ' in final[0], final


def test_params_file_for_another_node_is_reported(weights_path, tmp_path):
    params = tmp_path / 'other.yaml'
    params.write_text('object_node:\n  ros__parameters:\n    threads: 1\n')
    node = NodeProcess(weights_path, '--params-file', str(params))
    assert node.wait_for('has no section for this node'), node.output
    assert node.wait_for(STARTED), node.output
    elapsed = node.stop(signal.SIGINT)
    check_clean_exit(node, elapsed, (signal.SIGINT,))
    line = next(line for line in node.lines if 'has no section' in line)
    assert str(params) in line and '/hand_node' in line and "'/**:'" in line


def test_namespace_with_a_trailing_slash_gives_one_line(weights_path):
    node = NodeProcess(weights_path, '-r', '__ns:=/cam1/')
    node.process.wait(timeout=60)
    node._reader.join(5.0)
    assert node.process.returncode == 1, node.output
    assert 'Traceback' not in node.output
    lines = [line for line in node.lines if line.strip()]
    assert len(lines) == 1 and "must not end with a '/': use __ns:=/cam1" in lines[0], node.output
