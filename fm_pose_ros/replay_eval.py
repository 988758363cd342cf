# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Replay a hand bag into a running hand node over DDS and report accuracy and latency.

``replay_eval BAG --out DIR [--start-node [--weights W] [--backend B] [--params-file F]]
[--mode lockstep|realtime] [--rate X] [--timeout S] [--namespace NS]``

Publishes the bag's depth Image + CameraInfo (to ``--image-out`` / ``--info-out``, by
default the node's own relative input names, inside ``--namespace``) over real DDS, records
``/hand_joints``, matches outputs to the bag's ground truth by exact stamp, measures the
end-to-end latency (publication -> output received, ms) and writes the report (report.json,
plots, summary.md). ``--listen SECONDS`` only records ``/hand_joints`` and the ground truth
(for ``ros2 bag play`` users; Ctrl-C ends it early and still writes the report). Exit 0 when
the run is complete; otherwise 1 and one line on stderr (a partial report is written whenever
the bag could be read).
"""

import argparse
from collections import deque
import json
import os
import signal
import subprocess
import sys
import threading

import numpy as np

from fm_pose_ros.bags import BagError, DEFAULT_TOPICS, ground_truth, read_messages, stamp_ns
from fm_pose_ros.hand_joints import NUM_JOINTS
from fm_pose_ros.metrics import hand_report, joint_errors_mm
from fm_pose_ros.report import write_report

STATS_MARK = 'final stats: '
STOP_TIMEOUT_S = 30.0


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog='replay_eval', description=__doc__.splitlines()[0])
    parser.add_argument('bag', nargs='?', help='rosbag2 folder (mcap or sqlite3)')
    parser.add_argument('--out', default='replay_report', help='report folder')
    parser.add_argument('--mode', choices=('lockstep', 'realtime'), default='lockstep',
                        help='lockstep: next frame when the output arrived (or --timeout); '
                        'realtime: at the recorded times divided by --rate')
    parser.add_argument('--rate', type=float, default=1.0,
                        help='realtime speed factor (large = flat out)')
    parser.add_argument('--timeout', type=float, default=2.0,
                        help='seconds to wait for an output (per frame in lockstep)')
    parser.add_argument('--wait', type=float, default=60.0,
                        help='seconds to wait for the node to appear')
    parser.add_argument('--start-node', action='store_true',
                        help='start hand_node as a subprocess and stop it (SIGINT) at the end')
    parser.add_argument('--weights', help='weights for the started node')
    parser.add_argument('--backend', help='backend for the started node')
    parser.add_argument('--params-file', help='params file for the started node')
    parser.add_argument('--image-topic', default=DEFAULT_TOPICS['image'], help='in the bag')
    parser.add_argument('--info-topic', default=DEFAULT_TOPICS['camera_info'],
                        help='in the bag')
    parser.add_argument('--gt-topic', default=DEFAULT_TOPICS['ground_truth'],
                        help='ground truth in the bag (or live with --listen)')
    parser.add_argument('--image-out', default='depth/image', help='published image topic')
    parser.add_argument('--info-out', default='depth/camera_info',
                        help='published CameraInfo topic')
    parser.add_argument('--namespace', default='',
                        help='namespace of the node: relative published topics resolve in '
                        'it, and a started node runs in it')
    parser.add_argument('--output-topic', default='/hand_joints')
    parser.add_argument('--listen', type=float, metavar='SECONDS',
                        help='only record outputs and ground truth for this long '
                        '(Ctrl-C ends earlier)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    if args.listen is None and not args.bag:
        parser.error('a bag is required unless --listen is given')
    if args.rate <= 0 or args.timeout <= 0:
        parser.error('--rate and --timeout must be positive')
    if args.listen is not None and args.listen <= 0:
        parser.error('--listen must be positive')
    if args.namespace and not args.namespace.startswith('/'):
        args.namespace = '/' + args.namespace
    return args


class NodeProcess:
    """``hand_node`` as a subprocess; its output is read on a thread so the pipe never fills."""

    def __init__(self, args):
        command = [sys.executable, '-m', 'fm_pose_ros.hand_node', '--ros-args',
                   '-r', f'depth/image:={args.image_out}',
                   '-r', f'depth/camera_info:={args.info_out}', '-p', 'stats_period_s:=0.0']
        if args.namespace:
            command += ['-r', f'__ns:={args.namespace}']
        if args.params_file:
            command += ['--params-file', args.params_file]
        if args.weights:
            command += ['-p', f'weights:={args.weights}']
        if args.backend:
            command += ['-p', f'backend:={args.backend}']
        self.lines = deque(maxlen=50)
        self.final_stats = None
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            line = line.split('\x1b')[0].rstrip()  # drop colour codes
            if STATS_MARK in line:
                try:
                    self.final_stats = json.loads(line.split(STATS_MARK, 1)[1])
                except json.JSONDecodeError:
                    self.lines.append(line)
            elif line.strip():
                self.lines.append(line)

    def alive(self):
        """Whether the node is still running."""
        return self.process.poll() is None

    def last_line(self):
        """Return the node's last log line ('' if none)."""
        return self.lines[-1] if self.lines else ''

    def stop(self):
        """SIGINT the node, wait for it; return its final stats dict ({} if none)."""
        if self.alive():
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5.0)
        return self.final_stats or {}


def check_stamps(images):
    """Raise BagError when image stamps go backwards or repeat (outputs are matched by them)."""
    stamps = np.array([stamp_ns(m.header) for _, m in images], dtype=np.int64)
    if not len(stamps):
        raise BagError('the bag has no depth images on the image topic')
    backwards = np.flatnonzero(np.diff(stamps) < 0)
    if len(backwards):
        raise BagError(f'image stamps are not monotonic: frame {backwards[0] + 1} is stamped '
                       'before the one recorded ahead of it')
    if len(np.unique(stamps)) != len(stamps):
        raise BagError('repeated image stamps: their outputs cannot be told apart')


