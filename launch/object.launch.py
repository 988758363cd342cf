# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Launch object_node: ``ros2 launch fm_pose_ros object.launch.py image_topic:=/camera/...``.

Launch arguments map onto node parameters and input remappings only; the params file
(config/object.yaml by default) holds everything else.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

# (name, default, description): launch arguments passed to the node as parameters
PARAM_ARGS = (
    ('weights', '', 'Weights file (.safetensors); empty = the shipped model.'),
    ('device', 'auto', 'auto | cpu | cuda'),
    ('backend', 'auto', 'auto | torch | onnxruntime'),
)
# (name, default, description, node-side topic): launch arguments that remap inputs
TOPIC_ARGS = (
    ('image_topic', '/camera/color/image_raw',
     'Colour image topic (rgb8, bgr8, rgba8, bgra8 or mono8).', 'image'),
    ('camera_info_topic', '/camera/color/camera_info', 'CameraInfo of the colour image.',
     'camera_info'),
)


def generate_launch_description():
    """Declare the arguments and the object_node action."""
    default_params = os.path.join(
        get_package_share_directory('fm_pose_ros'), 'config', 'object.yaml')
    arguments = [
        DeclareLaunchArgument('params_file', default_value=default_params,
                              description='Node parameters (ros__parameters YAML).'),
        DeclareLaunchArgument('large_data', default_value='LARGE_DATA',
                              description='FASTDDS_BUILTIN_TRANSPORTS for the node '
                                          '(LARGE_DATA: shared memory + TCP for images).'),
    ]
    arguments += [DeclareLaunchArgument(name, default_value=default, description=text)
                  for name, default, text in PARAM_ARGS]
    arguments += [DeclareLaunchArgument(name, default_value=default, description=text)
                  for name, default, text, _ in TOPIC_ARGS]
    node = Node(
        package='fm_pose_ros',
        executable='object_node',
        name='object_node',
        output='screen',
        emulate_tty=True,
        parameters=[LaunchConfiguration('params_file'),
                    {name: LaunchConfiguration(name) for name, _, _ in PARAM_ARGS}],
        remappings=[(inner, LaunchConfiguration(name)) for name, _, _, inner in TOPIC_ARGS],
    )
    transports = SetEnvironmentVariable('FASTDDS_BUILTIN_TRANSPORTS',
                                        LaunchConfiguration('large_data'))
    return LaunchDescription(arguments + [transports, node])
