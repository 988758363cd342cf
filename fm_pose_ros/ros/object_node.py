# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``object_node``: colour image + CameraInfo in, the object's 6-DoF pose out on ``object_pose``.

All names are relative (``/object_pose`` in the root namespace). Subscribes (remap them):
``image`` (rgb8, bgr8, rgba8, bgra8 or mono8), ``camera_info`` and, with ``use_depth``,
``depth/image`` (16UC1 mm or 32FC1 m, aligned to the colour image: same size and K, e.g.
realsense-ros ``aligned_depth_to_color``): a depth frame paired by stamp
(``core/stamp_pairing.py``) refines the pose (``core/depth_refine.py``). Publishes: ``object_pose``
(PoseStamped, metres, camera optical frame, header copied; only when found),
``object_pose/all`` (PoseArray with the frame's header every processed frame: one pose when
found, empty when not, so "nothing seen" differs from "node dead"), ``object_pose/markers``
(MarkerArray, the 3D bounding box), ``object_pose/debug_image`` (only when subscribed).
Interfaces: docs/interfaces.md. All work happens in
``object_estimator``; this file only moves messages (the frame pipeline shared with the
hand node is ``pose_node.PoseNode``).
"""

import sys

from geometry_msgs.msg import PoseArray, PoseStamped
from rclpy.serialization import deserialize_message
from sensor_msgs.msg import Image
from visualization_msgs.msg import MarkerArray

from fm_pose_ros.core.image_codec import depth_to_mm, ImageFormatError
from fm_pose_ros.core.object_codec import MAX_ROTATION_DEG
from fm_pose_ros.core.object_estimator import NoObjectError, ObjectEstimator
from fm_pose_ros.core.resources import default_object_weights
from fm_pose_ros.core.stamp_pairing import MISSING, PAIRED, StampPairer
from fm_pose_ros.core.text import printable
from fm_pose_ros.ros.input_subscription import cdr_stamp_ns, InputSubscription
from fm_pose_ros.ros.node_params import COMMON_PARAMS, in_range, ParamSpec
from fm_pose_ros.ros.object_messages import box_markers, debug_image, image_to_rgb, pose_stamped
from fm_pose_ros.ros.pose_node import PoseNode, run, Skip, THROTTLE_S

NAME_LIMIT = 80  # characters of the object's name (weights metadata) in the start-up line
OBJECT_PARAMS = {
    **COMMON_PARAMS,
    'refine_steps': ParamSpec(1, 'Times the crop is re-centred on the predicted corners '
                              '(its side stays the locator\'s) before PnP (0 = use the '
                              'locator box only).',
                              in_range(0, 5)),
    'threshold': ParamSpec(0.5, 'Locator probability threshold: cells above it are the '
                           'object.', in_range(0.05, 0.95)),
    'test_rotation_deg': ParamSpec(15.0, 'Each crop also runs turned by +- this angle in the '
                                   'image plane; the corners are averaged (0 = one crop).',
                                   in_range(0.0, MAX_ROTATION_DEG)),
    'use_depth': ParamSpec(True, 'Subscribe to depth/image (16UC1 mm or 32FC1 m, aligned to the '
                           'colour image: same size and camera_info) and refine each pose by '
                           'ICP against the depth frame of the same stamp; frames without one '
                           'keep the RGB pose (false: no depth subscription).'),
    'depth_tolerance_s': ParamSpec(0.02, 'Largest stamp difference (s) between a colour frame '
                                   'and the depth frame paired with it.', in_range(0.0, 1.0)),
    'depth_wait_s': ParamSpec(0.05, 'While depth frames are arriving, how long (s) a colour '
                              'frame waits for its depth frame before it keeps the RGB pose.',
                              in_range(0.0, 1.0)),
}
NS_PER_S = 10**9


class ObjectNode(PoseNode):
    """Thin ROS wrapper around ObjectEstimator."""

    PARAMS = OBJECT_PARAMS
    IMAGE_TOPIC = 'image'
    INFO_TOPIC = 'camera_info'
    DEPTH_TOPIC = 'depth/image'
    QUIET_SKIPS = ('no_object',)
    MIN_BYTES_PER_PIXEL = 3  # rgb8
    UNTRAINED_NOTE = 'the pose is not an object pose estimate'
    default_weights = staticmethod(default_object_weights)

    def __init__(self, **kwargs):
        super().__init__('object_node', **kwargs)

    def counters(self):
        """Return the shared counters, plus the depth refinement's when ``use_depth`` is on."""
        depth = ('depth_refined', 'depth_rejected', 'depth_late', 'depth_out_of_tolerance',
                 'bad_depth') if self.depth_input is not None else ()
        return super().counters() + depth

    def _make_extra_inputs(self, mode, depth):
        """Subscribe to the depth (``use_depth``): raw frames go into the stamp pairer."""
        self.depth_pairer = StampPairer(self.params['depth_tolerance_s'] * NS_PER_S,
                                        self.params['depth_wait_s'])
        if not self.params['use_depth']:
            self.depth_input = None
            return []
        self.depth_input = InputSubscription(self, Image, self.DEPTH_TOPIC, self._on_depth, mode,
                                             depth, raw=True)
        return [self.depth_input]

    def _on_depth(self, raw):
        """Executor thread: keep the serialized depth frame by its stamp (no conversion)."""
        self.depth_pairer.add(cdr_stamp_ns(raw), raw)

    def _make_estimator(self, params):
        return ObjectEstimator(self.weights_path, params['device'], params['backend'],
                               params['threads'], params['refine_steps'], params['threshold'],
                               params['test_rotation_deg'])

    def _make_publishers(self):
        self.pose_pub = self.create_publisher(PoseStamped, 'object_pose', 10)
        self.all_pub = self.create_publisher(PoseArray, 'object_pose/all', 10)
        self.markers_pub = self.create_publisher(MarkerArray, 'object_pose/markers', 10)
        self.debug_pub = self.create_publisher(Image, 'object_pose/debug_image', 2)

    def _describe(self):
        name = printable(self.estimator.metadata['object'].get('name', '?'), NAME_LIMIT)
        depth = (f"depth refinement from {self.depth_input.topic} (pairing tolerance "
                 f"{self.params['depth_tolerance_s'] * 1e3:g} ms)" if self.depth_input
                 else 'no depth (use_depth false)')
        return (f"object '{name}', refine_steps {self.estimator.refine_steps}, crop angles "
                f"{', '.join(f'{a:g}' for a in self.estimator.angles_deg)} deg, {depth}")

    def _estimate(self, msg, K):
        rgb = self._convert(msg, image_to_rgb)
        try:
            estimate = self.estimator.estimate(rgb, K)
        except NoObjectError as exc:
            raise Skip('no_object', str(exc)) from exc
        depth = self._paired_depth(msg.header, rgb.shape[:2])
        if depth is not None:
            self._refine(estimate, depth, K)
        return estimate, rgb

    def _paired_depth(self, header, shape):
        """Depth ``(H, W)`` float32 m paired with the colour frame's stamp, or None."""
        if self.depth_input is None:
            return None
        pairing = self.depth_pairer.match(header.stamp.sec * NS_PER_S + header.stamp.nanosec)
        if pairing.status != PAIRED:
            if pairing.status != MISSING:  # missing: no depth stream, RGB-only by choice
                self.get_logger().warning(
                    f'no depth frame within {self.params["depth_tolerance_s"]:g} s of the '
                    f'colour frame ({pairing.status}): RGB pose',
                    throttle_duration_sec=THROTTLE_S)
                self.worker.stats.count(f'depth_{pairing.status}')
            return None
        try:
            depth = depth_to_mm(deserialize_message(pairing.payload, Image))
        except ImageFormatError as exc:
            return self._bad_depth(str(exc))
        if depth.shape != tuple(shape):
            return self._bad_depth(f'depth image is {depth.shape[1]}x{depth.shape[0]}, the colour '
                                   f'image {shape[1]}x{shape[0]}: it is not aligned to it')
        return depth * 1e-3

    def _bad_depth(self, problem):
        self.get_logger().warning(f'depth frame ignored: {problem}',
                                  throttle_duration_sec=THROTTLE_S)
        self.worker.stats.count('bad_depth')

    def _refine(self, estimate, depth_m, K):
        """Refine ``estimate`` against ``depth_m``; count whether the gate accepted the fit."""
        fit = self.estimator.refine(estimate, depth_m, K).depth_fit
        if not fit.accepted:
            self.get_logger().info(f'depth fit refused ({fit.reason}): RGB pose',
                                   throttle_duration_sec=THROTTLE_S)
        self.worker.stats.count('depth_refined' if fit.accepted else 'depth_rejected')

    def _publish_not_found(self, header):
        if header is not None:
            self.all_pub.publish(PoseArray(header=header))

    def _publish(self, header, estimate, rgb, K):
        pose = pose_stamped(estimate.R, estimate.t, header)
        self.pose_pub.publish(pose)
        self.all_pub.publish(PoseArray(header=header, poses=[pose.pose]))
        corners = self.estimator.corners
        if self.params['publish_markers']:
            self.markers_pub.publish(box_markers(corners, estimate.R, estimate.t, header))
        if self.debug_pub.get_subscription_count() > 0:
            self.debug_pub.publish(debug_image(rgb, K, estimate, corners, header))


def main(args=None):
    """Run the object node; the console script ``object_node`` (ros/main.py) calls it."""
    return run(ObjectNode, 'object_node', args)


if __name__ == '__main__':
    sys.exit(main())
