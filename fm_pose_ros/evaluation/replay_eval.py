# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Replay a hand or object bag into a running pose node over DDS; report accuracy and latency.

``replay_eval BAG --out DIR [--task hand|object] [--start-node [--weights W] [--backend B]
[--params-file F]] [--mode lockstep|realtime] [--rate X] [--timeout S] [--namespace NS]``

Publishes the bag's Image + CameraInfo (to ``--image-out`` / ``--info-out``, by default the
node's own relative input names, inside ``--namespace``) over real DDS, records the node's
output (``/hand_joints`` or ``/object_pose``), matches outputs to the bag's ground truth by
exact stamp, measures the end-to-end latency (publication -> output received, ms) and writes
the report (report.json, plots, summary.md). ``--task`` defaults to what the bag holds:
object when its ground-truth topic holds PoseStamped; the topics
default per task (TASK_DEFAULTS). Object accuracies use the model points, diameter and
symmetry in the weights' metadata (``--weights``, else the shipped object model); frames
without an output count as not found. ``--listen SECONDS`` only records the outputs and the
ground truth (for ``ros2 bag play`` users; Ctrl-C ends it early and still writes the report).
A damaged bag (mcap chunk CRC, sqlite3 integrity check) is refused in one line; with
``--skip-corrupt`` the frames of damaged mcap chunks are left out and counted in the report
(``corrupt_chunks``, ``corrupt_frames``).
Exit 0 when the run is complete; otherwise 1 and one line on stderr (a partial report is
written whenever the bag could be read).
"""

import argparse
from collections import deque
import json
import os
import signal
import subprocess
import sys
import threading
import warnings

import numpy as np

from fm_pose_ros.core.hand_joints import NUM_JOINTS
from fm_pose_ros.core.resources import default_object_weights
from fm_pose_ros.core.weights import CheckpointError, read_metadata
from fm_pose_ros.evaluation.bags import (
    BagError, detect_task, ground_truth, read_messages, stamp_ns, TASK_TOPICS)
from fm_pose_ros.evaluation.metrics import (
    add_errors, hand_report, joint_errors_mm, latency_stats, object_metrics, proj2d_errors)
from fm_pose_ros.evaluation.report import write_report

STATS_MARK = 'final stats: '
STOP_TIMEOUT_S = 30.0
# per task: the node's module, then the defaults of the task-dependent options (the bag's
# topics, the node's relative input names that we publish to, the node's output topic)
NODE_MODULES = {'hand': 'fm_pose_ros.ros.hand_node', 'object': 'fm_pose_ros.ros.object_node'}
TASK_DEFAULTS = {
    task: {'image_topic': topics['image'], 'info_topic': topics['camera_info'],
           'gt_topic': topics['ground_truth'], **node}
    for task, topics, node in (
        ('hand', TASK_TOPICS['hand'], {'image_out': 'depth/image',
                                       'info_out': 'depth/camera_info',
                                       'output_topic': 'hand_joints'}),
        ('object', TASK_TOPICS['object'], {'image_out': 'image', 'info_out': 'camera_info',
                                           'output_topic': 'object_pose'}))}
TASK_DEFAULTS['object'].update(depth_topic=TASK_TOPICS['object']['depth'],
                               depth_out='depth/image')
RGBD_KEYS = ('frames_in', 'frames_out', 'proj2d_acc', 'add_acc', 'cm5deg5_acc', 'add_metric',
             'adds_acc', 'detected', 'median_add_mm', 'median_proj2d_px',
             'median_rotation_deg', 'median_translation_mm', 'frames', 'latency_ms', 'fps')
IMAGE_KINDS = {'hand': 'depth', 'object': 'colour'}


def parse_args(argv):
    """Parse the command line (task-dependent options stay None until resolve_task)."""
    parser = argparse.ArgumentParser(prog='replay_eval', description=__doc__.splitlines()[0])
    parser.add_argument('bag', nargs='?', help='rosbag2 folder (mcap or sqlite3)')
    parser.add_argument('--out', default='replay_report', help='report folder')
    parser.add_argument('--task', choices=tuple(NODE_MODULES),
                        help='default: object when the ground-truth topic holds PoseStamped, '
                        'else hand (hand with --listen)')
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
                        help='start hand_node or object_node as a subprocess and stop it '
                        '(SIGINT) at the end')
    parser.add_argument('--weights', help='weights for the started node (object task: also '
                        'the model points for the accuracies)')
    parser.add_argument('--backend', help='backend for the started node')
    parser.add_argument('--params-file', help='params file for the started node')
    for option, text in (('image-topic', 'image topic in the bag'),
                         ('info-topic', 'CameraInfo topic in the bag'),
                         ('gt-topic', 'ground truth in the bag (or live with --listen)'),
                         ('image-out', 'published image topic'),
                         ('info-out', 'published CameraInfo topic'),
                         ('output-topic', "the node's output topic")):
        defaults = ', '.join(f"{task}: {values[option.replace('-', '_')]}"
                             for task, values in TASK_DEFAULTS.items())
        parser.add_argument(f'--{option}', help=f'{text} (default {defaults})')
    parser.add_argument('--depth-topic', help='object task: aligned depth in the bag (default '
                        f"{TASK_TOPICS['object']['depth']}; replayed in a second pass when "
                        'the bag has it)')
    parser.add_argument('--depth-out', help="object task: published depth topic (default the "
                        "node's depth/image)")
    parser.add_argument('--no-depth', action='store_true',
                        help='object task: replay colour only, even when the bag has depth')
    parser.add_argument('--namespace', default='',
                        help='namespace of the node: relative published topics resolve in '
                        'it, and a started node runs in it')
    parser.add_argument('--listen', type=float, metavar='SECONDS',
                        help='only record outputs and ground truth for this long '
                        '(Ctrl-C ends earlier)')
    parser.add_argument('--skip-corrupt', action='store_true',
                        help='evaluate a bag with damaged mcap chunks without their frames '
                        '(counted in the report); default: refuse it')
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


def resolve_task(args):
    """Set ``args.task`` (from the bag unless given) and the task's defaults; return args.

    Raises BagError when the bag must be read to tell the task and cannot be.
    """
    if args.task is None:
        args.task = detect_task(args.bag, args.gt_topic) if args.listen is None else 'hand'
    for name, value in TASK_DEFAULTS[args.task].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.task != 'object' and (args.depth_topic or args.depth_out):
        raise BagError('--depth-topic and --depth-out are for the object task')
    return args


class NodeProcess:
    """The task's node as a subprocess; its output is read on a thread (the pipe never fills).

    Its relative inputs (TASK_DEFAULTS' ``image_out`` / ``info_out``) are remapped to
    ``args.image_out`` / ``args.info_out``.
    """

    def __init__(self, args):
        inputs = TASK_DEFAULTS[args.task]
        command = [sys.executable, '-m', NODE_MODULES[args.task], '--ros-args',
                   '-r', f"{inputs['image_out']}:={args.image_out}",
                   '-r', f"{inputs['info_out']}:={args.info_out}", '-p', 'stats_period_s:=0.0']
        if args.task == 'object':
            command += ['-r', f"{inputs['depth_out']}:={args.depth_out}"]
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


def check_stamps(images, kind='depth'):
    """Raise BagError when image stamps go backwards or repeat (outputs are matched by them)."""
    stamps = np.array([stamp_ns(m.header) for _, m in images], dtype=np.int64)
    if not len(stamps):
        raise BagError(f'the bag has no {kind} images on the image topic')
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


def object_per_frame(outputs, sent, truth, camera_k, model):
    """One record per answered frame: stamp (ns), latency (ms), ADD(-S) (mm), 2D error (px)."""
    records = []
    for stamp in sorted(outputs):
        (R, t), received = outputs[stamp]
        record = {'stamp_ns': stamp,
                  'latency_ms': (received - sent[stamp]) * 1e3 if stamp in sent else None,
                  'add_mm': None, 'proj2d_px': None}
        if stamp in truth:
            poses = (R[None], t[None], truth[stamp][0][None], truth[stamp][1][None],
                     model['points_m'])
            record['add_mm'] = float(add_errors(*poses, model['symmetric'])[0] * 1e3)
            if stamp in camera_k:
                record['proj2d_px'] = float(proj2d_errors(*poses, camera_k[stamp][None])[0])
        records.append(record)
    return records


def input_rate(times_s):
    """Publication rate in frames/s from publication times (s); NaN for fewer than 2."""
    times = np.sort(np.fromiter(times_s, np.float64))
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return float((len(times) - 1) / span) if span > 0 else float('nan')


def latencies_ms(outputs, sent):
    """End-to-end latency (ms) of every answered frame that we sent, in frame order."""
    return [(outputs[s][1] - sent[s]) * 1e3 for s in sorted(outputs) if s in sent]


def _base_extra(frames_read, extra):
    return {'frames_read': frames_read, 'problems': [], 'notes': [], **(extra or {})}


def _add_run_notes(report, result, outputs, truth):
    """Input rate, the replay's problem and the outputs without ground truth."""
    report['input_fps'] = input_rate(result.sent.values())
    if result.problem:
        report['problems'].append(result.problem)
    unmatched = sum(s not in truth for s in outputs)
    if unmatched:
        report['notes'].append(f'{unmatched} outputs have no ground truth')


def build_report(result, truth, frames_read, extra=None):
    """Hand: match outputs to ground truth by stamp; return (report dict, latencies in ms)."""
    outputs = {s: v for s, v in result.outputs.items() if v[0].shape == (NUM_JOINTS, 3)}
    matched = sorted(s for s in outputs if s in truth)
    pred = np.array([outputs[s][0] for s in matched]).reshape(-1, NUM_JOINTS, 3)  # mm
    gt = np.array([truth[s] for s in matched]).reshape(-1, NUM_JOINTS, 3)  # mm
    latency = latencies_ms(outputs, result.sent)
    report = hand_report(pred, gt, latency, frames_in=len(result.sent),
                         frames_out=len(result.outputs), duration_s=result.duration_s,
                         extra=_base_extra(frames_read, extra))
    report['per_frame'] = per_frame(outputs, result.sent, truth)
    _add_run_notes(report, result, outputs, truth)
    if len(outputs) < len(result.outputs):
        report['problems'].append(f'{len(result.outputs) - len(outputs)} outputs did not have '
                                  f'{NUM_JOINTS} poses')
    return report, latency


def object_model(weights):
    """Read the evaluated object from the metadata of ``weights`` (default: shipped model).

    Returns ``{'weights', 'points_m' (P, 3) m, 'diameter_m', 'symmetric'}``; raises
    CheckpointError for a missing file, hand weights or incomplete object metadata.
    """
    path = weights or default_object_weights()
    metadata = read_metadata(path)
    if metadata.get('task') != 'object':
        raise CheckpointError(f"{path}: task is {metadata.get('task')!r}, expected 'object'")
    try:
        info = metadata['object']
        return {'weights': os.path.abspath(path),
                'points_m': np.asarray(info['points_m'], np.float64).reshape(-1, 3),
                'diameter_m': float(info['diameter_m']), 'symmetric': bool(info['symmetric'])}
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f'{path}: object metadata has no usable points_m, diameter_m '
                              f'and symmetric: {exc}') from exc


