# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Soak test of the hand node: VGA depth at 30 Hz for ``--minutes``; memory growth and output.

``python -m benchmarks.soak [--minutes 30] [--rate 30] [--weights W] [--doc F]``

Starts ``hand_node`` as its console script (its own process), publishes real-like VGA 16UC1
depth frames (a rendered hand motion, cycled) with their CameraInfo at ``--rate`` Hz over DDS,
samples the node's resident memory (``/proc/<pid>/status`` VmRSS) every ``--sample-s``
seconds, counts the outputs and any non-finite value in them, then stops the node with SIGINT
and reads its final statistics. The result table (RSS growth in MB/min by a linear fit,
leaving out the first minute when the run is long enough; frames in and out; non-finite
outputs) and the command are written into ``--doc`` between the soak markers (default
docs/results/soak.md) and printed.
"""

import argparse
import os
import sys
import time

from geometry_msgs.msg import PoseArray
import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from benchmarks.node_bench_common import replace_section, start_hand_node
from fm_pose_ros.core.resources import default_hand_weights
from fm_pose_ros.ros.camera_messages import camera_info_msg
from fm_pose_ros.ros.hand_messages import depth_image_msg, pose_array_to_joints
from training.hand.datasets import pose_sequence, real_like_frames

DISTINCT_FRAMES = 30
WARM_UP_S = 60.0  # RSS samples before this are start-up, not growth (when enough remain)


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=30.0, help='duration (default 30)')
    parser.add_argument('--rate', type=float, default=30.0, help='frames per second')
    parser.add_argument('--sample-s', type=float, default=10.0, help='RSS sampling period')
    parser.add_argument('--weights', default='', help='hand weights (default: shipped model)')
    parser.add_argument('--doc', default=os.path.join('docs', 'results', 'soak.md'),
                        help='markdown file whose soak section is replaced ("" = none)')
    args = parser.parse_args(argv)
    if args.minutes < 0 or args.rate <= 0 or args.sample_s <= 0:
        parser.error('--minutes must be >= 0, --rate and --sample-s positive')
    return args


def rss_mb(pid):
    """Return the resident memory of ``pid`` in MB (VmRSS), or None when it is gone."""
    try:
        with open(f'/proc/{pid}/status', encoding='ascii') as handle:
            for line in handle:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


class Feeder:
    """Publishes depth + CameraInfo; counts outputs and non-finite ones."""

    def __init__(self, node, frames):
        self.node, self.frames = node, frames
        self.image_pub = node.create_publisher(Image, 'depth/image', 10)
        self.info_pub = node.create_publisher(CameraInfo, 'depth/camera_info', 10)
        self.sent = self.received = self.non_finite = 0
        node.create_subscription(PoseArray, '/hand_joints', self._on_output, 10)

    def _on_output(self, msg):
        if not msg.poses:  # the empty "no hand" answer
            return
        self.received += 1
        self.non_finite += int(not np.isfinite(pose_array_to_joints(msg)).all())

    def publish(self):
        """Publish the next frame and its CameraInfo with a fresh stamp."""
        frame = self.frames[self.sent % len(self.frames)]
        header = Header(stamp=self.node.get_clock().now().to_msg(),
                        frame_id='camera_depth_optical_frame')
        depth = frame['depth']
        self.info_pub.publish(camera_info_msg(frame['K'], depth.shape[1], depth.shape[0],
                                              header))
        self.image_pub.publish(depth_image_msg(depth, header))
        self.sent += 1


def render_frames(count=DISTINCT_FRAMES, seed=0):
    """Render a hand motion as real-like VGA depth frames (the demo's generator)."""
    rng = np.random.default_rng(seed)
    frames = real_like_frames(rng, count, label_noise=False, poses=pose_sequence(rng, count))
    return [{'depth': f['depth'], 'K': f['K']} for f in frames]


def wait_for_node(executor, feeder, node, timeout_s=120.0):
    """Spin until the node subscribes to the images; False if it exited or never did."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and node.alive():
        executor.spin_once(timeout_sec=0.1)
        if feeder.image_pub.get_subscription_count() > 0:
            return True
    return False


def run_feed(executor, feeder, pid, args):
    """Publish at ``args.rate`` for ``args.minutes``; return the RSS samples [(s, MB)]."""
    start = time.monotonic()
    period = 1.0 / args.rate
    samples, next_sample, next_frame = [], start, start
    while True:
        now = time.monotonic()
        if now >= next_sample:
            samples.append((now - start, rss_mb(pid)))
            next_sample += args.sample_s
        if now - start >= args.minutes * 60.0:
            return samples
        if now >= next_frame:
            feeder.publish()
            next_frame += period
        executor.spin_once(timeout_sec=max(0.0, min(next_frame, next_sample) - now))


def growth_mb_per_min(samples, warm_up_s=WARM_UP_S):
    """Return the slope of a least-squares line through the RSS samples, MB/min.

    Samples of the first ``warm_up_s`` are left out when at least two remain (start-up
    allocations are not growth). Returns ``(slope, samples used)``; NaN for fewer than 2.
    """
    points = np.array([(t, mb) for t, mb in samples if mb is not None], np.float64)
    settled = points[points[:, 0] >= warm_up_s] if len(points) else points
    points = settled if len(settled) >= 2 else points
    if len(points) < 2:
        return float('nan'), len(points)
    return float(np.polyfit(points[:, 0] / 60.0, points[:, 1], 1)[0]), len(points)


def result_table(args, samples, feeder, stats, argv):
    """Return the result and the command that produced it as markdown."""
    rss = [mb for _, mb in samples if mb is not None]
    command = 'python -m benchmarks.soak ' + ' '.join(argv)
    rows = [('duration', f'{args.minutes:g} min at {args.rate:g} Hz, VGA 16UC1'),
            ('RSS first / last / max', f'{rss[0]:.1f} / {rss[-1]:.1f} / {max(rss):.1f} MB'
             if rss else 'n/a'),
            ('RSS growth (linear fit)', '{:.3f} MB/min over {} samples'.format(
                *growth_mb_per_min(samples))),
            ('frames published / node frames_in / outputs received',
             f"{feeder.sent} / {stats.get('frames_in', 'n/a')} / {feeder.received}"),
            ('node frames_out / dropped', f"{stats.get('frames_out', 'n/a')} / "
             f"{stats.get('dropped', 0)}"),
            ('non-finite outputs received / node non_finite skips',
             f"{feeder.non_finite} / {stats.get('non_finite', 0)}"),
            ('node errors', str(stats.get('errors', 0)))]
    lines = [f'Command: `{command.strip()}`', '', '| measure | value |', '| --- | --- |']
    return '\n'.join(lines + [f'| {name} | {value} |' for name, value in rows]) + '\n'


def main(argv=None):
    """Entry point: run the soak, print the table, write it into ``--doc``."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    frames = render_frames()
    node_process = start_hand_node(['-p', f'weights:={args.weights or default_hand_weights()}',
                                    '-p', 'stats_period_s:=0.0'])
    rclpy.init()
    node = rclpy.create_node('soak_feeder')
    feeder, executor = Feeder(node, frames), SingleThreadedExecutor()
    executor.add_node(node)
    try:
        if not wait_for_node(executor, feeder, node_process):
            print(f'soak: hand_node does not subscribe to depth/image: '
                  f'{node_process.last_line()}', file=sys.stderr)
            return 1
        samples = run_feed(executor, feeder, node_process.pid, args)
        for _ in range(20):  # outputs still on their way
            executor.spin_once(timeout_sec=0.05)
    finally:
        stats = node_process.stop()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    table = result_table(args, samples, feeder, stats, argv)
    print(table, end='')
    if args.doc:
        replace_section(args.doc, 'soak', table)
    return 0


if __name__ == '__main__':
    sys.exit(main())
