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
A damaged bag (mcap chunk CRC, sqlite3 integrity check, a message that no longer parses) is
refused in one line; with ``--skip-corrupt`` the frames of damaged mcap chunks and the
unparsable messages are left out and counted in the report (``corrupt_chunks``,
``corrupt_frames``, ``corrupt_messages``). What the checks cannot see (mcap chunks without a
CRC, ``unverified_chunks``; sqlite3 storage, which keeps no per-message checksum) is said in
the report's ``warnings`` and on stderr. Ground-truth messages that cannot be scored (not 14
finite joints; a non-finite pose) are skipped and counted (``bad_ground_truth``, a warning); a
bag with no usable ground truth message is refused in one line.
Exit 0 when the run is complete (warnings, one line each, on stderr); otherwise 1 and one line
on stderr (a partial report is written whenever the bag could be read).

This module is the command line; the ROS side is ``replay_node``, the started node
``node_process`` (its console script) and the scoring ``replay_scoring``.
"""

import argparse
import os
import signal
import sys

import numpy as np

from fm_pose_ros.core.text import printable
from fm_pose_ros.core.weights import WeightsError
from fm_pose_ros.evaluation.bags import (
    BagError, detect_task, ground_truth, read_messages, stamp_ns, TASK_TOPICS)
from fm_pose_ros.evaluation.node_process import EXECUTABLES, NodeNotFound, NodeProcess
from fm_pose_ros.evaluation.replay_scoring import (
    ground_truth_note, object_model, replay_report)
from fm_pose_ros.evaluation.report import write_report

PROBLEMS_LIMIT = 2000  # characters of the problems (bag and file contents) on stderr
# per task, the defaults of the task-dependent options: the bag's topics, the node's relative
# input names that we publish to, the node's output topic
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
    parser.add_argument('--task', choices=tuple(EXECUTABLES),
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


def node_ros_args(args):
    """Return the started node's ROS arguments (after ``--ros-args``).

    Its inputs remapped to ``args.image_out`` / ``args.info_out``, no periodic statistics,
    then the namespace, params file, weights and backend when given.
    """
    inputs = TASK_DEFAULTS[args.task]
    ros_args = ['-r', f"{inputs['image_out']}:={args.image_out}",
                '-r', f"{inputs['info_out']}:={args.info_out}", '-p', 'stats_period_s:=0.0']
    if args.task == 'object':
        ros_args += ['-r', f"{inputs['depth_out']}:={args.depth_out}"]
    if args.namespace:
        ros_args += ['-r', f'__ns:={args.namespace}']
    if args.params_file:
        ros_args += ['--params-file', args.params_file]
    if args.weights:
        ros_args += ['-p', f'weights:={args.weights}']
    if args.backend:
        ros_args += ['-p', f'backend:={args.backend}']
    return ros_args


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


def read_bag(args):
    """Read and check the bag: ``(messages, truth, bad, skipped)``, or raise BagError.

    ``truth`` holds the usable ground truth by stamp, ``bad`` the unusable messages as
    ``[(stamp_ns, reason)]`` (a bag whose ground truth is all unusable is refused),
    ``skipped`` what bags.read_messages left out and could not check.
    """
    topics = {'image': args.image_topic, 'camera_info': args.info_topic,
              'ground_truth': args.gt_topic}
    if args.task == 'object' and not args.no_depth:
        topics['depth'] = args.depth_topic
    skipped = {}
    messages = read_messages(args.bag, topics, args.task, args.skip_corrupt, skipped)
    check_stamps(messages['image'], IMAGE_KINDS[args.task])
    bad = []
    truth = ground_truth(messages, bad)
    if bad and not truth:
        raise BagError(f'no usable ground truth on {args.gt_topic}: '
                       f'{ground_truth_note(bad, len(bad))}')
    return messages, truth, bad, skipped


def bag_extra(skipped, bad, truth_count):
    """Report keys of the bag's damage and ground truth, with the warnings to print.

    ``corrupt_chunks`` / ``corrupt_frames`` / ``corrupt_messages``: damaged mcap chunks,
    images left out, messages that no longer parse; ``unverified_chunks``: mcap chunks
    without a CRC; ``bad_ground_truth``: ground-truth messages that cannot be scored (of
    ``truth_count``).
    """
    warnings = list(skipped['blind_spots'])
    if bad:
        warnings.append(f'{ground_truth_note(bad, truth_count)}: those frames are not scored')
    return {'corrupt_chunks': skipped['chunks'], 'corrupt_frames': skipped['image'],
            'corrupt_messages': skipped['unparsed'],
            'unverified_chunks': skipped['unverified_chunks'], 'bad_ground_truth': len(bad),
            'warnings': warnings}


def run_replay(args):
    """Read the bag, replay it (starting the node if asked); return (report, latencies).

    An object bag with aligned depth gets a second pass with the depth: its accuracies and
    latency go under ``rgbd`` (rgbd_report).
    """
    messages, truth, bad, skipped = read_bag(args)
    model = object_model(args.weights) if args.task == 'object' else None
    result, node_stats = replay_pass(args, messages)
    extra = {'bag': os.path.abspath(args.bag), 'mode': args.mode,
             'rate': args.rate if args.mode == 'realtime' else None, 'topics': result.topics,
             **bag_extra(skipped, bad, len(messages['ground_truth']))}
    if node_stats is not None:
        extra['node_stats'] = node_stats
    report, latency = replay_report(result, truth, len(messages['image']), model, extra)
    if not messages['ground_truth']:
        report['problems'].append(f'no ground truth on {args.gt_topic}: latency only')
    if skipped['chunks'] or skipped['unparsed']:
        report['notes'].append(f"{skipped['image']} frames skipped (--skip-corrupt): "
                               f"{skipped['chunks']} damaged chunks, {skipped['unparsed']} "
                               'messages that no longer parse')
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
    node = NodeProcess(args.task, node_ros_args(args)) if args.start_node else None
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
    report, _ = replay_report(result, truth, len(messages['image']), model)
    rgbd = {key: report[key] for key in RGBD_KEYS}
    rgbd.update(depth_frames=len(messages['depth']), depth_topic=args.depth_topic,
                problems=[f'RGB-D pass: {p}' for p in report['problems']])
    if node_stats is not None:
        rgbd['node_stats'] = node_stats
    late = (node_stats or {}).get('depth_late', 0)
    if late:  # realtime mode: the colour frame does not wait for the depth frame's ack
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
    result = listen(args, on_ready=lambda text: print(f'replay_eval: {printable(text)}',
                                                      flush=True))
    bad, seen = result.bad_truth, len(result.truth) + len(result.bad_truth)
    warnings = [f'{ground_truth_note(bad, seen)}: those frames are not scored'] if bad else []
    report, latency = replay_report(result, result.truth, len(result.truth), model,
                                    {'mode': 'listen', 'listen_s': args.listen,
                                     'bad_ground_truth': len(bad), 'warnings': warnings})
    if not result.truth:
        report['problems'].append(f'no usable ground truth on {args.gt_topic}: '
                                  f'{ground_truth_note(bad, seen)}' if bad else
                                  f'nothing received on {args.gt_topic}')
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
    except (BagError, WeightsError, NodeNotFound) as exc:
        print(f'replay_eval: {printable(exc, PROBLEMS_LIMIT)}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('replay_eval: interrupted', file=sys.stderr)
        return 130
    title = f"Replay of {args.bag} ({report['mode']})" if args.bag else 'Live topics'
    write_report(args.out, report, title, latency)
    if report['problems']:
        problems = printable('; '.join(report['problems']), PROBLEMS_LIMIT)
        print(f"replay_eval: {problems} ({report['frames_read']} frames "
              f"read, {report['frames_in']} published, {report['frames_out']} answered; "
              f'partial report in {args.out})', file=sys.stderr)
        return 1
    for warning in report.get('warnings', []):
        print(f'replay_eval: warning: {printable(warning, PROBLEMS_LIMIT)}', file=sys.stderr)
    print(f"replay_eval: {report['frames_out']}/{report['frames_in']} frames answered, "
          f"{accuracy_text(report)}, latency p50 "
          f"{report['latency_ms']['p50']:.2f} ms p99 {report['latency_ms']['p99']:.2f} ms, "
          f"{report['fps']:.1f} frames/s, report in {args.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