def _object_arrays(stamps, outputs, truth, camera_k):
    """Predicted (NaN when no output) and true poses and K of ``stamps``, as arrays."""
    missing = (np.full((3, 3), np.nan), np.full(3, np.nan))
    pred = [outputs[s][0] if s in outputs else missing for s in stamps]
    pred_R = np.array([R for R, _ in pred]).reshape(-1, 3, 3)
    pred_t = np.array([t for _, t in pred]).reshape(-1, 3)  # m
    gt_R = np.array([truth[s][0] for s in stamps]).reshape(-1, 3, 3)
    gt_t = np.array([truth[s][1] for s in stamps]).reshape(-1, 3)  # m
    K = np.array([camera_k.get(s, missing[0]) for s in stamps]).reshape(-1, 3, 3)
    return pred_R, pred_t, gt_R, gt_t, K


def build_object_report(result, truth, frames_read, model, extra=None):
    """Object: match outputs to ground truth by stamp; return (report dict, latencies in ms).

    Every frame with ground truth that was sent or answered is evaluated; one without an
    output counts as not found (NaN pose).
    """
    outputs = result.outputs
    stamps = sorted(s for s in set(result.sent) | set(outputs) if s in truth)
    arrays = _object_arrays(stamps, outputs, truth, result.camera_k)
    with warnings.catch_warnings():  # medians of no frames are NaN, said in the report
        warnings.simplefilter('ignore', RuntimeWarning)
        metrics = object_metrics(*arrays, model['points_m'], model['diameter_m'],
                                 model['symmetric'])
    latency = latencies_ms(outputs, result.sent)
    report = {'task': 'object', 'frames_in': len(result.sent), 'frames_out': len(outputs),
              **metrics, 'latency_ms': latency_stats(latency),
              'fps': float(len(outputs) / result.duration_s) if result.duration_s
              else float('nan'),
              'weights': model['weights'], **_base_extra(frames_read, extra)}
    report['per_frame'] = object_per_frame(outputs, result.sent, truth, result.camera_k, model)
    _add_run_notes(report, result, outputs, truth)
    no_k = sum(s in outputs and s not in result.camera_k for s in stamps)
    if no_k:
        report['problems'].append(f'{no_k} answered frames had no CameraInfo: their 2D '
                                  'projection counts as failed')
    return report, latency


