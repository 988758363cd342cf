# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``hand_node``: depth image + CameraInfo in, 14 hand joints out on ``/hand_joints``.

Subscribes (relative names, remap them): ``depth/image`` (16UC1 mm or 32FC1 m),
``depth/camera_info``. Publishes: ``/hand_joints`` (PoseArray, metres, header copied),
``/hand_joints/markers`` (MarkerArray), ``/hand_joints/debug_image`` (only when subscribed).
All work happens in ``hand_estimator``; this file only moves messages.
"""

import json
import signal
import sys
import time

import numpy as np
import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CameraInfo, Image
from geometry_msgs.msg import PoseArray
from visualization_msgs.msg import MarkerArray

from fm_pose_ros.checkpoint import CheckpointError
from fm_pose_ros.frame_worker import FrameWorker
from fm_pose_ros.hand_codec import check_intrinsics
from fm_pose_ros.hand_estimator import HandEstimator, NoHandError
from fm_pose_ros.hand_messages import debug_image, joints_to_pose_array, skeleton_markers
from fm_pose_ros.image_codec import depth_to_mm, ImageFormatError
from fm_pose_ros.node_params import (
    COMMON_PARAMS, declare_and_read, in_range, input_qos, make_set_callback, ParamSpec)
from fm_pose_ros.resources import default_weights

HAND_PARAMS = {
    **COMMON_PARAMS,
    'cube_size_mm': ParamSpec(0.0, 'Side of the metric cube cropped around the hand in mm '
                              '(0 = the size the model was trained with).',
                              in_range(0.0, 2000.0)),
    'depth_min_m': ParamSpec(0.15, 'Ignore depth closer than this (m) when finding the hand.',
                             in_range(0.0, 20.0), read_only=False),
    'depth_max_m': ParamSpec(1.5, 'Ignore depth farther than this (m) when finding the hand.',
                             in_range(0.01, 20.0), read_only=False),
}
THROTTLE_S = 5.0


class HandNode(Node):
    """Thin ROS wrapper around HandEstimator."""

    def __init__(self, **kwargs):
        super().__init__('hand_node', **kwargs)
        self.params = declare_and_read(self, HAND_PARAMS)
        self.estimator = self._make_estimator(self.params)
        self.camera_K = None
        self.joints_pub = self.create_publisher(PoseArray, '/hand_joints', 10)
        self.markers_pub = self.create_publisher(MarkerArray, '/hand_joints/markers', 10)
        self.debug_pub = self.create_publisher(Image, '/hand_joints/debug_image', 2)
        qos = input_qos(self.params['qos_reliability'], self.params['qos_depth'])
        self.worker = FrameWorker(self._process)
        self.create_subscription(CameraInfo, 'depth/camera_info', self._on_camera_info, qos)
        self.create_subscription(Image, 'depth/image', self.worker.submit, qos)
        self.add_on_set_parameters_callback(make_set_callback(HAND_PARAMS, self._apply))
        if self.params['stats_period_s'] > 0:
            self.create_timer(self.params['stats_period_s'], self._log_stats)
        self._log_startup()

    def _make_estimator(self, params):
        weights = params['weights'] or default_weights()
        overrides = _depth_range(params['depth_min_m'], params['depth_max_m'])
        if params['cube_size_mm'] > 0:
            overrides['cube_mm'] = (params['cube_size_mm'],) * 3
        return HandEstimator(weights, params['device'], params['backend'], overrides,
                             params['threads'])

    def _log_startup(self):
        est = self.estimator
        self.get_logger().info(
            f"weights {self.params['weights'] or default_weights()} on {est.device} "
            f'({est.backend_name}), cube {est.crop_settings.cube_mm} mm; listening on '
            f"{self.resolve_topic_name('depth/image')}")
        if not est.trained:
            self.get_logger().warning(
                'these weights are UNTRAINED placeholders: the joints are not a hand pose '
                'estimate')

    def _apply(self, changes):
        """Apply run-time parameter changes (depth range, markers); return error or None."""
        merged = {**self.params, **changes}
        if merged['depth_min_m'] >= merged['depth_max_m']:
            return 'depth_min_m must be smaller than depth_max_m'
        self.params = merged
        self.estimator.set_crop_overrides(
            _depth_range(merged['depth_min_m'], merged['depth_max_m']))
        return None

    def _on_camera_info(self, msg):
        try:
            K = check_intrinsics(np.array(msg.k, dtype=np.float64))
        except ValueError as exc:
            self.worker.stats.count('bad_camera_info')
            self.get_logger().warning(f'CameraInfo ignored: {exc}',
                                      throttle_duration_sec=THROTTLE_S)
            return
        self.camera_K = (K, msg.width, msg.height)

    def _process(self, msg, received):
        """Worker thread: one depth frame -> outputs. Never raises."""
        stats = self.worker.stats
        try:
            estimate, depth, K = self._estimate(msg)
        except _Skip as skip:
            stats.count(skip.reason)
            self._log_skip(skip)
            return
        except Exception as exc:  # the node must survive anything one message can do
            stats.count('errors')
            self.get_logger().error(f'frame failed: {type(exc).__name__}: {exc}',
                                    throttle_duration_sec=THROTTLE_S)
            return
        self._publish(msg.header, estimate, depth, K)
        stats.count('frames_out')
        stats.add_latency((time.perf_counter() - received) * 1e3)

    def _log_skip(self, skip):
        # one call site per severity: rclpy throttling is keyed by call site
        text = f'frame skipped ({skip.reason}): {skip}'
        if skip.reason == 'no_hand':
            self.get_logger().info(text, throttle_duration_sec=THROTTLE_S)
        else:
            self.get_logger().warning(text, throttle_duration_sec=THROTTLE_S)

    def _estimate(self, msg):
        if self.camera_K is None:
            raise _Skip('no_camera_info', 'no CameraInfo received yet on '
                        f"{self.resolve_topic_name('depth/camera_info')}")
        K, width, height = self.camera_K
        try:
            depth = depth_to_mm(msg)
        except ImageFormatError as exc:
            raise _Skip('bad_image', str(exc)) from exc
        if width and height and depth.shape != (height, width):
            raise _Skip('bad_image', f'image is {depth.shape[1]}x{depth.shape[0]} but '
                        f'CameraInfo says {width}x{height}')
        try:
            return self.estimator.estimate(depth, K), depth, K
        except NoHandError as exc:
            raise _Skip('no_hand', str(exc)) from exc

    def _publish(self, header, estimate, depth, K):
        self.joints_pub.publish(joints_to_pose_array(estimate.joints_mm, header))
        if self.params['publish_markers']:
            self.markers_pub.publish(skeleton_markers(estimate.joints_mm, header))
        if self.debug_pub.get_subscription_count() > 0:
            self.debug_pub.publish(debug_image(depth, K, estimate, header,
                                               self.estimator.crop_settings.cube_mm))

    def _log_stats(self, label='stats'):
        # one JSON object per line, so benchmarks and users can parse it
        self.get_logger().info(f'{label}: {json.dumps(self.worker.stats.summary())}')

    def destroy_node(self):
        """Stop the worker thread, log the final statistics, then destroy the node."""
        if getattr(self, 'worker', None) is not None:
            self.worker.stop()
            self._log_stats('final stats')
        super().destroy_node()


class _Skip(Exception):
    """A frame that produces no output, with the counter it goes to."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def _depth_range(depth_min_m, depth_max_m):
    return {'depth_min_mm': depth_min_m * 1000.0, 'depth_max_mm': depth_max_m * 1000.0}


def main(args=None):
    """Entry point of ``ros2 run fm_pose_ros hand_node``."""
    # our own SIGINT/SIGTERM handling: the context stays valid while the node logs its final
    # stats; installed explicitly because a shell's background jobs inherit an ignored SIGINT
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        node = HandNode()
    except (ValueError, CheckpointError) as exc:
        rclpy.logging.get_logger('hand_node').fatal(str(exc))
        rclpy.try_shutdown()
        return 1
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        while rclpy.ok():  # short waits: SIGINT (KeyboardInterrupt) is seen within 0.2 s
            executor.spin_once(timeout_sec=0.2)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
