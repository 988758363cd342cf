# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The ROS side of replay_eval: publish recorded frames, collect the node's outputs.

Hand task: ``/hand_joints`` PoseArrays, decoded to joints (14, 3) mm; object task:
``/object_pose`` PoseStamped, decoded to ``(R (3, 3), t (3,) m)``. Times here are
``time.perf_counter()`` seconds; stamps are header stamps in integer ns.
"""

from collections import deque
import copy
from dataclasses import dataclass, field
import time

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseArray, PoseStamped
import rclpy
from rclpy.duration import Duration
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from tqdm import tqdm

from fm_pose_ros.evaluation.bags import ground_truth_problem, stamp_ns
from fm_pose_ros.ros.camera_messages import camera_matrix
from fm_pose_ros.ros.hand_messages import pose_array_to_joints
from fm_pose_ros.ros.object_messages import pose_stamped_to_pose

SETTLE_S = 1.0  # after discovery, time for the node's side to match our publishers
RELIABLE_WAIT_S = 5.0  # how long to wait for the node's input to follow our reliable publisher
MAX_SILENT_FRAMES = 5  # lockstep: give up when the node answered none of the first N frames
DRAIN_SPINS = 4  # realtime: callbacks handled between two publications when behind schedule
DEPTH_ACK_S = 5.0  # lockstep: how long a depth frame may take to be acknowledged by the node
# task -> (output and ground-truth message type, message -> joints mm or (R, t m))
POSE_MESSAGES = {'hand': (PoseArray, pose_array_to_joints),
                 'object': (PoseStamped, pose_stamped_to_pose)}


@dataclass
class ReplayResult:
    """What a replay or listen session saw; ``problem`` is None when nothing went wrong."""

    outputs: dict = field(default_factory=dict)  # stamp -> (pose, received s); pose: joints
    # (14, 3) mm (hand) or (R (3, 3), t (3,) m) (object)
    sent: dict = field(default_factory=dict)  # stamp -> published s (or ground truth seen s)
    duration_s: float = 0.0  # first publication -> last output
    problem: str = None
    truth: dict = None  # listen mode only: stamp -> ground truth, decoded like the outputs
    bad_truth: list = field(default_factory=list)  # listen: [(stamp, reason)] not scorable
    topics: dict = field(default_factory=dict)  # role -> resolved topic name
    camera_k: dict = field(default_factory=dict)  # stamp -> K (3, 3) sent (or seen) with it


class Player(Node):
    """Publishes Image + CameraInfo; records outputs as {stamp: (pose, receive time)}.

    ``subscribe_truth`` (listen mode) also records the ground truth on ``args.gt_topic`` and
    the K of the CameraInfos on ``args.info_topic`` by stamp. ``with_depth``: also publishes
    the aligned depth on ``args.depth_out`` (object task).
    """

    def __init__(self, args, subscribe_truth=False, with_depth=False):
        # relative topic names (the defaults) resolve inside --namespace, like the node's
        super().__init__('replay_eval', namespace=args.namespace or None)
        msg_type, self.decode = POSE_MESSAGES[args.task]
        self.image_pub = self.create_publisher(Image, args.image_out, 5)
        self.info_pub = self.create_publisher(CameraInfo, args.info_out, 5)
        self.depth_pub = self.create_publisher(Image, args.depth_out, 5) if with_depth else None
        self.outputs, self.truth, self.camera_k, self.bad_truth = {}, {}, {}, []
        self.output_sub = self.create_subscription(msg_type, args.output_topic,
                                                   self._on_output, 100)
        self.truth_sub = None
        if subscribe_truth:
            self.truth_sub = self.create_subscription(msg_type, args.gt_topic,
                                                      self._on_truth, 100)
            self.create_subscription(CameraInfo, args.info_topic, self._on_info, 100)

    def _on_output(self, msg):
        if isinstance(msg, PoseArray) and not msg.poses:
            return  # the node's "processed, no hand found" signal (docs/interfaces.md)
        self.outputs[stamp_ns(msg.header)] = (self.decode(msg), time.perf_counter())

    def _on_truth(self, msg):
        problem = ground_truth_problem(msg)
        if problem is not None:
            self.bad_truth.append((stamp_ns(msg.header), problem))
            return
        self.truth[stamp_ns(msg.header)] = (self.decode(msg), time.perf_counter())

    def _on_info(self, msg):
        self.camera_k[stamp_ns(msg.header)] = camera_matrix(msg)


def spin_until(executor, predicate, timeout=10.0):
    """Spin ``executor`` until ``predicate()`` holds or ``timeout`` s passed; return it."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return True
        executor.spin_once(timeout_sec=0.002)
    return predicate()


