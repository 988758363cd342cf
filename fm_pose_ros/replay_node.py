# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The ROS side of replay_eval: publish recorded frames, collect ``/hand_joints``."""

import time

from geometry_msgs.msg import PoseArray
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image
from tqdm import tqdm

from fm_pose_ros.bags import stamp_ns
from fm_pose_ros.hand_messages import pose_array_to_joints


SETTLE_S = 1.0


class Player(Node):
    """Publishes Image + CameraInfo; records outputs as {stamp: (joints mm, receive time)}."""

    def __init__(self, args, subscribe_truth=False):
        super().__init__('replay_eval')
        self.image_pub = self.create_publisher(Image, args.image_out, 5)
        self.info_pub = self.create_publisher(CameraInfo, args.info_out, 5)
        self.outputs, self.truth = {}, {}
        self.output_topic = args.output_topic
        self.create_subscription(PoseArray, args.output_topic, self._on_output, 50)
        if subscribe_truth:
            self.create_subscription(PoseArray, args.gt_topic, self._on_truth, 50)

    def _on_output(self, msg):
        self.outputs[stamp_ns(msg.header)] = (pose_array_to_joints(msg), time.perf_counter())

    def _on_truth(self, msg):
        self.truth[stamp_ns(msg.header)] = (pose_array_to_joints(msg), time.perf_counter())


def _spin_until(executor, predicate, timeout):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return True
        executor.spin_once(timeout_sec=0.002)
    return predicate()


def _session(args, subscribe_truth=False):
    rclpy.init()
    player = Player(args, subscribe_truth)
    executor = SingleThreadedExecutor()
    executor.add_node(player)
    return player, executor


def _close(player, executor):
    executor.shutdown()
    player.destroy_node()
    rclpy.try_shutdown()


def replay(args, messages):
    """Publish the bag's frames; return (outputs, {stamp: publish time}, duration in s)."""
    player, executor = _session(args)
    try:
        ready = _spin_until(executor, lambda: player.image_pub.get_subscription_count() > 0
                            and player.count_publishers(args.output_topic) > 0, args.wait)
        if not ready:
            raise TimeoutError(f'no hand node subscribed to {args.image_out} and publishing '
                               f'{args.output_topic} within {args.wait:.0f} s')
        # discovery is not symmetric: give the node's side time to match our publishers
        _spin_until(executor, lambda: False, SETTLE_S)
        return _publish_all(args, messages, player, executor)
    finally:
        _close(player, executor)


def _publish_all(args, messages, player, executor):
    infos = {stamp_ns(m.header): m for _, m in messages['camera_info']}
    images = messages['image']
    sent = {}
    first_bag_time = images[0][0] if images else 0
    start = time.perf_counter()
    for bag_time, image in tqdm(images, disable=args.no_progress, desc='replay', unit='frame'):
        stamp = stamp_ns(image.header)
        if args.mode == 'realtime':
            due = start + (bag_time - first_bag_time) / 1e9 / args.rate
            _spin_until(executor, lambda: time.perf_counter() >= due,
                        max(due - time.perf_counter(), 0.0))
        if stamp in infos:
            player.info_pub.publish(infos[stamp])
        sent[stamp] = time.perf_counter()
        player.image_pub.publish(image)
        if args.mode == 'lockstep':
            _spin_until(executor, lambda: stamp in player.outputs, args.timeout)
    _spin_until(executor, lambda: set(sent) <= set(player.outputs), args.timeout)
    outputs = dict(player.outputs)
    # active window: first publication -> last output (not the final wait for stragglers)
    end = max((t for _, t in outputs.values()), default=time.perf_counter())
    return outputs, sent, end - start


def listen(args):
    """Record outputs and ground truth for ``args.listen`` seconds."""
    player, executor = _session(args, subscribe_truth=True)
    start = time.perf_counter()
    try:
        _spin_until(executor, lambda: False, args.listen)
        return dict(player.outputs), dict(player.truth), time.perf_counter() - start
    finally:
        _close(player, executor)