def evaluate(result, truth, frames_read, model, extra=None):
    """Object report when ``model`` (object_model) is given, else the hand report."""
    if model is None:
        return build_report(result, truth, frames_read, extra)
    return build_object_report(result, truth, frames_read, model, extra)


def run_replay(args):
    """Read the bag, replay it (starting the node if asked); return (report, latencies).

    An object bag with aligned depth gets a second pass with the depth: its accuracies and
    latency go under ``rgbd`` (rgbd_report).
    """
    topics = {'image': args.image_topic, 'camera_info': args.info_topic,
              'ground_truth': args.gt_topic}
    if args.task == 'object' and not args.no_depth:
        topics['depth'] = args.depth_topic
    skipped = {}
    messages = read_messages(args.bag, topics, args.task, args.skip_corrupt, skipped)
    check_stamps(messages['image'], IMAGE_KINDS[args.task])
    model = object_model(args.weights) if args.task == 'object' else None
    result, node_stats = replay_pass(args, messages)
    extra = {'bag': os.path.abspath(args.bag), 'mode': args.mode,
             'rate': args.rate if args.mode == 'realtime' else None, 'topics': result.topics}
    if node_stats is not None:
        extra['node_stats'] = node_stats
    extra.update(corrupt_chunks=skipped['chunks'], corrupt_frames=skipped['image'])
    truth = ground_truth(messages)
    report, latency = evaluate(result, truth, len(messages['image']), model, extra)
    if not messages['ground_truth']:
        report['problems'].append(f'no ground truth on {args.gt_topic}: latency only')
    if skipped['chunks']:
        report['notes'].append(f"{skipped['image']} frames in {skipped['chunks']} damaged "
                               'chunks skipped (--skip-corrupt)')
    _note_unanswered(report, result, args.task)
    if messages.get('depth') and not report['problems']:
        report['rgbd'] = rgbd_report(args, messages, truth, model)
        report['problems'] += report['rgbd']['problems']
        report['notes'] += report['rgbd'].get('notes', [])
    return report, latency