class _Session:
    """rclpy context + Player + executor, closed on exit."""

    def __init__(self, args, subscribe_truth=False, with_depth=False):
        self.args, self.subscribe_truth, self.with_depth = args, subscribe_truth, with_depth

    def __enter__(self):
        rclpy.init(signal_handler_options=SignalHandlerOptions.NO)  # Ctrl-C: KeyboardInterrupt
        self.player = Player(self.args, self.subscribe_truth, self.with_depth)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.player)
        return self.player, self.executor

    def __exit__(self, *exc):
        self.executor.shutdown()
        self.player.destroy_node()
        rclpy.try_shutdown()


def _inputs(player):
    """Our input publishers (image, CameraInfo and, when replaying it, depth)."""
    return [pub for pub in (player.image_pub, player.info_pub, player.depth_pub) if pub]


def wait_for_node(args, player, executor, alive):
    """Wait until a node subscribes to our image topic and publishes outputs; error or None."""
    def ready():
        return (not alive() or all(pub.get_subscription_count() > 0 for pub in _inputs(player))
                and player.count_publishers(args.output_topic) > 0)
    if not spin_until(executor, ready, args.wait):
        return (f'no {args.task} node subscribed to {player.image_pub.topic_name} and '
                f'publishing {args.output_topic} within {args.wait:.0f} s')
    if not alive():
        return f'{args.task}_node exited before it was ready'
    spin_until(executor, lambda: not alive(), SETTLE_S)  # discovery is not symmetric
    # our publisher is reliable: a node on qos_reliability auto switches to reliable once it
    # has seen it; frames sent before that travel best effort, and large ones get lost
    spin_until(executor, lambda: not alive() or all(
        _reliable_reader(player, pub) for pub in _inputs(player)), RELIABLE_WAIT_S)
    return None


def _reliable_reader(player, publisher):
    """Whether a reliable subscription reads the topic of ``publisher``."""
    readers = player.get_subscriptions_info_by_topic(publisher.topic_name)
    return any(r.qos_profile.reliability == ReliabilityPolicy.RELIABLE for r in readers)


def replay(args, messages, alive=lambda: True, with_depth=False):
    """Publish the bag's frames into the node; return a ReplayResult.

    ``messages`` is bags.read_messages' dict; ``alive()`` says whether a node we started is
    still running (a dead node ends the wait at once). ``with_depth``: the bag's depth
    messages too (``messages['depth']``), each before the first image recorded after it.
    """
    with _Session(args, with_depth=with_depth) as (player, executor):
        problem = wait_for_node(args, player, executor, alive)
        if not problem:
            _warm_up(args, messages, player, executor, alive)
        result = (ReplayResult(problem=problem) if problem else
                  _publish_all(args, messages, player, executor, alive))
        result.topics = {'image_out': player.image_pub.topic_name,
                         'info_out': player.info_pub.topic_name,
                         'output': player.output_sub.topic_name}
        if player.depth_pub:
            result.topics['depth_out'] = player.depth_pub.topic_name
        return result


def _warm_up(args, messages, player, executor, alive):
    """Send the first frame until the node answers it; that answer is not scored.

    Discovery, a node switching its input QoS to follow our publishers, and its first
    inference all happen here, outside the measurement (the node's own statistics count
    these frames). A node that just started may still be loading its weights while the
    endpoints of an earlier, stopped one are still announced: wait up to ``--wait``.
    """
    if not messages['image']:
        return
    bag_time, first = messages['image'][0]
    info = _info_for(stamp_ns(first.header), bag_time, _camera_infos(messages), {})
    image = copy.copy(first)  # a stamp of its own: a node may drop a repeated stamp
    image.header = Header(frame_id=first.header.frame_id,
                          stamp=Time(sec=max(first.header.stamp.sec - 1, 0),
                                     nanosec=first.header.stamp.nanosec))
    deadline = time.perf_counter() + args.wait
    while not player.outputs and alive() and time.perf_counter() < deadline:
        if info is not None:
            player.info_pub.publish(info)
        player.image_pub.publish(image)
        spin_until(executor, lambda: bool(player.outputs) or not alive(), 0.5)
    player.outputs.clear()


def _camera_infos(messages):
    """Return (bag times, messages) of the CameraInfos, in bag order."""
    infos = messages['camera_info']
    return [t for t, _ in infos], [m for _, m in infos]


def _info_for(stamp, bag_time, infos, by_stamp):
    """Pick the CameraInfo with the image's stamp, else the latest one recorded before it."""
    if stamp in by_stamp:
        return by_stamp[stamp]
    times, msgs = infos
    before = [m for t, m in zip(times, msgs) if t <= bag_time]
    return before[-1] if before else (msgs[0] if msgs else None)


