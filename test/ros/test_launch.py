# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""launch/*.launch.py: their arguments map onto real node parameters and input topics.

``launch``/``launch_ros`` are not installable here, so the files are read as source (their
argument tables are literals); where launch_ros is importable the descriptions are built too.
"""

import ast
import os

import pytest
from test_lint import REPO
import yaml

from fm_pose_ros.ros.hand_node import HAND_PARAMS
from fm_pose_ros.ros.node_params import check_value
from fm_pose_ros.ros.object_node import OBJECT_PARAMS

# launch file -> (node name, its parameter table, node-side input topics, topic arguments)
LAUNCHES = {
    'hand.launch.py': ('hand_node', HAND_PARAMS, {'depth/image', 'depth/camera_info'},
                       {'depth_topic', 'camera_info_topic'}),
    'object.launch.py': ('object_node', OBJECT_PARAMS, {'image', 'camera_info'},
                         {'image_topic', 'camera_info_topic'}),
}
LAUNCH_NAMES = sorted(LAUNCHES)


def launch_path(name):
    return os.path.join(REPO, 'launch', name)


def parse(name):
    return ast.parse(open(launch_path(name), encoding='utf-8').read())


def literal_tables(name):
    tables = {}
    for node in parse(name).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            tables[node.targets[0].id] = ast.literal_eval(node.value)
    return tables


def node_keywords(name):
    """Literal keyword arguments of the launch_ros ``Node(...)`` call."""
    calls = [n for n in ast.walk(parse(name)) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == 'Node']
    assert len(calls) == 1
    return {k.arg: k.value.value for k in calls[0].keywords if isinstance(k.value, ast.Constant)}


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_parameter_arguments_are_node_parameters_with_same_defaults(name):
    params = LAUNCHES[name][1]
    for param, default, description in literal_tables(name)['PARAM_ARGS']:
        assert param in params, param
        assert default == params[param].default, param
        assert description


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_topic_arguments_remap_the_node_inputs(name):
    _, _, inner, outer = LAUNCHES[name]
    rows = literal_tables(name)['TOPIC_ARGS']
    assert {row[3] for row in rows} == inner
    assert {row[0] for row in rows} == outer


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_starts_the_right_executable_with_its_params_file(name):
    node_name = LAUNCHES[name][0]
    keywords = node_keywords(name)
    assert keywords['package'] == 'fm_pose_ros'
    assert keywords['executable'] == keywords['name'] == node_name
    config = name.replace('.launch.py', '.yaml')
    assert f"'config', '{config}'" in open(launch_path(name), encoding='utf-8').read()
    assert os.path.isfile(os.path.join(REPO, 'config', config))


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_params_file_matches_the_table(name):
    node_name, params, _, _ = LAUNCHES[name]
    config = os.path.join(REPO, 'config', name.replace('.launch.py', '.yaml'))
    with open(config, encoding='utf-8') as handle:
        values = yaml.safe_load(handle)[node_name]['ros__parameters']
    assert set(values) == set(params)
    for param, value in values.items():
        assert check_value(param, params[param], value) is None, param


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_uses_only_the_official_launch_api(name):
    modules = {n.module for n in ast.walk(parse(name)) if isinstance(n, ast.ImportFrom)}
    assert modules <= {'ament_index_python.packages', 'launch', 'launch.actions',
                       'launch.substitutions', 'launch_ros.actions'}


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_builds_a_description_where_launch_ros_exists(name):
    pytest.importorskip('launch_ros')
    import importlib.util
    spec = importlib.util.spec_from_file_location(name.split('.')[0] + '_launch',
                                                  launch_path(name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    names = {a.name for a in description.get_launch_arguments()}
    assert {'params_file', 'weights', 'large_data'} | LAUNCHES[name][3] <= names