def replay_pass(args, messages, with_depth=False):
    """One replay of the bag (with a node of its own when ``--start-node``).

    Returns ``(ReplayResult, the node's final stats or None)``.
    """
    from fm_pose_ros.evaluation.replay_node import replay
    node = NodeProcess(args) if args.start_node else None
    try:
        result = replay(args, messages, node.alive if node else (lambda: True), with_depth)
    finally:
        node_stats = node.stop() if node else None
    if node and result.problem and node.last_line():
        result.problem += f' ({args.task}_node said: {node.last_line()})'
    return result, node_stats


def rgbd_report(args, messages, truth, model):
    """Replay with the aligned depth; return RGBD_KEYS, ``depth_frames``, node stats, problems."""
    result, node_stats = replay_pass(args, messages, with_depth=True)
    report, _ = evaluate(result, truth, len(messages['image']), model)
    rgbd = {key: report[key] for key in RGBD_KEYS}
    rgbd.update(depth_frames=len(messages['depth']), depth_topic=args.depth_topic,
                problems=[f'RGB-D pass: {p}' for p in report['problems']])
    if node_stats is not None:
        rgbd['node_stats'] = node_stats
    late = (node_stats or {}).get('depth_late', 0)
    if late:  # measured: a default Fast DDS publisher delays one of two large frames
        rgbd['notes'] = [f'{late} frames kept the RGB pose: their depth frame came too late. '
                         'Large colour and depth frames back to back need the publisher-side '
                         'profile: FASTDDS_DEFAULT_PROFILES_FILE=config/fastdds_large_frames.xml '
                         'for replay_eval (docs/cameras.md)']
    return rgbd


