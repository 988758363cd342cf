# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The shape both launch files share: arguments, the node action, the optional rviz2.

``launch/hand.launch.py`` and ``launch/object.launch.py`` hold only their tables (the
parameter and topic arguments of their node) and call ``launch_description``.

The params file (``params_file``, default ``config/<task>.yaml``) holds the parameters. A
launch argument that maps onto a parameter (``param_args``) defaults to '' and is passed to
the node only when given on the command line, so a value in a user's params file is never
replaced by a launch argument that was not given. Also: ``namespace``, ``log_level``, the
camera (``camera_namespace``, ``camera_name``: realsense-ros puts its topics under
``/<camera_namespace>/<camera_name>/``), the input topics (``topic_args``, remapped onto the
node's relative inputs) and ``rviz:=true`` (rviz2 with ``config/<task>.rviz``, its topics
moved into the namespace). docs/interfaces.md lists every argument.

The inputs follow the namespace: ``camera_namespace`` not given is the node's namespace (or
``camera`` in the root namespace), so two launches in ``cam1`` and ``cam2`` listen to two
cameras. ``rviz:=true`` without rviz2 installed refuses the launch in one line before any
process starts; the node's exit ends the launch (and rviz2 with it), with status 1 when the
node failed.

The launch API (``launch``, ``launch_ros``, ``ament_index_python``) is imported inside
functions only: the tables and the launch-free functions load without it.
"""

import os
import re
import shutil
import tempfile

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
# camera_namespace when neither it nor the node's namespace is given (realsense-ros default)
DEFAULT_CAMERA_NAMESPACE = 'camera'
RVIZ_MISSING = ('rviz:=true, but rviz2 is not installed (apt install ros-$ROS_DISTRO-rviz2); '
                'nothing was started')


def other_args(task, output_topic):
    """Return the (name, default, description) rows of the arguments that are not tables.

    ``task`` is 'hand' or 'object' (config/<task>.rviz); ``output_topic`` is the node's
    relative output name, e.g. 'hand_joints'.
    """
    return (
        ('namespace', '',
         f'Namespace of the node: its outputs become /<namespace>/{output_topic}.'),
        ('camera_namespace', '',
         'realsense-ros camera_namespace of the inputs; not given: the node\'s namespace, '
         f'or {DEFAULT_CAMERA_NAMESPACE} in the root namespace.'),
        ('camera_name', 'camera', 'realsense-ros camera_name of the inputs.'),
        ('log_level', 'info', 'Log level of the node: debug | info | warn | error | fatal.'),
        ('rviz', 'false', f'true: also start rviz2 (if installed) with config/{task}.rviz.'),
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


def absolute_namespace(namespace):
    """Return ``namespace`` as launch_ros gives it to the node: '' or 'cam1' -> '/', '/cam1'."""
    return '/' + namespace.strip('/')


def camera_prefix(namespace, camera_namespace, camera_name):
    """Return ``/<camera_namespace>/<camera_name>``, the realsense-ros prefix of the inputs.

    ``camera_namespace`` '' follows the node's ``namespace`` ('' there too: 'camera').
    Slashes around either part are dropped; an empty part is left out.
    """
    if not camera_namespace:
        camera_namespace = namespace.strip('/') or DEFAULT_CAMERA_NAMESPACE
    parts = [part.strip('/') for part in (camera_namespace, camera_name)]
    return '/' + '/'.join(part for part in parts if part)


def input_remaps(topic_args, values):
    """Return the node's input remaps ``[(node-side topic, outer topic)]``.

    ``topic_args``: (name, realsense-ros suffix, description, node-side topic) rows;
    ``values``: the launch arguments as strings (``namespace``, ``camera_namespace``,
    ``camera_name`` and each row's name). A topic argument given is used as written (a
    relative name resolves in the node's namespace); not given ('') it is
    ``<camera_prefix>/<suffix>``.
    """
    prefix = camera_prefix(values['namespace'], values['camera_namespace'],
                           values['camera_name'])
    return [(inner, values[name] or f'{prefix}/{suffix}')
            for name, suffix, _, inner in topic_args]


def rviz_config_text(text, namespace, output_topic):
    """Return the rviz config ``text`` with its ``/<output_topic>...`` topics in ``namespace``.

    The shipped configs name the root-namespace outputs (``Value: /hand_joints``,
    ``Value: /hand_joints/markers``); namespace 'cam1' turns them into ``/cam1/hand_joints``...
    """
    inside = absolute_namespace(namespace).rstrip('/')
    pattern = rf'^(\s*Value: )/({re.escape(output_topic)}(/\S*)?)\s*$'
    return re.sub(pattern, rf'\g<1>{inside}/\g<2>', text, flags=re.M)


def write_rviz_config(path, namespace, output_topic):
    """Return the rviz config to start rviz2 with.

    In the root namespace that is ``path`` itself; in another, a temporary copy with the
    topics moved into ``namespace`` (the caller removes it).
    """
    if absolute_namespace(namespace) == '/':
        return path
    with open(path, encoding='utf-8') as handle:
        text = rviz_config_text(handle.read(), namespace, output_topic)
    fd, copy = tempfile.mkstemp(prefix='fm_pose_ros_', suffix='.rviz')
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write(text)
    return copy


def is_true(name, text):
    """Read a launch argument as launch's IfCondition does: true/1 or false/0, any case."""
    value = text.strip().lower()
    if value not in ('true', '1', 'false', '0'):
        raise ValueError(f"{name}:={text}: expected true or false")
    return value in ('true', '1')


def find_rviz2():
    """Return the rviz2 executable as launch_ros would start it, or None when not installed.

    launch_ros resolves ``package='rviz2'`` through the ament index:
    ``<prefix of rviz2>/lib/rviz2/rviz2``.
    """
    from ament_index_python.packages import get_package_prefix, PackageNotFoundError
    try:
        prefix = get_package_prefix('rviz2')
    except PackageNotFoundError:
        return None
    return shutil.which('rviz2', path=os.path.join(prefix, 'lib', 'rviz2'))


def exit_problem(name, returncode):
    """Return the one line that ends a launch whose node ``name`` failed, or None (status 0)."""
    if returncode == 0:
        return None
    return f'{name} exited with status {returncode}; the launch ends'


def _end_launch(name):
    """Return the node's on_exit: shut the launch down; a failed node makes its status 1."""
    from launch.actions import Shutdown

    def on_exit(event, context):
        problem = exit_problem(name, event.returncode)
        if problem:
            raise RuntimeError(problem)  # launch logs the line, shuts down, exits 1
        return [Shutdown(reason=f'{name} exited')]
    return on_exit


def _remove(path):
    if os.path.exists(path):
        os.remove(path)


def _rviz_actions(share, task, values, output_topic):
    """Return rviz2 (in the node's namespace, topics moved there) and the temp file's removal."""
    from launch.actions import RegisterEventHandler
    from launch.event_handlers import OnShutdown
    from launch_ros.actions import Node

    installed = config_path(share, task, '.rviz')
    config = write_rviz_config(installed, values['namespace'], output_topic)
    actions = [Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
                    namespace=values['namespace'], arguments=['-d', config])]
    if config != installed:
        actions.append(RegisterEventHandler(OnShutdown(
            on_shutdown=lambda event, context: _remove(config))))
    return actions


