# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``PoseNode``: what the hand and object nodes share, and ``run``, the body of their ``main``.

The base class holds the parameter table, the newest-frame-wins worker, CameraInfo handling,
the per-frame pipeline with its skip counters and throttled logs, and the statistics lines.
A subclass provides the table (``PARAMS``), its input topic names, its publishers and
``_make_estimator``, ``_estimate(msg, K)`` (convert + estimate, raising ``Skip``) and
``_publish(header, result, image, K)``.

Threads: the executor thread runs the subscription callbacks and timers only; the image
callback takes the serialized message and hands it to the one-slot FrameWorker (no
conversion), so frames arriving faster than the network runs are dropped at no cost. The
worker thread deserializes, converts, estimates and publishes. Interfaces, QoS, diagnostics
and exit behaviour: docs/interfaces.md.
"""

import json
import sys
import time
import warnings

from diagnostic_msgs.msg import DiagnosticArray
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.impl.implementation_singleton import rclpy_implementation
from rclpy.node import Node
from rclpy.serialization import deserialize_message
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CameraInfo, Image

from fm_pose_ros.core.camera import IntrinsicsError
from fm_pose_ros.core.finite import NonFiniteOutput
from fm_pose_ros.core.frame_worker import FrameWorker
from fm_pose_ros.core.image_codec import ImageFormatError
from fm_pose_ros.core.text import printable
from fm_pose_ros.core.weights import WeightsError
from fm_pose_ros.ros import shutdown
from fm_pose_ros.ros.camera_messages import checked_camera_matrix
from fm_pose_ros.ros.health import Health
from fm_pose_ros.ros.input_subscription import InputSubscription
from fm_pose_ros.ros.node_params import (
    COMMON_PARAMS, declare_and_read, make_set_callback, params_file_warnings)

THROTTLE_S = 5.0
FIRST_INFO_WAIT_S = 0.5  # how long an image may wait for the first CameraInfo
NO_INPUT_THROTTLE_S = 10.0
SPIN_TIMEOUT_S = 0.2  # a signal is acted on within this time
QOS_CHECK_S = 1.0      # qos_reliability auto: how often the publishers are re-read
DIAGNOSTICS_S = 1.0    # /diagnostics period
LARGE_FRAME_BYTES = 8 * 2**20  # best effort loses frames this large: say so once
RCLError = rclpy_implementation.RCLError


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
    QUIET_SKIPS = ()                 # "nothing in view": logged at info, answered by
    #                                  _publish_not_found with the frame's header
    UNTRAINED_NOTE = 'the outputs are not a pose estimate'
    MIN_BYTES_PER_PIXEL = 1          # smallest accepted encoding, for the large-frame warning
    COUNTERS = ('frames_in', 'frames_out', 'dropped', 'lost', 'bad_image', 'no_camera_info',
                'bad_camera_info', 'non_finite', 'errors')  # reported from 0 (docs/interfaces.md)

    def __init__(self, name, **kwargs):
        super().__init__(name, **kwargs)
        self.params = declare_and_read(self, self.PARAMS)
        self.estimator = self._make_estimator(self.params)
        self.camera_K = None  # (K (3, 3), width, height) of the last usable CameraInfo
        self._make_publishers()
        self.worker = FrameWorker(self._process)
        mode, depth = self.params['qos_reliability'], self.params['qos_depth']
        self.info_input = InputSubscription(self, CameraInfo, self.INFO_TOPIC,
                                            self._on_camera_info, mode, depth)
        # raw: the executor thread hands the serialized bytes over; the worker decodes them
        self.image_input = InputSubscription(self, Image, self.IMAGE_TOPIC, self.worker.submit,
                                             mode, depth, raw=True, on_lost=self._on_lost)
        self._lost_warned = False
        self.extra_inputs = self._make_extra_inputs(mode, depth)
        for counter in self.counters():  # present at 0 in /diagnostics and the stats line
            self.worker.stats.count(counter, 0)
        self.health = Health(self.get_fully_qualified_name(), self.image_input.topic,
                             self.worker.stats, lambda: self.worker.last_received)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self._large_frame_warned = False
        self._final_logged = False
        self.add_on_set_parameters_callback(make_set_callback(self.PARAMS, self._apply))
        # health runs on the steady clock: with use_sim_time and no /clock (a bag that is not
        # playing) the node's own clock stands still, and that is when health matters most
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self.create_timer(QOS_CHECK_S, self._check_inputs, clock=steady)
        self.create_timer(DIAGNOSTICS_S, self._publish_diagnostics, clock=steady)
        if self.params['stats_period_s'] > 0:
            self.create_timer(self.params['stats_period_s'], self._log_stats, clock=steady)
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
        """Build the estimator from the parameters (raise ValueError/WeightsError)."""
        raise NotImplementedError

    def _make_publishers(self):
        """Create the output publishers."""
        raise NotImplementedError

    def counters(self):
        """Names of every counter this node reports (all start at 0)."""
        return self.COUNTERS + self.QUIET_SKIPS

    def _make_extra_inputs(self, mode, depth):
        """Return further InputSubscriptions (reliability ``mode``, keep last ``depth``)."""
        return []

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
            f'weights {printable(self.weights_path)} on {est.device} ({est.backend_name})'
            f"{', ' + printable(details) if details else ''}; listening on "
            f"{self.image_input.topic} (qos_reliability {self.params['qos_reliability']})")
        if not est.trained:
            self.get_logger().warning(
                f'these weights are UNTRAINED placeholders: {self.UNTRAINED_NOTE}')

    def _apply(self, changes):
        """Apply run-time parameter changes; return an error message or None."""
        self.params = {**self.params, **changes}
        return None

    def _on_camera_info(self, msg):
        try:
            K = checked_camera_matrix(msg)
        except IntrinsicsError as exc:
            self.worker.stats.count('bad_camera_info')
            self.get_logger().warning(f'CameraInfo ignored: {printable(exc)}',
                                      throttle_duration_sec=THROTTLE_S)
            return
        self.camera_K = (K, msg.width, msg.height)

    def _check_inputs(self):
        """Timer: follow the publishers' reliability (auto); warn once about large frames."""
        # CameraInfo first: the executor takes subscriptions in creation order, and a frame
        # taken before its CameraInfo would be skipped
        for subscription in (self.info_input, self.image_input, *self.extra_inputs):
            line = subscription.update()
            if line:
                self.get_logger().info(printable(line))
        self._warn_large_frames()

    def _on_lost(self, count):
        """Executor thread: the middleware lost ``count`` image samples; warn once."""
        self.worker.stats.count('lost', count)
        if self._lost_warned or count <= 0:
            return
        self._lost_warned = True
        self.get_logger().warning(
            f'{self.image_input.topic}: the middleware lost {count} frame(s) on the way (counted '
            "as 'lost'). Best-effort frames of this size need config/fastdds_large_frames.xml "
            'applied to the camera driver\'s process, or a reliable publisher (docs/cameras.md)')

    def _warn_large_frames(self):
        if self._large_frame_warned or self.camera_K is None:
            return
        _, width, height = self.camera_K
        size = width * height * self.MIN_BYTES_PER_PIXEL
        if size <= LARGE_FRAME_BYTES or not self.image_input.settled_best_effort():
            return
        self._large_frame_warned = True
        self.get_logger().warning(
            f'{self.image_input.topic} carries {width}x{height} frames (>= {size / 2**20:.0f} '
            'MiB) over a best-effort subscription: frames this large are often lost without '
            'a trace. Publish them reliable (qos_reliability auto then follows) or apply '
            'config/fastdds_large_frames.xml to the camera driver (docs/cameras.md)')

    def _diagnostic_values(self):
        """Key/values added to the node's DiagnosticStatus (strings)."""
        return {'input_reliability': self.image_input.actual_reliability}

    def _publish_diagnostics(self):
        self.diagnostics_pub.publish(self.health.array(self.get_clock().now().to_msg(),
                                                       self._diagnostic_values()))
        problem = self.health.no_input_message()
        if problem:
            self.get_logger().warning(printable(problem),
                                      throttle_duration_sec=NO_INPUT_THROTTLE_S)

    def _process(self, raw, received):
        """Worker thread: one serialized Image -> outputs. Never raises."""
        stats = self.worker.stats
        header = None
        try:
            msg = deserialize_message(raw, Image) if isinstance(raw, bytes) else raw
            header = msg.header
            camera = self._camera()
            if camera is None:
                raise Skip('no_camera_info', 'no CameraInfo received yet on '
                           f'{self.info_input.topic}')
            try:
                result, image = self._estimate(msg, camera[0])
            except NonFiniteOutput as exc:  # never publish NaN or inf
                raise Skip('non_finite', str(exc)) from exc
            except IntrinsicsError as exc:  # K implausible for this image's size
                raise Skip('bad_camera_info', str(exc)) from exc
        except Skip as skip:  # logged, then counted: a counter seen means its line is out
            self._log_skip(skip)
            stats.count(skip.reason)
            if skip.reason in self.QUIET_SKIPS:
                self._publish_not_found(header)
            return
        except Exception as exc:  # the node must survive anything one message can do
            self.get_logger().error(f'frame failed: {type(exc).__name__}: {printable(exc)}',
                                    throttle_duration_sec=THROTTLE_S)
            stats.count('errors')
            return
        stats.count('frames_out')  # counted, then sent: an output seen is an output counted
        self._publish(header, result, image, camera[0])
        stats.add_latency((time.perf_counter() - received) * 1e3)

    def _camera(self):
        """Worker thread: the last CameraInfo's camera, waiting briefly for the first one.

        An image and its CameraInfo travel on separate topics, so the first image can overtake
        the first CameraInfo; the executor thread keeps receiving while this one waits.
        """
        deadline = time.monotonic() + FIRST_INFO_WAIT_S
        while self.camera_K is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.camera_K

    def _publish_not_found(self, header):
        """Publish the documented "processed, nothing found" signal for a frame."""
        raise NotImplementedError

    def _log_skip(self, skip):
        # one call site per severity: rclpy throttling is keyed by call site
        text = f'frame skipped ({skip.reason}): {printable(skip)}'
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

    def log_final_stats(self):
        """Log the ``final stats`` line (once)."""
        if not self._final_logged:
            self._final_logged = True
            self._log_stats('final stats')

    def destroy_node(self):
        """Log the final statistics, stop the worker thread, then destroy the node."""
        if getattr(self, 'worker', None) is not None:
            self.log_final_stats()
            self.worker.stop(timeout=1.0)
        super().destroy_node()