def per_frame(outputs, sent, truth):
    """One record per answered frame: stamp (ns), latency (ms), mean joint error (mm)."""
    records = []
    for stamp in sorted(outputs):
        joints, received = outputs[stamp]
        records.append({
            'stamp_ns': stamp,
            'latency_ms': (received - sent[stamp]) * 1e3 if stamp in sent else None,
            'mean_error_mm': (float(joint_errors_mm(joints[None], truth[stamp][None]).mean())
                              if stamp in truth else None)})
    return records


def input_rate(times_s):
    """Publication rate in frames/s from publication times (s); NaN for fewer than 2."""
    times = np.sort(np.fromiter(times_s, np.float64))
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return float((len(times) - 1) / span) if span > 0 else float('nan')


def build_report(result, truth, frames_read, extra=None):
    """Match outputs to ground truth by stamp; return (report dict, latencies in ms)."""
    outputs = {s: v for s, v in result.outputs.items() if v[0].shape == (NUM_JOINTS, 3)}
    matched = sorted(s for s in outputs if s in truth)
    pred = np.array([outputs[s][0] for s in matched]).reshape(-1, NUM_JOINTS, 3)  # mm
    gt = np.array([truth[s] for s in matched]).reshape(-1, NUM_JOINTS, 3)  # mm
    latency = [(outputs[s][1] - result.sent[s]) * 1e3 for s in sorted(outputs)
               if s in result.sent]  # ms, frame order
    report = hand_report(pred, gt, latency, frames_in=len(result.sent),
                         frames_out=len(result.outputs), duration_s=result.duration_s,
                         extra={'frames_read': frames_read, 'problems': [], 'notes': [],
                                **(extra or {})})
    report['per_frame'] = per_frame(outputs, result.sent, truth)
    report['input_fps'] = input_rate(result.sent.values())
    if result.problem:
        report['problems'].append(result.problem)
    if len(outputs) < len(result.outputs):
        report['problems'].append(f'{len(result.outputs) - len(outputs)} outputs did not have '
                                  f'{NUM_JOINTS} poses')
    if len(matched) < len(outputs):
        report['notes'].append(f'{len(outputs) - len(matched)} outputs have no ground truth')
    return report, latency


def run_replay(args):
    """Read the bag, replay it (starting the node if asked); return (report, latencies)."""
    from fm_pose_ros.replay_node import replay
    topics = {'image': args.image_topic, 'camera_info': args.info_topic,
              'ground_truth': args.gt_topic}
    messages = read_messages(args.bag, topics)
    check_stamps(messages['image'])
    node = NodeProcess(args) if args.start_node else None
    try:
        result = replay(args, messages, node.alive if node else (lambda: True))
    finally:
        node_stats = node.stop() if node else None
    if node and result.problem and node.last_line():
        result.problem += f' (hand_node said: {node.last_line()})'
    extra = {'bag': os.path.abspath(args.bag), 'mode': args.mode,
             'rate': args.rate if args.mode == 'realtime' else None, 'topics': result.topics}
    if node_stats is not None:
        extra['node_stats'] = node_stats
    report, latency = build_report(result, ground_truth(messages), len(messages['image']),
                                   extra)
    if not messages['ground_truth']:
        report['problems'].append(f'no ground truth on {args.gt_topic}: latency only')
    answered = len(result.outputs)
    if 0 < answered < len(result.sent):
        report['notes'].append(f'{len(result.sent) - answered} of {len(result.sent)} frames got '
                               'no output (no hand found, dropped or timed out)')
    return report, latency


def run_listen(args):
    """Record live outputs and ground truth for ``--listen`` s; return (report, latencies)."""
    from fm_pose_ros.replay_node import listen
    result = listen(args, on_ready=lambda text: print(f'replay_eval: {text}', flush=True))
    report, latency = build_report(result, result.truth, len(result.truth),
                                   {'mode': 'listen', 'listen_s': args.listen})
    if not result.truth:
        report['problems'].append(f'nothing received on {args.gt_topic}')
    return report, latency


def main(argv=None):
    """Entry point of ``replay_eval``; exit status 0 only for a complete, clean run."""
    args = parse_args(argv)
    # Ctrl-C and SIGTERM -> KeyboardInterrupt, also when started as a background job (which
    # inherits an ignored SIGINT): a started node is then stopped, a listen report written
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # shared memory + TCP for large images, here and in the node we start (DESIGN.md 5)
    os.environ.setdefault('FASTDDS_BUILTIN_TRANSPORTS', 'LARGE_DATA')
    try:
        report, latency = run_listen(args) if args.listen is not None else run_replay(args)
    except BagError as exc:
        print(f'replay_eval: {exc}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('replay_eval: interrupted', file=sys.stderr)
        return 130
    title = f"Replay of {args.bag} ({report['mode']})" if args.bag else 'Live topics'
    write_report(args.out, report, title, latency)
    if report['problems']:
        print(f"replay_eval: {'; '.join(report['problems'])} ({report['frames_read']} frames "
              f"read, {report['frames_in']} published, {report['frames_out']} answered; "
              f'partial report in {args.out})', file=sys.stderr)
        return 1
    print(f"replay_eval: {report['frames_out']}/{report['frames_in']} frames answered, "
          f"mean joint error {report['mean_joint_error_mm']:.2f} mm, latency p50 "
          f"{report['latency_ms']['p50']:.2f} ms p99 {report['latency_ms']['p99']:.2f} ms, "
          f"{report['fps']:.1f} frames/s, report in {args.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
