# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""hand_node under an input flood: output rate at 30/120/500 Hz input against lockstep.

``python -m benchmarks.bench_flood [--rates 30,120,500] [--duration 10] [--out FILE]``

Starts ``hand_node`` as its console script (default transport, ``qos_reliability`` auto) and
publishes VGA 16UC1 frames from this process for ``--duration`` s per input rate, counting the
answers on ``/hand_joints``. The publisher is best effort, as cameras are, with the shipped
``config/fastdds_large_frames.xml`` applied to this process only (so frames are not lost on
the way; a reliable publisher cannot sustain 500 Hz of VGA: its history fills and publishing
fails). Lockstep (send one frame, wait for its
answer) gives the rate the node sustains when nothing is dropped; with newest-frame-wins
dropping, a flood should not answer slower than that. Each case gets a fresh node; the
node's final stats give frames in / dropped / processing p50. Writes a table with the command
into ``--out`` (its own marked section).
"""

import argparse
import os
import sys
import time

from benchmarks.node_bench_common import hand_frame, K_VGA, replace_section, start_hand_node

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE, INFO = '/flood/depth/image', '/flood/depth/camera_info'
PROFILE = os.path.join(REPO, 'config', 'fastdds_large_frames.xml')
SETTLE_S = 2.0


class Flooder:
    """The publishing side: one rclpy node with the image/info publishers and the answers."""

    def __init__(self):
        from geometry_msgs.msg import PoseArray
        import rclpy
        from rclpy.qos import qos_profile_sensor_data
        from sensor_msgs.msg import CameraInfo, Image
        from std_msgs.msg import Header

        from fm_pose_ros.ros.camera_messages import camera_info_msg
        from fm_pose_ros.ros.hand_messages import depth_image_msg

        os.environ['FASTDDS_DEFAULT_PROFILES_FILE'] = PROFILE  # this process only
        rclpy.init()
        self.rclpy = rclpy
        self.node = rclpy.create_node('bench_flood')
        self.image_pub = self.node.create_publisher(Image, IMAGE, qos_profile_sensor_data)
        self.info_pub = self.node.create_publisher(CameraInfo, INFO, qos_profile_sensor_data)
        header = Header(frame_id='camera_depth_optical_frame')
        self.info = camera_info_msg(K_VGA, 640, 480, header)
        self.image = depth_image_msg(hand_frame(), header)
        self.answers = []
        self.node.create_subscription(PoseArray, '/hand_joints', self._on_answer, 100)
        self.executor = rclpy.executors.SingleThreadedExecutor()
        self.executor.add_node(self.node)

    def _on_answer(self, msg):
        self.answers.append(msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec)

    def spin_for(self, seconds):
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.executor.spin_once(timeout_sec=left)

    def wait_for_node(self, timeout=60.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if (self.image_pub.get_subscription_count() > 0
                    and self.node.count_publishers('/hand_joints') > 0):
                self.spin_for(SETTLE_S)
                return True
            self.spin_for(0.1)
        return False

    def send(self, stamp):
        for msg in (self.info, self.image):
            msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 10**9)
        self.info_pub.publish(self.info)
        self.image_pub.publish(self.image)

    def flood(self, rate, duration):
        """Publish at ``rate`` Hz for ``duration`` s; return (answers/s, frames sent)."""
        self.answers.clear()
        start, sent = time.monotonic(), 0
        while time.monotonic() - start < duration:
            sent += 1
            self.send(10**9 + sent)
            deadline = start + sent / rate
            while (left := deadline - time.monotonic()) > 0:
                self.executor.spin_once(timeout_sec=left)
            self.executor.spin_once(timeout_sec=0)
        elapsed = time.monotonic() - start
        return len(self.answers) / elapsed, sent

    def lockstep(self, duration, wait_s=2.0):
        """Send, wait for the answer, repeat for ``duration`` s; return answers/s."""
        self.answers.clear()
        start, sent = time.monotonic(), 0
        while time.monotonic() - start < duration:
            sent += 1
            self.send(10**9 + sent)
            end = time.monotonic() + wait_s
            while len(self.answers) < sent and time.monotonic() < end:
                self.executor.spin_once(timeout_sec=0.05)
            sent = len(self.answers)  # a lost frame is not waited for twice
        return len(self.answers) / (time.monotonic() - start)

    def close(self):
        self.node.destroy_node()
        self.rclpy.try_shutdown()


def run_case(flooder, args, rate):
    """One node process, one input rate (None = lockstep); return a table row."""
    env = {k: v for k, v in os.environ.items() if k != 'FASTDDS_DEFAULT_PROFILES_FILE'}
    node = start_hand_node(['-r', f'depth/image:={IMAGE}', '-r', f'depth/camera_info:={INFO}',
                            '-p', 'stats_period_s:=0.0', '-p', f'threads:={args.threads}'], env)
    try:
        if not flooder.wait_for_node():
            raise SystemExit(f'hand_node is not serving {IMAGE}: {node.last_line()}')
        if rate is None:
            out_rate, sent = flooder.lockstep(args.duration), None
        else:
            out_rate, sent = flooder.flood(rate, args.duration)
    finally:
        stats = node.stop()
    label = 'lockstep' if rate is None else f'{rate:g} Hz'
    return out_rate, (f"| {label} | {'-' if sent is None else sent} | "
                      f"{stats.get('frames_in', '?')} | {stats.get('dropped', 0)} | "
                      f"{out_rate:.1f} | {stats.get('p50_ms', float('nan')):.1f} |")


def main(argv=None):
    """Run lockstep and the flood rates; write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rates', default='30,120,500')
    parser.add_argument('--duration', type=float, default=10.0)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--out', default=os.path.join(REPO, 'docs', 'results',
                                                      'benchmarks_flood.md'))
    args = parser.parse_args(argv)
    flooder = Flooder()
    try:
        lockstep_rate, row = run_case(flooder, args, None)
        rows = [row + ' 1.00 |']
        print(rows[-1], flush=True)
        for rate in (float(r) for r in args.rates.split(',')):
            out_rate, row = run_case(flooder, args, rate)
            rows.append(row + f' {out_rate / max(lockstep_rate, 1e-9):.2f} |')
            print(rows[-1], flush=True)
    finally:
        flooder.close()
    command = ' '.join(['python -m benchmarks.bench_flood',
                        *(sys.argv[1:] if argv is None else argv)])
    text = '\n'.join([
        '## hand_node under an input flood', '',
        f'Command: `{command}`', '',
        'VGA 16UC1 frames from one best-effort publisher (sensor-data QoS, '
        f'config/fastdds_large_frames.xml on the publisher), {args.duration:g} s per '
        f'case, a fresh hand_node (console script, shipped model, threads={args.threads}) per '
        'case. Output rate = answers on /hand_joints per second; the last column compares it '
        'with lockstep (one frame in flight). Dropping frames in the newest-frame-wins queue '
        f'should cost nothing: a flood should keep a ratio near 1. {time.strftime("%Y-%m-%d")}.',
        '', '| input | frames sent | frames in (node) | dropped | output (Hz) | '
        'processing p50 (ms) | output / lockstep |', '|---|---|---|---|---|---|---|', *rows])
    replace_section(args.out, 'bench_flood', text)
    print(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