def namespace_problem(argv):
    """Return a line about a ``__ns:=`` remap ending in "/" (rcl refuses it), else None."""
    for arg in argv or ():
        if arg.startswith('__ns:=') and len(arg) > len('__ns:=/') and arg.endswith('/'):
            namespace = arg[len('__ns:='):]
            return (f"namespace '{namespace}' must not end with a '/': use "
                    f"__ns:={namespace.rstrip('/')}")
    return None


def _create(node_class, name, argv):
    """Return the node, or None after one fatal line (bad parameter, weights, namespace)."""
    problem = namespace_problem(argv)
    if problem:
        rclpy.logging.get_logger(name).fatal(problem)
        return None
    try:
        with warnings.catch_warnings():  # rclpy warns about half-built nodes; one line will do
            warnings.simplefilter('ignore', RuntimeWarning)
            return node_class()
    except (ValueError, WeightsError) as exc:
        problem = str(exc)
    except RCLError as exc:  # e.g. a namespace ending in '/'
        problem = f"cannot create the node: {str(exc).split(', at ')[0]}"
    rclpy.logging.get_logger(name).fatal(printable(problem))
    return None


def _spin(node):
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        while rclpy.ok() and not shutdown.STOP.is_set():  # short waits: see SPIN_TIMEOUT_S
            executor.spin_once(timeout_sec=SPIN_TIMEOUT_S)
    except ExternalShutdownException:
        pass
    return executor