def _node_action(task, param_args, topic_args, output_topic, share):
    """Return the OpaqueFunction that builds ``<task>_node`` (and rviz2) from the arguments.

    With ``rviz:=true`` and no rviz2 it raises before returning any action: launch prints
    the one line and exits with status 1, and no process was started.
    """
    from launch.actions import OpaqueFunction
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node

    def actions(context):
        names = [row[0] for row in topic_args] + [
            'namespace', 'camera_namespace', 'camera_name', 'rviz']
        values = {name: LaunchConfiguration(name).perform(context) for name in names}
        rviz = is_true('rviz', values['rviz'])
        if rviz and find_rviz2() is None:
            raise RuntimeError(RVIZ_MISSING)
        given = given_parameters({name: LaunchConfiguration(name).perform(context)
                                  for name, _ in param_args})
        node = Node(
            package=PACKAGE,
            executable=f'{task}_node',
            name=f'{task}_node',
            namespace=LaunchConfiguration('namespace'),
            output='screen',
            emulate_tty=True,
            parameters=node_parameters(LaunchConfiguration('params_file').perform(context),
                                       {name: LaunchConfiguration(name) for name in given}),
            remappings=input_remaps(topic_args, values),
            ros_arguments=['--log-level', LaunchConfiguration('log_level')],
            on_exit=_end_launch(f'{task}_node'),
        )
        return [node] + (_rviz_actions(share, task, values, output_topic) if rviz else [])
    return OpaqueFunction(function=actions)


def launch_description(task, param_args, topic_args, output_topic):
    """Return the LaunchDescription of ``<task>_node``: arguments, the node, rviz2.

    ``param_args``: (name, description) rows passed as parameters only when given;
    ``topic_args``: (name, realsense-ros suffix, description, node-side topic) rows that
    remap the inputs; ``output_topic``: the node's relative output name (namespace, rviz).
    """
    from ament_index_python.packages import get_package_share_directory
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument

    share = get_package_share_directory(PACKAGE)
    arguments = [DeclareLaunchArgument(
        'params_file', default_value=config_path(share, task, '.yaml'),
        description='Node parameters (ros__parameters YAML, keyed /**:).')]
    arguments += [DeclareLaunchArgument(name, default_value='', description=text)
                  for name, text in param_args]
    arguments += [DeclareLaunchArgument(
        name, default_value='',
        description=f'{text} Not given: /<camera_namespace>/<camera_name>/{suffix}.')
        for name, suffix, text, _ in topic_args]
    arguments += [DeclareLaunchArgument(name, default_value=default, description=text)
                  for name, default, text in other_args(task, output_topic)]
    return LaunchDescription(
        arguments + [_node_action(task, param_args, topic_args, output_topic, share)])