def _note_unanswered(report, result, task):
    answered = len(result.outputs)
    if 0 < answered < len(result.sent):
        report['notes'].append(f'{len(result.sent) - answered} of {len(result.sent)} frames got '
                               f'no output (no {task} found, dropped or timed out)')


def run_listen(args):
    """Record live outputs and ground truth for ``--listen`` s; return (report, latencies)."""
    from fm_pose_ros.evaluation.replay_node import listen
    model = object_model(args.weights) if args.task == 'object' else None
    result = listen(args, on_ready=lambda text: print(f'replay_eval: {text}', flush=True))
    report, latency = evaluate(result, result.truth, len(result.truth), model,
                               {'mode': 'listen', 'listen_s': args.listen})
    if not result.truth:
        report['problems'].append(f'nothing received on {args.gt_topic}')
    return report, latency


def accuracy_text(report):
    """Return the accuracy part of the final line (objects: RGB, then RGB-D when replayed)."""
    if report['task'] == 'object':
        text = ', '.join(_object_scores(report))
        if report.get('rgbd'):
            text += f"; with aligned depth: {', '.join(_object_scores(report['rgbd']))}"
        return text
    return f"mean joint error {report['mean_joint_error_mm']:.2f} mm"


def _object_scores(report):
    return (f"2D projection {100 * report['proj2d_acc']:.1f} %",
            f"{report['add_metric']} {100 * report['add_acc']:.1f} %",
            f"5cm5deg {100 * report['cm5deg5_acc']:.1f} %")


def main(argv=None):
    """Entry point of ``replay_eval``; exit status 0 only for a complete, clean run."""
    args = parse_args(argv)
    # Ctrl-C and SIGTERM -> KeyboardInterrupt, also when started as a background job (which
    # inherits an ignored SIGINT): a started node is then stopped, a listen report written
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        resolve_task(args)
        report, latency = run_listen(args) if args.listen is not None else run_replay(args)
    except (BagError, CheckpointError) as exc:
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
          f"{accuracy_text(report)}, latency p50 "
          f"{report['latency_ms']['p50']:.2f} ms p99 {report['latency_ms']['p99']:.2f} ms, "
          f"{report['fps']:.1f} frames/s, report in {args.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
