# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Launch object_node: ``ros2 launch fm_pose_ros object.launch.py image_topic:=... rviz:=true``.

The params file (``params_file``, default config/object.yaml) holds the parameters. A launch
argument that maps onto a parameter (PARAM_ARGS) defaults to '' and is passed to the node
only when given on the command line, so a value in a user's params file is never replaced
by a launch argument that was not given. Also: ``namespace``, ``log_level``, the input
topics (TOPIC_ARGS) and ``rviz:=true`` (rviz2 with config/object.rviz). docs/interfaces.md lists
every argument.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

# (name, description): launch arguments passed as node parameters only when given ('' = not)
PARAM_ARGS = (
    ('weights', 'Weights file (.safetensors); not given: params file (shipped model).'),
    ('device', 'auto | cpu | cuda; not given: params file.'),
    ('backend', 'auto | torch | onnxruntime; not given: params file.'),
    ('threads', 'CPU inference threads; not given: params file.'),
    ('qos_reliability', 'auto | reliable | best_effort; not given: params file.'),
    ('use_sim_time', 'true: stamps and timers follow /clock; not given: params file.'),
    ('refine_steps', 'Crop re-centring steps before PnP (0-5); not given: params file.'),
)
# (name, default, description, node-side topic): launch arguments that remap the inputs
TOPIC_ARGS = (
    ('image_topic', '/camera/camera/color/image_raw',
     'Colour image (rgb8, bgr8, rgba8, bgra8, mono8); default: realsense-ros 4.54+ names.',
     'image'),
    ('camera_info_topic', '/camera/camera/color/camera_info', 'CameraInfo of the image.',
     'camera_info'),
    ('depth_topic', '/camera/camera/aligned_depth_to_color/image_raw',
     'Depth aligned to the colour image (16UC1 mm or 32FC1 m), for the ICP refinement '
     '(parameter use_depth); realsense-ros publishes it with align_depth.enable:=true.',
     'depth/image'),
)
# (name, default, description): the other launch arguments
OTHER_ARGS = (
    ('namespace', '', 'Namespace of the node: its outputs become /<namespace>/object_pose.'),
    ('log_level', 'info', 'Log level of the node: debug | info | warn | error | fatal.'),
    ('rviz', 'false', 'true: also start rviz2 with config/object.rviz.'),
)


def given_parameters(values):
    """Return the launch-argument values that were given (non-empty): ``{name: value}``."""
    return {name: value for name, value in values.items() if value != ''}


def node_parameters(params_file, given):
    """Return the node's parameters: the params file, then only the given arguments."""
    return [params_file, given] if given else [params_file]


def _node(context):
    given = given_parameters({name: LaunchConfiguration(name).perform(context)
                              for name, _ in PARAM_ARGS})
    return [Node(
        package='fm_pose_ros',
        executable='object_node',
        name='object_node',
        namespace=LaunchConfiguration('namespace'),
        output='screen',
        emulate_tty=True,
        parameters=node_parameters(LaunchConfiguration('params_file').perform(context),
                                   {name: LaunchConfiguration(name) for name in given}),
        remappings=[(inner, LaunchConfiguration(name)) for name, _, _, inner in TOPIC_ARGS],
        ros_arguments=['--log-level', LaunchConfiguration('log_level')],
    )]


def generate_launch_description():
    """Declare the arguments, the object_node action and the optional rviz2."""
    share = get_package_share_directory('fm_pose_ros')
    arguments = [DeclareLaunchArgument(
        'params_file', default_value=os.path.join(share, 'config', 'object.yaml'),
        description='Node parameters (ros__parameters YAML, keyed /**:).')]
    arguments += [DeclareLaunchArgument(name, default_value='', description=text)
                  for name, text in PARAM_ARGS]
    arguments += [DeclareLaunchArgument(name, default_value=default, description=text)
                  for name, default, text, _ in TOPIC_ARGS]
    arguments += [DeclareLaunchArgument(name, default_value=default, description=text)
                  for name, default, text in OTHER_ARGS]
    rviz = Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
                arguments=['-d', os.path.join(share, 'config', 'object.rviz')],
                condition=IfCondition(LaunchConfiguration('rviz')))
    return LaunchDescription(arguments + [OpaqueFunction(function=_node), rviz])
