# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Launch object_node: ``ros2 launch fm_pose_ros object.launch.py image_topic:=... rviz:=true``.

Arguments: those of both nodes (``fm_pose_ros/ros/node_launch.py``), ``refine_steps`` and the
topics of the colour image and its CameraInfo (not given: the realsense-ros topics of
``/<camera_namespace>/<camera_name>/``); docs/interfaces.md lists them all.
"""

from fm_pose_ros.ros.node_launch import launch_description, SHARED_PARAM_ARGS

# (name, description): launch arguments passed as node parameters only when given ('' = not)
PARAM_ARGS = SHARED_PARAM_ARGS + (
    ('refine_steps', 'Crop re-centring steps before PnP (0-5); not given: params file.'),
)
# (name, realsense-ros suffix, description, node-side topic): launch arguments that remap the
# inputs; not given: /<camera_namespace>/<camera_name>/<suffix> (realsense-ros 4.54+ names)
TOPIC_ARGS = (
    ('image_topic', 'color/image_raw', 'Colour image (rgb8, bgr8, rgba8, bgra8, mono8).',
     'image'),
    ('camera_info_topic', 'color/camera_info', 'CameraInfo of the image.', 'camera_info'),
    ('depth_topic', 'aligned_depth_to_color/image_raw',
     'Depth aligned to the colour image (16UC1 mm or 32FC1 m), for the ICP refinement '
     '(parameter use_depth); realsense-ros publishes it with align_depth.enable:=true.',
     'depth/image'),
)
OUTPUT_TOPIC = 'object_pose'


def generate_launch_description():
    """Declare the arguments, the object_node action and the optional rviz2."""
    return launch_description('object', PARAM_ARGS, TOPIC_ARGS, OUTPUT_TOPIC)
