# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The shape both launch files share: arguments, the node action, the optional rviz2.

``launch/hand.launch.py`` and ``launch/object.launch.py`` hold only their tables (the
parameter and topic arguments of their node) and call ``launch_description``.

The params file (``params_file``, default ``config/<task>.yaml``) holds the parameters. A
launch argument that maps onto a parameter (``param_args``) defaults to '' and is passed to
the node only when given on the command line, so a value in a user's params file is never
replaced by a launch argument that was not given. Also: ``namespace``, ``log_level``, the
input topics (``topic_args``, remapped onto the node's relative inputs) and ``rviz:=true``
(rviz2 with ``config/<task>.rviz``). docs/interfaces.md lists every argument.

The launch API (``launch``, ``launch_ros``, ``ament_index_python``) is imported inside
``launch_description`` only: the tables and the launch-free functions load without it.
"""

import os

PACKAGE = 'fm_pose_ros'
# (name, description): parameter arguments of both nodes, passed only when given ('' = not)
SHARED_PARAM_ARGS = (
    ('weights', 'Weights file (.safetensors); not given: params file (shipped model).'),
    ('device', 'auto | cpu | cuda; not given: params file.'),
    ('backend', 'auto | torch | onnxruntime; not given: params file.'),
    ('threads', 'CPU inference threads; not given: params file.'),
    ('qos_reliability', 'auto | reliable | best_effort; not given: params file.'),
    ('use_sim_time', 'true: stamps and timers follow /clock; not given: params file.'),
)


def other_args(task, output_topic):
    """Return the (name, default, description) rows of the arguments that are not tables.

    ``task`` is 'hand' or 'object' (config/<task>.rviz); ``output_topic`` is the node's
    relative output name, e.g. 'hand_joints'.
    """
    return (
        ('namespace', '',
         f'Namespace of the node: its outputs become /<namespace>/{output_topic}.'),
        ('log_level', 'info', 'Log level of the node: debug | info | warn | error | fatal.'),
        ('rviz', 'false', f'true: also start rviz2 with config/{task}.rviz.'),
    )


def given_parameters(values):
    """Return the launch-argument values that were given (non-empty): ``{name: value}``."""
    return {name: value for name, value in values.items() if value != ''}


def node_parameters(params_file, given):
    """Return the node's parameters: the params file, then only the given arguments."""
    return [params_file, given] if given else [params_file]


def config_path(share, task, suffix):
    """Return ``<share>/config/<task><suffix>`` (suffix '.yaml' or '.rviz')."""
    return os.path.join(share, 'config', task + suffix)


def _node_action(task, param_args, topic_args):
    """Return the OpaqueFunction that builds ``<task>_node`` from the performed arguments."""
    from launch.actions import OpaqueFunction
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node

    def node(context):
        given = given_parameters({name: LaunchConfiguration(name).perform(context)
                                  for name, _ in param_args})
        return [Node(
            package=PACKAGE,
            executable=f'{task}_node',
            name=f'{task}_node',
            namespace=LaunchConfiguration('namespace'),
            output='screen',
            emulate_tty=True,
            parameters=node_parameters(LaunchConfiguration('params_file').perform(context),
                                       {name: LaunchConfiguration(name) for name in given}),
            remappings=[(inner, LaunchConfiguration(name)) for name, _, _, inner in topic_args],
            ros_arguments=['--log-level', LaunchConfiguration('log_level')],
        )]
    return OpaqueFunction(function=node)


def launch_description(task, param_args, topic_args, output_topic):
    """Return the LaunchDescription of ``<task>_node``: arguments, the node, rviz2.

    ``param_args``: (name, description) rows passed as parameters only when given;
    ``topic_args``: (name, default, description, node-side topic) rows that remap the inputs;
    ``output_topic``: the node's relative output name (for the namespace's description).
    """
    from ament_index_python.packages import get_package_share_directory
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument
    from launch.conditions import IfCondition
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node

    share = get_package_share_directory(PACKAGE)
    arguments = [DeclareLaunchArgument(
        'params_file', default_value=config_path(share, task, '.yaml'),
        description='Node parameters (ros__parameters YAML, keyed /**:).')]
    arguments += [DeclareLaunchArgument(name, default_value='', description=text)
                  for name, text in param_args]
    arguments += [DeclareLaunchArgument(name, default_value=default, description=text)
                  for name, default, text, _ in topic_args]
    arguments += [DeclareLaunchArgument(name, default_value=default, description=text)
                  for name, default, text in other_args(task, output_topic)]
    rviz = Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
                arguments=['-d', config_path(share, task, '.rviz')],
                condition=IfCondition(LaunchConfiguration('rviz')))
    return LaunchDescription(arguments + [_node_action(task, param_args, topic_args), rviz])
