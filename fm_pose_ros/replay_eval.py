# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Replay a hand bag into the running hand node and report accuracy and latency.

``replay_eval BAG --out DIR [--start-node [--weights W] [--params-file F]]
[--mode lockstep|realtime] [--rate X] [--timeout S]``

Publishes the bag's depth Image + CameraInfo (to ``--image-out`` / ``--info-out``, by
default the node's own relative input names) over real DDS, records ``/hand_joints``,
matches outputs to the bag's ground truth by stamp and writes the report (report.json,
plots, summary.md). ``--listen`` only records ``/hand_joints`` and the ground truth (for
``ros2 bag play`` users). Exit 0 when the run is complete, 1 with one line otherwise.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np

from fm_pose_ros.bags import BagError, DEFAULT_TOPICS, ground_truth, read_messages, stamp_ns
from fm_pose_ros.metrics import hand_report
from fm_pose_ros.report import write_report


def parse_args(argv):
    """Command-line options."""
    parser = argparse.ArgumentParser(prog='replay_eval', description=__doc__.splitlines()[0])
    parser.add_argument('bag', nargs='?', help='rosbag2 folder (mcap or sqlite3)')
    parser.add_argument('--out', default='replay_report', help='report folder')
    parser.add_argument('--mode', choices=('lockstep', 'realtime'), default='lockstep')
    parser.add_argument('--rate', type=float, default=1.0, help='realtime speed factor')
    parser.add_argument('--timeout', type=float, default=2.0,
                        help='lockstep: seconds to wait for each output')
    parser.add_argument('--wait', type=float, default=60.0,
                        help='seconds to wait for the node to appear')
    parser.add_argument('--start-node', action='store_true', help='start hand_node itself')
    parser.add_argument('--weights', help='weights for the started node')
    parser.add_argument('--backend', help='backend for the started node')
    parser.add_argument('--params-file', help='params file for the started node')
    parser.add_argument('--image-topic', default=DEFAULT_TOPICS['image'], help='in the bag')
    parser.add_argument('--info-topic', default=DEFAULT_TOPICS['camera_info'],
                        help='in the bag')
    parser.add_argument('--gt-topic', default=DEFAULT_TOPICS['ground_truth'])
    parser.add_argument('--image-out', default='depth/image', help='published image topic')
    parser.add_argument('--info-out', default='depth/camera_info')
    parser.add_argument('--output-topic', default='/hand_joints')
    parser.add_argument('--listen', type=float, metavar='SECONDS',
                        help='only record outputs and ground truth for this long')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if args.listen is None and not args.bag:
        parser.error('a bag is required unless --listen is given')
    return args


def start_node(args):
    """Start hand_node with the inputs remapped onto our output topics."""
    command = [shutil.which('hand_node') or 'hand_node', '--ros-args',
               '-r', f'depth/image:={args.image_out}',
               '-r', f'depth/camera_info:={args.info_out}', '-p', 'stats_period_s:=0.0']
    if args.params_file:
        command += ['--params-file', args.params_file]
    if args.weights:
        command += ['-p', f'weights:={args.weights}']
    if args.backend:
        command += ['-p', f'backend:={args.backend}']
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def stop_node(process):
    """SIGINT the node; return its final stats dict (empty if it printed none)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        output = process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate()[0]
    for line in output.splitlines():
        if 'final stats: ' in line:
            return json.loads(line.split('final stats: ', 1)[1].split('\x1b')[0])
    return {}


def check_stamps(images):
    """Problems with the image stamps (non-monotonic or repeated), as readable strings."""
    stamps = np.array([stamp_ns(m.header) for _, m in images], dtype=np.int64)
    problems = []
    if np.any(np.diff(stamps) < 0):
        problems.append('image stamps are not monotonic (replayed in bag order)')
    if len(np.unique(stamps)) != len(stamps):
        problems.append('repeated image stamps: their outputs cannot be told apart')
    return problems


def build_report(outputs, sent, truth, duration_s, problems):
    """Match outputs to ground truth by stamp; the report dict of metrics.hand_report."""
    matched = [s for s in outputs if s in truth]
    pred = np.array([outputs[s][0] for s in matched]).reshape(-1, 14, 3)
    gt = np.array([truth[s] for s in matched]).reshape(-1, 14, 3)
    latency = [(outputs[s][1] - sent[s]) * 1e3 for s in sorted(outputs) if s in sent]
    report = hand_report(pred, gt, latency, frames_in=len(sent), frames_out=len(outputs),
                         duration_s=duration_s)
    report['frames_with_ground_truth'] = len(matched)
    report['problems'] = problems
    return report, latency


def run(args):
    """Replay or listen; return (report dict, end-to-end latencies in ms)."""
    from fm_pose_ros.replay_node import listen, replay
    if args.listen is not None:
        outputs, truth, duration = listen(args)
        sent = {s: t for s, (_, t) in truth.items()}
        truth = {s: j for s, (j, _) in truth.items()}
        return build_report(outputs, sent, truth, duration, [])
    topics = {'image': args.image_topic, 'camera_info': args.info_topic,
              'ground_truth': args.gt_topic}
    messages = read_messages(args.bag, topics)
    problems = check_stamps(messages['image'])
    if not messages['ground_truth']:
        problems.append(f'no ground truth on {args.gt_topic}: latency only')
    outputs, sent, duration = replay(args, messages)
    if not outputs:
        problems.append('the node never answered')
    report, latency = build_report(outputs, sent, ground_truth(messages), duration, problems)
    if 0 < len(outputs) < len(sent):
        report['notes'] = [f'{len(sent) - len(outputs)} of {len(sent)} frames got no output '
                           '(no hand found, dropped or timed out)']
    return report, latency


def main(argv=None):
    """Entry point of ``replay_eval``; exit status 0 only for a complete, clean run."""
    args = parse_args(argv)
    os.environ.setdefault('FASTDDS_BUILTIN_TRANSPORTS', 'LARGE_DATA')
    node = start_node(args) if args.start_node else None
    try:
        report, latency = run(args)
    except (BagError, TimeoutError) as exc:
        print(f'replay_eval: {exc}', file=sys.stderr)
        return 1
    finally:
        node_stats = stop_node(node) if node else None
    if node_stats is not None:
        report['node_stats'] = node_stats
    write_report(args.out, report, f'Replay of {args.bag or "live topics"}', latency)
    print(f"replay_eval: {report['frames_out']}/{report['frames_in']} frames answered, "
          f"mean joint error {report['mean_joint_error_mm']:.2f} mm, latency p50 "
          f"{report['latency_ms']['p50']:.2f} ms p99 {report['latency_ms']['p99']:.2f} ms, "
          f"report in {args.out}")
    if report['problems']:
        print(f"replay_eval: incomplete: {'; '.join(report['problems'])}", file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