def _publish_all(args, messages, player, executor, alive):
    infos = _camera_infos(messages)
    by_stamp = {stamp_ns(m.header): m for m in infos[1]}
    images = messages['image']
    depths = deque(messages.get('depth', []) if player.depth_pub else [])
    sent, camera_k, problem = {}, {}, None
    first_bag_time = images[0][0] if images else 0
    start = time.perf_counter()
    for bag_time, image in tqdm(images, disable=args.no_progress, desc='replay', unit='frame'):
        stamp = stamp_ns(image.header)
        if args.mode == 'realtime':
            _wait_until(executor, start + (bag_time - first_bag_time) / 1e9 / args.rate)
        info = _info_for(stamp, bag_time, infos, by_stamp)
        if info is not None:
            player.info_pub.publish(info)
            camera_k[stamp] = camera_matrix(info)
        _publish_depth(args, player, depths, bag_time)
        sent[stamp] = time.perf_counter()
        player.image_pub.publish(image)
        if args.mode == 'lockstep':
            spin_until(executor, lambda: stamp in player.outputs or not alive(), args.timeout)
            if not player.outputs and len(sent) >= MAX_SILENT_FRAMES:
                problem = f'the node answered none of the first {len(sent)} frames'
                break
        if not alive():
            problem = f'{args.task}_node exited during the replay after {len(sent)} frames'
            break
    spin_until(executor, lambda: set(sent) <= set(player.outputs) or not alive(),
               args.timeout)
    outputs = {s: v for s, v in player.outputs.items() if s in sent}
    # active window: first publication -> last output (not the final wait for stragglers)
    end = max((t for _, t in outputs.values()), default=time.perf_counter())
    if problem is None and sent and not outputs:
        problem = 'the node never answered'
    return ReplayResult(outputs, sent, end - start, problem, camera_k=camera_k)


def _publish_depth(args, player, depths, bag_time):
    """Publish the depth frames recorded up to ``bag_time`` (popped from ``depths``).

    Lockstep: they must be at the node before their colour frame, which waits for them only
    ``depth_wait_s``. A fragment lost under load is resent only after the writer's next
    heartbeat (seconds), so wait until the node's reliable reader acknowledged them.
    """
    sent = False
    while depths and depths[0][0] <= bag_time:
        player.depth_pub.publish(depths.popleft()[1])
        sent = True
    if sent and args.mode == 'lockstep':
        player.depth_pub.wait_for_all_acked(Duration(seconds=DEPTH_ACK_S))


def _wait_until(executor, due):
    """Spin until ``due`` (perf_counter s); when already late, still handle a few callbacks."""
    if time.perf_counter() >= due:
        for _ in range(DRAIN_SPINS):
            executor.spin_once(timeout_sec=0.0)
        return
    spin_until(executor, lambda: time.perf_counter() >= due, due - time.perf_counter())


def listen(args, on_ready=None):
    """Record outputs and ground truth for ``args.listen`` s or until Ctrl-C; return them.

    ``sent`` holds the time each ground-truth message arrived: with ``ros2 bag play`` the
    ground truth and the image are published together, so latency is output - ground truth.
    ``on_ready(text)`` is called once, when both subscriptions have matched a publisher.
    """
    with _Session(args, subscribe_truth=True) as (player, executor):
        start = time.perf_counter()
        deadline = start + args.listen
        try:
            if spin_until(executor, lambda: _matched(player), args.listen) and on_ready:
                on_ready(f'recording {player.output_sub.topic_name} '
                         f'({player.output_sub.get_publisher_count()} publishers) and '
                         f'{player.truth_sub.topic_name} '
                         f'({player.truth_sub.get_publisher_count()} publishers)')
            spin_until(executor, lambda: False, deadline - time.perf_counter())
        except KeyboardInterrupt:
            pass  # Ctrl-C (or SIGTERM) ends the recording early; the report is still written
        truth = dict(player.truth)
        result = ReplayResult(dict(player.outputs), {s: t for s, (_, t) in truth.items()},
                              time.perf_counter() - start,
                              truth={s: j for s, (j, _) in truth.items()},
                              camera_k=dict(player.camera_k), bad_truth=list(player.bad_truth))
        if not result.outputs:
            result.problem = (f'nothing received on {args.output_topic} in '
                              f'{result.duration_s:.0f} s')
        return result


def _matched(player):
    """Whether the output and ground-truth subscriptions both matched a publisher."""
    return (player.output_sub.get_publisher_count() > 0
            and player.truth_sub.get_publisher_count() > 0)
