# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``hand_node``: depth image + CameraInfo in, 14 hand joints out on ``hand_joints``.

All names are relative (``/hand_joints`` in the root namespace, ``/cam1/hand_joints`` in
``cam1``). Subscribes (remap them): ``depth/image`` (16UC1 mm or 32FC1 m),
``depth/camera_info``. Publishes: ``hand_joints`` (PoseArray, metres, header copied; an
empty PoseArray with the frame's header when the frame holds no hand), ``hand_joints/markers``
(MarkerArray), ``hand_joints/debug_image`` (only when subscribed). Interfaces:
docs/interfaces.md.
All work happens in ``hand_estimator``; this file only moves messages (the frame pipeline
shared with the object node is ``pose_node.PoseNode``).
"""

import sys

from geometry_msgs.msg import PoseArray
from sensor_msgs.msg import Image
from visualization_msgs.msg import MarkerArray

from fm_pose_ros.core.hand_estimator import HandEstimator, NoHandError
from fm_pose_ros.core.hand_fit import MAX_ITERATIONS
from fm_pose_ros.core.image_codec import depth_to_mm
from fm_pose_ros.core.joint_filter import MAX_GAP_S, OneEuroFilter
from fm_pose_ros.core.resources import default_hand_weights
from fm_pose_ros.ros.hand_messages import debug_image, joints_to_pose_array, skeleton_markers
from fm_pose_ros.ros.node_params import COMMON_PARAMS, in_range, ParamSpec
from fm_pose_ros.ros.pose_node import PoseNode, run, Skip

# defaults of the refinement and smoothing parameters (why: docs/results_hand.md)
FIT_ITERATIONS = 3
SMOOTHING = False
MIN_CUTOFF_HZ, BETA, D_CUTOFF_HZ = 1.0, 0.05, 1.0

HAND_PARAMS = {
    **COMMON_PARAMS,
    'cube_size_mm': ParamSpec(0.0, 'Side of the metric cube cropped around the hand in mm '
                              '(0 = the size the model was trained with).',
                              in_range(0.0, 2000.0)),
    'depth_min_m': ParamSpec(0.15, 'Ignore depth closer than this (m) when finding the hand.',
                             in_range(0.0, 20.0), read_only=False),
    'depth_max_m': ParamSpec(1.5, 'Ignore depth farther than this (m) when finding the hand.',
                             in_range(0.01, 20.0), read_only=False),
    'locator_every': ParamSpec(1, 'Learned locator: run it at least every N frames; between '
                               'runs the hand is tracked from the last centre (1 = every '
                               'frame; it also runs whenever tracking is lost).',
                               in_range(1, 1000), read_only=False),
    'fit_iterations': ParamSpec(
        FIT_ITERATIONS, 'Depth fitting: Levenberg-Marquardt steps that fit the articulated hand '
        'model to the depth points in the crop, starting from the network\'s joints (0 = '
        'publish the network\'s joints).', in_range(0, MAX_ITERATIONS), read_only=False),
    'smoothing': ParamSpec(
        SMOOTHING, 'Smooth the joints over time with a One Euro filter driven by the image '
        f'stamps; it starts over when no hand is found, a stamp goes backwards or repeats, or '
        f'more than {MAX_GAP_S} s pass between frames.', read_only=False),
    'min_cutoff': ParamSpec(MIN_CUTOFF_HZ, 'One Euro filter: cutoff frequency (Hz) of a '
                            'joint at rest; lower = smoother and more lag.',
                            in_range(0.01, 100.0), read_only=False),
    'beta': ParamSpec(BETA, 'One Euro filter: cutoff increase per mm/s of joint speed (Hz '
                      'per mm/s); higher = less lag in fast motion.', in_range(0.0, 10.0),
                      read_only=False),
    'd_cutoff': ParamSpec(D_CUTOFF_HZ, 'One Euro filter: cutoff frequency (Hz) of the joint '
                          'speed estimate.', in_range(0.01, 100.0), read_only=False),
}


class HandNode(PoseNode):
    """Thin ROS wrapper around HandEstimator."""

    PARAMS = HAND_PARAMS
    IMAGE_TOPIC = 'depth/image'
    INFO_TOPIC = 'depth/camera_info'
    QUIET_SKIPS = ('no_hand',)
    MIN_BYTES_PER_PIXEL = 2  # 16UC1
    UNTRAINED_NOTE = 'the joints are not a hand pose estimate'
    default_weights = staticmethod(default_hand_weights)

    def __init__(self, **kwargs):
        super().__init__('hand_node', **kwargs)

    def _make_estimator(self, params):
        overrides = _depth_range(params['depth_min_m'], params['depth_max_m'])
        if params['cube_size_mm'] > 0:
            overrides['cube_mm'] = (params['cube_size_mm'],) * 3
        return HandEstimator(self.weights_path, params['device'], params['backend'],
                             overrides, params['threads'], params['locator_every'],
                             params['fit_iterations'], _smoother(params))

    def _make_publishers(self):
        self.joints_pub = self.create_publisher(PoseArray, 'hand_joints', 10)
        self.markers_pub = self.create_publisher(MarkerArray, 'hand_joints/markers', 10)
        self.debug_pub = self.create_publisher(Image, 'hand_joints/debug_image', 2)

    def _describe(self):
        locator = 'learned locator' if self.estimator.locate else 'centre-of-mass localiser'
        smoothing = 'on' if self.params['smoothing'] else 'off'
        return (f'cube {self.estimator.crop_settings.cube_mm} mm, {locator}, '
                f"locator_every {self.params['locator_every']}, fit_iterations "
                f"{self.params['fit_iterations']}, smoothing {smoothing}")

    def _apply(self, changes):
        """Apply run-time changes (depth range, tracking, fitting, smoothing, markers).

        Returns an error message or None.
        """
        merged = {**self.params, **changes}
        if merged['depth_min_m'] >= merged['depth_max_m']:
            return 'depth_min_m must be smaller than depth_max_m'
        self.params = merged
        self.estimator.locator_every = merged['locator_every']
        self.estimator.set_fit_iterations(merged['fit_iterations'])
        if set(changes) & {'smoothing', 'min_cutoff', 'beta', 'd_cutoff'}:
            self.estimator.smoother = _smoother(merged)
        self.estimator.set_crop_overrides(
            _depth_range(merged['depth_min_m'], merged['depth_max_m']))
        return None

    def _estimate(self, msg, K):
        depth = self._convert(msg, depth_to_mm)
        stamp_s = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        try:
            return self.estimator.estimate(depth, K, stamp_s=stamp_s), depth
        except NoHandError as exc:
            raise Skip('no_hand', str(exc)) from exc

    def _publish_not_found(self, header):
        if header is not None:
            self.joints_pub.publish(PoseArray(header=header))

    def _publish(self, header, estimate, depth, K):
        self.joints_pub.publish(joints_to_pose_array(estimate.joints_mm, header))
        if self.params['publish_markers']:
            self.markers_pub.publish(skeleton_markers(estimate.joints_mm, header))
        if self.debug_pub.get_subscription_count() > 0:
            self.debug_pub.publish(debug_image(depth, K, estimate, header,
                                               self.estimator.crop_settings.cube_mm))


def _smoother(params):
    """Return the One Euro filter the parameters ask for, or None when smoothing is off."""
    if not params['smoothing']:
        return None
    return OneEuroFilter(params['min_cutoff'], params['beta'], params['d_cutoff'])


def _depth_range(depth_min_m, depth_max_m):
    return {'depth_min_mm': depth_min_m * 1000.0, 'depth_max_mm': depth_max_m * 1000.0}


def main(args=None):
    """Run the hand node; the console script ``hand_node`` (ros/main.py) calls it."""
    return run(HandNode, 'hand_node', args)


if __name__ == '__main__':
    sys.exit(main())
