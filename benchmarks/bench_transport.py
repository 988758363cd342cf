# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""How many VGA depth frames reach hand_node, by publisher QoS and transport profile.

``python -m benchmarks.bench_transport [--frames 300] [--rate 30]
[--out docs/results/benchmarks_transport.md]``

Starts ``hand_node`` (console script, no transport variables, ``qos_reliability`` auto) and,
per case, a publisher process that sends ``--frames`` VGA 16UC1 frames at ``--rate`` Hz and
counts the node's answers on ``/hand_joints`` (one per frame that arrived, empty or not):
a default-environment RELIABLE publisher; a BEST_EFFORT one; a BEST_EFFORT one started with
``FASTDDS_DEFAULT_PROFILES_FILE=config/fastdds_large_frames.xml`` (the profile on the
publisher only). Writes a table with the command into ``--out`` (its own marked section).
"""

import argparse
import json
import os
import subprocess
import sys
import time

from benchmarks.node_bench_common import hand_frame, K_VGA, replace_section, start_hand_node

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILE = os.path.join(REPO, 'config', 'fastdds_large_frames.xml')
IMAGE, INFO = '/bench/depth/image', '/bench/depth/camera_info'
# (label, publisher reliability, profile on the publisher)
CASES = (('reliable publisher, default transport', 'reliable', False),
         ('best-effort publisher, default transport', 'best_effort', False),
         ('best-effort publisher with config/fastdds_large_frames.xml', 'best_effort', True))
SETTLE_S = 3.0  # after discovery: the node's auto QoS re-checks every second
DRAIN_S = 3.0   # after the last frame: answers still on their way


def publish(frames, rate, reliability):
    """Send the frames, count the answers, print one JSON line (the publisher process)."""
    from geometry_msgs.msg import PoseArray
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image
    from std_msgs.msg import Header

    from fm_pose_ros.evaluation.replay_node import spin_until
    from fm_pose_ros.ros.camera_messages import camera_info_msg
    from fm_pose_ros.ros.hand_messages import depth_image_msg

    rclpy.init()
    node = rclpy.create_node('bench_publisher')
    policy = (ReliabilityPolicy.RELIABLE if reliability == 'reliable'
              else ReliabilityPolicy.BEST_EFFORT)
    qos = QoSProfile(depth=5, reliability=policy)
    image_pub = node.create_publisher(Image, IMAGE, qos)
    info_pub = node.create_publisher(CameraInfo, INFO, qos)
    answers = set()
    node.create_subscription(PoseArray, '/hand_joints',
                             lambda m: answers.add(m.header.stamp.sec * 10**9
                                                   + m.header.stamp.nanosec), 100)
    executor = rclpy.executors.SingleThreadedExecutor()
    executor.add_node(node)
    spin_until(executor, lambda: image_pub.get_subscription_count() > 0
               and node.count_publishers('/hand_joints') > 0, 60.0)
    spin_until(executor, lambda: False, SETTLE_S)
    depth = hand_frame()
    start = time.monotonic()
    for i in range(frames):
        header = Header(frame_id='camera_depth_optical_frame')
        header.stamp.sec, header.stamp.nanosec = 1000 + i, 0
        info_pub.publish(camera_info_msg(K_VGA, 640, 480, header))
        image_pub.publish(depth_image_msg(depth, header))
        deadline = start + (i + 1) / rate
        while (left := deadline - time.monotonic()) > 0:
            executor.spin_once(timeout_sec=left)
    spin_until(executor, lambda: len(answers) >= frames, DRAIN_S)
    print(json.dumps({'sent': frames, 'answered': len(answers)}), flush=True)
    node.destroy_node()
    rclpy.try_shutdown()


def run_case(args, reliability, profile):
    """One node + one publisher process; return (answered, sent, node final stats)."""
    node = start_hand_node(['-r', f'depth/image:={IMAGE}', '-r', f'depth/camera_info:={INFO}',
                            '-p', 'stats_period_s:=0.0', '-p', f'threads:={args.threads}'])
    try:
        env = dict(os.environ)
        if profile:
            env['FASTDDS_DEFAULT_PROFILES_FILE'] = PROFILE
        command = [sys.executable, '-m', 'benchmarks.bench_transport', '--publisher',
                   reliability, '--frames', str(args.frames), '--rate', str(args.rate)]
        limit = 90.0 + args.frames / args.rate + DRAIN_S
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=limit,
                              cwd=REPO)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith('{')]
        if not lines:
            raise SystemExit(f'publisher failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}')
        result = json.loads(lines[-1])
    finally:
        stats = node.stop()
    return result['answered'], result['sent'], stats


def main(argv=None):
    """Run the cases; write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=300)
    parser.add_argument('--rate', type=float, default=30.0)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--out', default=os.path.join(REPO, 'docs', 'results',
                                                      'benchmarks_transport.md'))
    parser.add_argument('--publisher', choices=('reliable', 'best_effort'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.publisher:
        return publish(args.frames, args.rate, args.publisher)
    os.environ.pop('FASTDDS_BUILTIN_TRANSPORTS', None)
    rows = []
    for label, reliability, profile in CASES:
        answered, sent, stats = run_case(args, reliability, profile)
        rows.append(f"| {label} | {sent} | {stats.get('frames_in', '?')} | {answered} |")
        print(rows[-1], flush=True)
    command = ' '.join(['python -m benchmarks.bench_transport',
                        *(sys.argv[1:] if argv is None else argv)])
    text = '\n'.join([
        '## Transport: VGA depth frames into hand_node by publisher QoS', '',
        f'Command: `{command}`', '',
        f'{args.frames} VGA 16UC1 frames (600 kB) at {args.rate:g} Hz from a separate '
        'publisher process; hand_node started as its console script with no transport '
        'variables (qos_reliability auto). Answers = PoseArrays received on /hand_joints '
        f'(one per processed frame). {time.strftime("%Y-%m-%d")}.', '',
        '| publisher | frames sent | frames in (node) | answers |', '|---|---|---|---|',
        *rows])
    replace_section(args.out, 'bench_transport', text)
    print(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
