# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""launch/*.launch.py: their arguments map onto real node parameters and input topics.

``launch``/``launch_ros`` are not installable here, so the files are read as source (their
argument tables are literals, and their launch-free functions are run from the source);
where launch_ros is importable the descriptions are built too.
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
    'object.launch.py': ('object_node', OBJECT_PARAMS, {'image', 'camera_info', 'depth/image'},
                         {'image_topic', 'camera_info_topic', 'depth_topic'}),
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


def node_keywords(name, executable=None):
    """Literal keyword arguments of the launch_ros ``Node(...)`` call of ``executable``."""
    executable = executable or LAUNCHES[name][0]
    calls = [n for n in ast.walk(parse(name)) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == 'Node']
    found = [{k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
             for call in calls]
    found = [keywords for keywords in found if keywords.get('executable') == executable]
    assert len(found) == 1, executable
    return found[0]


def launch_functions(name):
    """The launch-free helper functions of a launch file, compiled from its source."""
    tree = parse(name)
    helpers = [n for n in tree.body if isinstance(n, ast.FunctionDef)
               and n.name in ('given_parameters', 'node_parameters')]
    namespace = {}
    exec(compile(ast.Module(body=helpers, type_ignores=[]), launch_path(name), 'exec'),
         namespace)
    return namespace['given_parameters'], namespace['node_parameters']


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_parameter_arguments_are_node_parameters_given_only_when_set(name):
    params = LAUNCHES[name][1]
    rows = literal_tables(name)['PARAM_ARGS']
    for param, description in rows:
        assert param in params or param == 'use_sim_time', param
        assert description
    source = open(launch_path(name), encoding='utf-8').read()
    assert "DeclareLaunchArgument(name, default_value='', description=text)\n" \
        "                  for name, text in PARAM_ARGS]" in source
    given, parameters = launch_functions(name)
    not_given = {row[0]: '' for row in rows}
    assert parameters('/p.yaml', given(not_given)) == ['/p.yaml']
    assert parameters('/p.yaml', given({**not_given, 'device': 'cuda'})) == [
        '/p.yaml', {'device': 'cuda'}]


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_other_arguments_and_no_transport_variables(name):
    tables = literal_tables(name)
    assert {row[0] for row in tables['OTHER_ARGS']} == {'namespace', 'log_level', 'rviz'}
    assert dict((row[0], row[1]) for row in tables['OTHER_ARGS'])['rviz'] == 'false'
    assert 'use_sim_time' in {row[0] for row in tables['PARAM_ARGS']}
    source = open(launch_path(name), encoding='utf-8').read()
    assert 'FASTDDS' not in source and 'large_data' not in source
    assert "namespace=LaunchConfiguration('namespace')" in source
    assert "ros_arguments=['--log-level', LaunchConfiguration('log_level')]" in source
    rviz = name.replace('.launch.py', '.rviz')
    assert f"'config', '{rviz}'" in source
    assert os.path.isfile(os.path.join(REPO, 'config', rviz))
    assert node_keywords(name, 'rviz2')['package'] == 'rviz2'


def test_hand_default_topics_are_realsense_4_54_names():
    rows = {row[0]: row[1] for row in literal_tables('hand.launch.py')['TOPIC_ARGS']}
    assert rows == {'depth_topic': '/camera/camera/depth/image_rect_raw',
                    'camera_info_topic': '/camera/camera/depth/camera_info'}


@pytest.mark.parametrize('name', ['hand.launch.py'])
@pytest.mark.integration
def test_user_params_file_wins_over_launch_arguments_not_given(name, tmp_path, weights_path):
    """The parameter list the launch file builds, given to a real node as rcl arguments."""
    import rclpy
    from fm_pose_ros.ros.hand_node import HandNode
    user = tmp_path / 'mine.yaml'
    user.write_text(f'/**:\n  ros__parameters:\n    backend: torch\n    weights: {weights_path}\n'
                    '    stats_period_s: 0.0\n')
    given, parameters = launch_functions(name)
    not_given = {row[0]: '' for row in literal_tables(name)['PARAM_ARGS']}

    def backend_of(launch_args):
        params_file, *overrides = parameters(str(user), given({**not_given, **launch_args}))
        cli = ['--ros-args', '--params-file', params_file]
        for key, value in (overrides[0] if overrides else {}).items():
            cli += ['-p', f'{key}:={value}']
        node = HandNode(cli_args=cli)
        try:
            return node.params['backend']
        finally:
            node.destroy_node()

    rclpy.init()
    try:
        assert backend_of({}) == 'torch'
        assert backend_of({'backend': 'onnxruntime'}) == 'onnxruntime'
    finally:
        rclpy.shutdown()


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
    params = LAUNCHES[name][1]
    config = os.path.join(REPO, 'config', name.replace('.launch.py', '.yaml'))
    with open(config, encoding='utf-8') as handle:
        sections = yaml.safe_load(handle)
    assert list(sections) == ['/**'], 'keyed /**: for any node name and namespace'
    values = sections['/**']['ros__parameters']
    assert set(values) == set(params)
    for param, value in values.items():
        assert check_value(param, params[param], value) is None, param


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_uses_only_the_official_launch_api(name):
    modules = {n.module for n in ast.walk(parse(name)) if isinstance(n, ast.ImportFrom)}
    assert modules <= {'ament_index_python.packages', 'launch', 'launch.actions',
                       'launch.conditions', 'launch.substitutions', 'launch_ros.actions'}


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
    assert {'params_file', 'weights', 'namespace', 'rviz'} | LAUNCHES[name][3] <= names
