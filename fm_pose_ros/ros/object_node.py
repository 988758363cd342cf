# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``object_node``: colour image + CameraInfo in, the 6-DoF poses of its objects out.

One node estimates one object per weights file (``weights``: a file or a list of files),
named after its weights metadata (``core/object_set.py``). All names are relative
(``/object_pose`` in the root namespace). Subscribes (remap them): ``image`` (rgb8, bgr8,
rgba8, bgra8 or mono8), ``camera_info`` and, with ``use_depth``, ``depth/image`` (16UC1 mm or
32FC1 m, aligned to the colour image: same size and K, e.g. realsense-ros
``aligned_depth_to_color``): a depth frame paired by stamp (``core/stamp_pairing.py``) refines
each found pose (``core/depth_refine.py``). Publishes: ``object_pose/<name>`` (PoseStamped,
metres, camera optical frame, header copied; only when that object is found),
``object_pose`` (the same, only when the node has one object), ``object_pose/all`` (PoseArray
with the frame's header every processed frame: the found objects' poses in the order of
``weights``, empty when none, so "nothing seen" differs from "node dead"),
``object_pose/markers`` (MarkerArray, each object's 3D bounding box in namespace ``<name>``),
``object_pose/debug_image`` (only when subscribed). Interfaces: docs/interfaces.md. All work
happens in ``object_set`` / ``object_estimator``; this file only moves messages (the frame
pipeline shared with the hand node is ``pose_node.PoseNode``).
"""

import sys

from geometry_msgs.msg import PoseArray, PoseStamped
from rclpy.serialization import deserialize_message
from sensor_msgs.msg import Image
from visualization_msgs.msg import MarkerArray

from fm_pose_ros.core.image_codec import depth_to_mm, ImageFormatError
from fm_pose_ros.core.object_codec import MAX_ROTATION_DEG
from fm_pose_ros.core.object_estimator import ObjectEstimator
from fm_pose_ros.core.object_set import ObjectSet
from fm_pose_ros.core.resources import default_object_weights
from fm_pose_ros.core.stamp_pairing import MISSING, PAIRED, StampPairer
from fm_pose_ros.core.text import printable
from fm_pose_ros.ros.input_subscription import cdr_stamp_ns, InputSubscription
from fm_pose_ros.ros.node_params import COMMON_PARAMS, file_names, in_range, ParamSpec
from fm_pose_ros.ros.object_messages import (
    debug_image, image_to_rgb, object_markers, pose_stamped)
from fm_pose_ros.ros.pose_node import PoseNode, run, Skip, THROTTLE_S

NAME_LIMIT = 80  # characters of the object's name (weights metadata) in the start-up line
OBJECT_PARAMS = {
    **COMMON_PARAMS,
    'weights': ParamSpec('', 'Object weights file (.safetensors), or a list of them: one object '
                         'per file, each estimated in every frame; empty (string or list) = '
                         'the shipped default model.', file_names, also_type='str[]'),
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
# topics beside object_pose/<name>: an object of such a name is called <name>_object
OWN_TOPICS = ('all', 'markers', 'debug_image')


class ObjectNode(PoseNode):
    """Thin ROS wrapper around ObjectSet (one ObjectEstimator per object)."""

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

    @property
    def weights_paths(self):
        """The weights files in use, in the order of ``weights`` (none: the shipped model)."""
        value = self.params['weights'] or []
        return [value] if isinstance(value, str) else list(value) or [self.default_weights()]

    @property
    def weights_path(self):
        """The weights files in use, comma-separated (one file: its path)."""
        return ', '.join(self.weights_paths)

    def _make_estimator(self, params):
        """Build the ObjectSet: one ObjectEstimator per weights file, with the same settings."""
        return ObjectSet(self.weights_paths, lambda path: ObjectEstimator(
            path, params['device'], params['backend'], params['threads'],
            params['refine_steps'], params['threshold'], params['test_rotation_deg']),
            OWN_TOPICS)

    def _make_publishers(self):
        objects = self.estimator.objects
        self.object_pubs = {obj.name: self.create_publisher(
            PoseStamped, f'object_pose/{obj.name}', 10) for obj in objects}
        # several objects: a pose on object_pose would not say which object it is
        self.pose_pub = (self.create_publisher(PoseStamped, 'object_pose', 10)
                         if len(objects) == 1 else None)
        self.all_pub = self.create_publisher(PoseArray, 'object_pose/all', 10)
        self.markers_pub = self.create_publisher(MarkerArray, 'object_pose/markers', 10)
        self.debug_pub = self.create_publisher(Image, 'object_pose/debug_image', 2)

    def _describe(self):
        objects = self.estimator.objects
        named = ', '.join(
            f"'{printable(obj.estimator.metadata['object'].get('name', '?'), NAME_LIMIT)}' on "
            f'object_pose/{obj.name}' for obj in objects)
        settings = objects[0].estimator
        depth = (f"depth refinement from {self.depth_input.topic} (pairing tolerance "
                 f"{self.params['depth_tolerance_s'] * 1e3:g} ms)" if self.depth_input
                 else 'no depth (use_depth false)')
        return (f"object{'s' if len(objects) > 1 else ''} {named}, refine_steps "
                f"{settings.refine_steps}, crop angles "
                f"{', '.join(f'{a:g}' for a in settings.angles_deg)} deg, {depth}")

    def _diagnostic_values(self):
        """Return the shared values, ``objects`` and ``object.<name>.*`` (docs/interfaces.md)."""
        values = {**super()._diagnostic_values(),
                  'objects': ', '.join(obj.name for obj in self.estimator.objects)}
        for obj in self.estimator.objects:
            key = f'object.{obj.name}.'
            values.update({key + 'weights': obj.path, key + 'found': str(obj.found),
                           key + 'not_found': str(obj.not_found),
                           key + 'processing_ms': '' if obj.last_ms is None
                           else f'{obj.last_ms:.1f}'})
        return values

    def _estimate(self, msg, K):
        """Convert the image once, run every object on it; refine the found against depth."""
        rgb = self._convert(msg, image_to_rgb)
        found = self.estimator.estimate(rgb, K)
        if not found:
            raise Skip('no_object', self.estimator.problems())
        depth = self._paired_depth(msg.header, rgb.shape[:2])
        if depth is not None:
            for fit in self.estimator.refine(found, depth, K):
                self._count_fit(fit)
        return found, rgb

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

    def _count_fit(self, fit):
        """Count (and log when refused) one object's depth fit."""
        if not fit.accepted:
            self.get_logger().info(f'depth fit refused ({fit.reason}): RGB pose',
                                   throttle_duration_sec=THROTTLE_S)
        self.worker.stats.count('depth_refined' if fit.accepted else 'depth_rejected')

    def _publish_not_found(self, header):
        if header is not None:
            self.all_pub.publish(PoseArray(header=header))
            self._publish_markers(header, [])

    def _publish(self, header, found, rgb, K):
        """Publish the ``found`` ``[(NamedObject, ObjectEstimate)]`` of one frame."""
        poses = [pose_stamped(estimate.R, estimate.t, header) for _, estimate in found]
        for (obj, _), pose in zip(found, poses):
            self.object_pubs[obj.name].publish(pose)
        if self.pose_pub is not None:
            self.pose_pub.publish(poses[0])
        self.all_pub.publish(PoseArray(header=header, poses=[pose.pose for pose in poses]))
        self._publish_markers(header, found)
        if self.debug_pub.get_subscription_count() > 0:
            drawn = [(obj.name, estimate, obj.estimator.corners) for obj, estimate in found]
            self.debug_pub.publish(debug_image(rgb, K, drawn, header))

    def _publish_markers(self, header, found):
        """Boxes of the ``found`` objects; a removal (DELETE) for the box of each other one."""
        if not self.params['publish_markers']:
            return
        boxes = [(obj.name, obj.estimator.corners, e.R, e.t) for obj, e in found]
        seen = {obj.name for obj, _ in found}
        missing = [obj.name for obj in self.estimator.objects if obj.name not in seen]
        self.markers_pub.publish(object_markers(header, boxes, missing))


def main(args=None):
    """Run the object node; the console script ``object_node`` (ros/main.py) calls it."""
    return run(ObjectNode, 'object_node', args)


if __name__ == '__main__':
    sys.exit(main())
