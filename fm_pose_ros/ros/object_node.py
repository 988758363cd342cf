# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``object_node``: colour image + CameraInfo in, the object's 6-DoF pose out on ``object_pose``.

All names are relative (``/object_pose`` in the root namespace). Subscribes (remap them):
``image`` (rgb8, bgr8, rgba8, bgra8 or mono8), ``camera_info``. Publishes: ``object_pose``
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
from sensor_msgs.msg import Image
from visualization_msgs.msg import MarkerArray

from fm_pose_ros.core.object_codec import MAX_ROTATION_DEG
from fm_pose_ros.core.object_estimator import NoObjectError, ObjectEstimator
from fm_pose_ros.core.resources import default_object_weights
from fm_pose_ros.core.text import printable
from fm_pose_ros.ros.node_params import COMMON_PARAMS, in_range, ParamSpec
from fm_pose_ros.ros.object_messages import box_markers, debug_image, image_to_rgb, pose_stamped
from fm_pose_ros.ros.pose_node import PoseNode, run, Skip

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
}


class ObjectNode(PoseNode):
    """Thin ROS wrapper around ObjectEstimator."""

    PARAMS = OBJECT_PARAMS
    IMAGE_TOPIC = 'image'
    INFO_TOPIC = 'camera_info'
    QUIET_SKIPS = ('no_object',)
    MIN_BYTES_PER_PIXEL = 3  # rgb8
    UNTRAINED_NOTE = 'the pose is not an object pose estimate'
    default_weights = staticmethod(default_object_weights)

    def __init__(self, **kwargs):
        super().__init__('object_node', **kwargs)

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
        return (f"object '{name}', refine_steps {self.estimator.refine_steps}, crop angles "
                f"{', '.join(f'{a:g}' for a in self.estimator.angles_deg)} deg")

    def _estimate(self, msg, K):
        rgb = self._convert(msg, image_to_rgb)
        try:
            return self.estimator.estimate(rgb, K), rgb
        except NoObjectError as exc:
            raise Skip('no_object', str(exc)) from exc

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
