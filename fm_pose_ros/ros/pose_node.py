# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``PoseNode``: what the hand and object nodes share, and ``run``, the body of their ``main``.

The base class holds the parameter table, the newest-frame-wins worker, CameraInfo handling,
the per-frame pipeline with its skip counters and throttled logs, and the statistics lines.
A subclass provides the table (``PARAMS``), its input topic names, its publishers and
``_make_estimator``, ``_estimate(msg, K)`` (convert + estimate, raising ``Skip``) and
``_publish(header, result, image, K)``.
"""

import json
import signal
import time

import numpy as np
import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CameraInfo, Image

from fm_pose_ros.core.camera import check_intrinsics
from fm_pose_ros.core.finite import NonFiniteOutput
from fm_pose_ros.core.frame_worker import FrameWorker
from fm_pose_ros.core.image_codec import ImageFormatError
from fm_pose_ros.core.weights import CheckpointError
from fm_pose_ros.ros.node_params import (
    COMMON_PARAMS, declare_and_read, input_qos, make_set_callback)

THROTTLE_S = 5.0
SPIN_TIMEOUT_S = 0.2  # SIGINT (KeyboardInterrupt) is seen within this time


class Skip(Exception):
    """A frame that produces no output, with the counter it goes to."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


class PoseNode(Node):
    """Image + CameraInfo in, one estimate per frame out; subclasses say what and how."""

    PARAMS = COMMON_PARAMS           # name -> ParamSpec (node_params)
    IMAGE_TOPIC = 'image'            # relative input names: the launch file remaps them
    INFO_TOPIC = 'camera_info'
    QUIET_SKIPS = ()                 # skip reasons logged at info (nothing in view), not warning
    UNTRAINED_NOTE = 'the outputs are not a pose estimate'

    def __init__(self, name, **kwargs):
        super().__init__(name, **kwargs)
        self.params = declare_and_read(self, self.PARAMS)
        self.estimator = self._make_estimator(self.params)
        self.camera_K = None  # (K (3, 3), width, height) of the last usable CameraInfo
        self._make_publishers()
        qos = input_qos(self.params['qos_reliability'], self.params['qos_depth'])
        self.worker = FrameWorker(self._process)
        self.create_subscription(CameraInfo, self.INFO_TOPIC, self._on_camera_info, qos)
        self.create_subscription(Image, self.IMAGE_TOPIC, self.worker.submit, qos)
        self.add_on_set_parameters_callback(make_set_callback(self.PARAMS, self._apply))
        if self.params['stats_period_s'] > 0:
            self.create_timer(self.params['stats_period_s'], self._log_stats)
        self._log_startup()

    @staticmethod
    def default_weights():
        """Path of the shipped model used when the ``weights`` parameter is empty."""
        raise NotImplementedError

    @property
    def weights_path(self):
        """The weights file in use: the ``weights`` parameter or the shipped default."""
        return self.params['weights'] or self.default_weights()

    def _make_estimator(self, params):
        """Build the estimator from the parameters (raise ValueError/CheckpointError)."""
        raise NotImplementedError

    def _make_publishers(self):
        """Create the output publishers."""
        raise NotImplementedError

    def _estimate(self, msg, K):
        """Return ``(result, image array)`` for an Image message, or raise Skip."""
        raise NotImplementedError

    def _publish(self, header, result, image, K):
        """Publish the outputs of one frame."""
        raise NotImplementedError

    def _describe(self):
        """Words about the estimator's settings for the start-up line."""
        return ''

    def _log_startup(self):
        est = self.estimator
        details = self._describe()
        self.get_logger().info(
            f'weights {self.weights_path} on {est.device} ({est.backend_name})'
            f"{', ' + details if details else ''}; listening on "
            f'{self.resolve_topic_name(self.IMAGE_TOPIC)}')
        if not est.trained:
            self.get_logger().warning(
                f'these weights are UNTRAINED placeholders: {self.UNTRAINED_NOTE}')

    def _apply(self, changes):
        """Apply run-time parameter changes; return an error message or None."""
        self.params = {**self.params, **changes}
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
        """Worker thread: one image -> outputs. Never raises."""
        stats = self.worker.stats
        try:
            camera = self.camera_K
            if camera is None:
                raise Skip('no_camera_info', 'no CameraInfo received yet on '
                           f'{self.resolve_topic_name(self.INFO_TOPIC)}')
            try:
                result, image = self._estimate(msg, camera[0])
            except NonFiniteOutput as exc:  # never publish NaN or inf
                raise Skip('non_finite', str(exc)) from exc
        except Skip as skip:
            stats.count(skip.reason)
            self._log_skip(skip)
            return
        except Exception as exc:  # the node must survive anything one message can do
            stats.count('errors')
            self.get_logger().error(f'frame failed: {type(exc).__name__}: {exc}',
                                    throttle_duration_sec=THROTTLE_S)
            return
        self._publish(msg.header, result, image, camera[0])
        stats.count('frames_out')
        stats.add_latency((time.perf_counter() - received) * 1e3)

    def _log_skip(self, skip):
        # one call site per severity: rclpy throttling is keyed by call site
        text = f'frame skipped ({skip.reason}): {skip}'
        if skip.reason in self.QUIET_SKIPS:
            self.get_logger().info(text, throttle_duration_sec=THROTTLE_S)
        else:
            self.get_logger().warning(text, throttle_duration_sec=THROTTLE_S)

    def _convert(self, msg, convert):
        """``convert(msg)`` -> array, checked against CameraInfo's size; else raise Skip."""
        try:
            array = convert(msg)
        except ImageFormatError as exc:
            raise Skip('bad_image', str(exc)) from exc
        _, width, height = self.camera_K
        if width and height and array.shape[:2] != (height, width):
            raise Skip('bad_image', f'image is {array.shape[1]}x{array.shape[0]} but '
                       f'CameraInfo says {width}x{height}')
        return array

    def _log_stats(self, label='stats'):
        # one JSON object per line, so benchmarks and users can parse it
        self.get_logger().info(f'{label}: {json.dumps(self.worker.stats.summary())}')

    def destroy_node(self):
        """Stop the worker thread, log the final statistics, then destroy the node."""
        if getattr(self, 'worker', None) is not None:
            self.worker.stop()
            self._log_stats('final stats')
        super().destroy_node()


def run(node_class, name, args=None):
    """Run ``node_class()`` until SIGINT/SIGTERM; return the process exit code.

    A bad parameter or weights file ends start-up with one fatal log line and code 1.
    """
    # our own SIGINT/SIGTERM handling: the context stays valid while the node logs its final
    # stats; installed explicitly because a shell's background jobs inherit an ignored SIGINT
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        node = node_class()
    except (ValueError, CheckpointError) as exc:
        rclpy.logging.get_logger(name).fatal(str(exc))
        rclpy.try_shutdown()
        return 1
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        while rclpy.ok():  # short waits: SIGINT (KeyboardInterrupt) is seen within 0.2 s
            executor.spin_once(timeout_sec=SPIN_TIMEOUT_S)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
