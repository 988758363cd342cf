# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Launch hand_node: ``ros2 launch fm_pose_ros hand.launch.py depth_topic:=... rviz:=true``.

Arguments: those of both nodes (``fm_pose_ros/ros/node_launch.py``), ``locator_every`` and the
topics of the depth image and its CameraInfo (not given: the realsense-ros topics of
``/<camera_namespace>/<camera_name>/``); docs/interfaces.md lists them all.
"""

from fm_pose_ros.ros.node_launch import launch_description, SHARED_PARAM_ARGS

# (name, description): launch arguments passed as node parameters only when given ('' = not)
PARAM_ARGS = SHARED_PARAM_ARGS + (
    ('locator_every', 'Run the learned locator every N frames; not given: params file.'),
)
# (name, realsense-ros suffix, description, node-side topic): launch arguments that remap the
# inputs; not given: /<camera_namespace>/<camera_name>/<suffix> (realsense-ros 4.54+ names)
TOPIC_ARGS = (
    ('depth_topic', 'depth/image_rect_raw', 'Depth image (16UC1 mm or 32FC1 m).', 'depth/image'),
    ('camera_info_topic', 'depth/camera_info', 'CameraInfo of the depth image.',
     'depth/camera_info'),
)
OUTPUT_TOPIC = 'hand_joints'


def generate_launch_description():
    """Declare the arguments, the hand_node action and the optional rviz2."""
    return launch_description('hand', PARAM_ARGS, TOPIC_ARGS, OUTPUT_TOPIC)
