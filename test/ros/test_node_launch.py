# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""fm_pose_ros/ros/node_launch.py: arguments passed only when given, the official launch API.

``launch``/``launch_ros`` are not installable here: the launch-free functions run, and the
launch-API part is checked as source (its imports and the node action's arguments).
"""

import ast

import pytest

from fm_pose_ros.ros import node_launch

OFFICIAL_API = {'ament_index_python.packages', 'launch', 'launch.actions', 'launch.conditions',
                'launch.substitutions', 'launch_ros.actions'}


def source_tree():
    with open(node_launch.__file__, encoding='utf-8') as handle:
        return ast.parse(handle.read())


def test_parameters_are_the_params_file_then_only_the_given_arguments():
    not_given = {name: '' for name, _ in node_launch.SHARED_PARAM_ARGS}
    given = node_launch.given_parameters(not_given)
    assert given == {}
    assert node_launch.node_parameters('/p.yaml', given) == ['/p.yaml']
    given = node_launch.given_parameters({**not_given, 'device': 'cuda', 'threads': '2'})
    assert node_launch.node_parameters('/p.yaml', given) == [
        '/p.yaml', {'device': 'cuda', 'threads': '2'}]


@pytest.mark.parametrize('task, output', [('hand', 'hand_joints'), ('object', 'object_pose')])
def test_other_arguments(task, output):
    rows = node_launch.other_args(task, output)
    assert [row[0] for row in rows] == ['namespace', 'log_level', 'rviz']
    defaults = {row[0]: row[1] for row in rows}
    assert defaults == {'namespace': '', 'log_level': 'info', 'rviz': 'false'}
    assert f'/<namespace>/{output}' in rows[0][2] and f'config/{task}.rviz' in rows[2][2]
    assert node_launch.config_path('/share', task, '.yaml') == f'/share/config/{task}.yaml'


def test_uses_only_the_official_launch_api_inside_functions():
    tree = source_tree()
    top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom)}
    top |= {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    assert top == {'os'}
    inner = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert inner <= OFFICIAL_API and 'launch_ros.actions' in inner


def test_node_action_passes_namespace_log_level_remaps_and_given_parameters():
    calls = [n for n in ast.walk(source_tree()) if isinstance(n, ast.Call)
             and getattr(n.func, 'id', '') == 'Node']
    node = next(c for c in calls if any(k.arg == 'remappings' for k in c.keywords))
    keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
    assert keywords['package'] == 'PACKAGE'
    assert keywords['executable'] == keywords['name'] == "f'{task}_node'"
    assert keywords['namespace'] == "LaunchConfiguration('namespace')"
    assert keywords['ros_arguments'] == "['--log-level', LaunchConfiguration('log_level')]"
    # given values stay substitutions: launch_ros then reads them as YAML ('2' -> int 2)
    assert '{name: LaunchConfiguration(name) for name in given}' in keywords['parameters']
    rviz = next(c for c in calls if c is not node)
    assert {k.arg: ast.unparse(k.value) for k in rviz.keywords}['package'] == "'rviz2'"