def _teardown(node, executor, code):
    """Log the final stats line first, then tear down, bounded by the exit watchdog."""
    if node is not None:
        node.log_final_stats()
    sys.stdout.flush()
    shutdown.watchdog(code)  # from here on signals are ignored
    for step in (executor and executor.shutdown, node and node.destroy_node,
                 rclpy.try_shutdown):
        try:
            if step:
                step()
        except Exception:  # exiting anyway; the watchdog bounds the rest
            pass


def run(node_class, name, args=None):
    """Run ``node_class()`` until SIGINT/SIGTERM/SIGHUP; return the process exit code.

    A bad parameter, weights file or namespace ends start-up with one fatal log line and
    code 1. A signal at any moment (also while the weights load) ends the process within
    ``shutdown.TEARDOWN_LIMIT_S`` of the teardown starting, without a traceback.
    """
    shutdown.install()
    node = executor = None
    code = 0
    try:
        shutdown.arm()
        # our own signal handling: the context stays valid while the node logs its final stats
        rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
        argv = args if args is not None else sys.argv
        node = _create(node_class, name, argv)
        shutdown.started()
        if node is None:
            code = 1
        else:
            for line in params_file_warnings(node.get_fully_qualified_name(), argv):
                node.get_logger().warning(printable(line))
            executor = _spin(node)
    except (KeyboardInterrupt, Exception) as exc:
        if not shutdown.interrupted(exc):
            raise
    finally:
        shutdown.STOP.set()  # a signal from now on must not interrupt the teardown
        _teardown(node, executor, code)
    return code
