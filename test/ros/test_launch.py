# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""launch/*.launch.py: their arguments map onto real node parameters and input topics.

The files are loaded by path, as ``ros2 launch`` loads them; they import only
``fm_pose_ros.ros.node_launch``, whose launch API imports wait inside
``launch_description``. ``launch``/``launch_ros`` are not installable here, so the tables and
the launch-free functions are checked; where launch_ros is importable the descriptions are
built too.
"""

import ast
import importlib.util
import os
import re
import xml.etree.ElementTree as ElementTree

import pytest
from test_lint import REPO
import yaml

from fm_pose_ros.ros import main, node_launch
from fm_pose_ros.ros.hand_node import HandNode
from fm_pose_ros.ros.node_params import check_value
from fm_pose_ros.ros.object_node import ObjectNode

# launch file -> (task, node class, topic arguments)
LAUNCHES = {
    'hand.launch.py': ('hand', HandNode, {'depth_topic', 'camera_info_topic'}),
    'object.launch.py': ('object', ObjectNode, {'image_topic', 'camera_info_topic',
                                                'depth_topic'}),
}
LAUNCH_NAMES = sorted(LAUNCHES)


def launch_path(name):
    return os.path.join(REPO, 'launch', name)


def load(name):
    """The launch file as a module, loaded by path like ``ros2 launch`` does."""
    spec = importlib.util.spec_from_file_location(name.split('.')[0] + '_launch',
                                                  launch_path(name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_parameter_arguments_are_node_parameters(name):
    params = LAUNCHES[name][1].PARAMS
    rows = load(name).PARAM_ARGS
    assert rows[:len(node_launch.SHARED_PARAM_ARGS)] == node_launch.SHARED_PARAM_ARGS
    assert len({row[0] for row in rows}) == len(rows) > len(node_launch.SHARED_PARAM_ARGS)
    for param, description in rows:
        assert param in params or param == 'use_sim_time', param
        assert description


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_topic_arguments_remap_the_node_inputs(name):
    _, node_class, outer = LAUNCHES[name]
    rows = load(name).TOPIC_ARGS
    inputs = {node_class.IMAGE_TOPIC, node_class.INFO_TOPIC,
              getattr(node_class, 'DEPTH_TOPIC', None)}
    assert {row[3] for row in rows} == inputs - {None}
    assert {row[0] for row in rows} == outer
    assert all(row[1] and not row[1].startswith('/') and row[2] for row in rows)


def not_given(name, **given):
    """The launch file's arguments as performed strings: defaults, then ``given``."""
    module = load(name)
    values = {row[0]: row[1] for row in node_launch.other_args('', module.OUTPUT_TOPIC)}
    values.update({row[0]: '' for row in module.TOPIC_ARGS})
    return {**values, **given}


@pytest.mark.parametrize('name, expected', [
    ('hand.launch.py', {'depth/image': '/camera/camera/depth/image_rect_raw',
                        'depth/camera_info': '/camera/camera/depth/camera_info'}),
    ('object.launch.py', {'image': '/camera/camera/color/image_raw',
                          'camera_info': '/camera/camera/color/camera_info',
                          'depth/image': '/camera/camera/aligned_depth_to_color/image_raw'})])
def test_default_topics_are_realsense_4_54_names(name, expected):
    rows = load(name).TOPIC_ARGS
    assert dict(node_launch.input_remaps(rows, not_given(name))) == expected
    in_cam1 = dict(node_launch.input_remaps(rows, not_given(name, namespace='cam1')))
    # realsense-ros launched with camera_namespace:=cam1 publishes /cam1/camera/...
    assert in_cam1 == {inner: outer.replace('/camera/camera/', '/cam1/camera/')
                       for inner, outer in expected.items()}


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_starts_an_installed_executable_with_its_params_and_rviz_files(name):
    task = LAUNCHES[name][0]
    setup = open(os.path.join(REPO, 'setup.py'), encoding='utf-8').read()
    assert f"'{task}_node = fm_pose_ros.ros.main:{task}_node'" in setup
    assert callable(getattr(main, f'{task}_node'))
    source = open(launch_path(name), encoding='utf-8').read()
    assert f"launch_description('{task}', PARAM_ARGS, TOPIC_ARGS, OUTPUT_TOPIC)" in source
    assert load(name).OUTPUT_TOPIC == {'hand': 'hand_joints', 'object': 'object_pose'}[task]
    for suffix in ('.yaml', '.rviz'):
        assert os.path.isfile(node_launch.config_path(REPO, task, suffix)), suffix
    assert 'FASTDDS' not in source and 'large_data' not in source


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_params_file_matches_the_table(name):
    task, node_class, _ = LAUNCHES[name]
    with open(node_launch.config_path(REPO, task, '.yaml'), encoding='utf-8') as handle:
        sections = yaml.safe_load(handle)
    assert list(sections) == ['/**'], 'keyed /**: for any node name and namespace'
    values = sections['/**']['ros__parameters']
    assert set(values) == set(node_class.PARAMS)
    for param, value in values.items():
        assert check_value(param, node_class.PARAMS[param], value) is None, param


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_imports_only_the_shared_launch_module(name):
    tree = ast.parse(open(launch_path(name), encoding='utf-8').read())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert modules == {'fm_pose_ros.ros.node_launch'}


@pytest.mark.parametrize('name', ['hand.launch.py'])
@pytest.mark.integration
def test_user_params_file_wins_over_launch_arguments_not_given(name, tmp_path, weights_path):
    """The parameter list the launch file builds, given to a real node as rcl arguments."""
    import rclpy
    user = tmp_path / 'mine.yaml'
    user.write_text(f'/**:\n  ros__parameters:\n    backend: torch\n    weights: {weights_path}\n'
                    '    stats_period_s: 0.0\n')
    not_given = {row[0]: '' for row in load(name).PARAM_ARGS}

    def backend_of(launch_args):
        given = node_launch.given_parameters({**not_given, **launch_args})
        params_file, *overrides = node_launch.node_parameters(str(user), given)
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


def launch_section():
    with open(os.path.join(REPO, 'docs', 'interfaces.md'), encoding='utf-8') as handle:
        text = handle.read()
    return text[text.index('## Launch files'):text.index('## Health')]


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_interfaces_doc_lists_every_argument(name):
    module = load(name)
    names = ['params_file'] + [row[0] for row in module.PARAM_ARGS + module.TOPIC_ARGS]
    names += [row[0] for row in node_launch.other_args('', module.OUTPUT_TOPIC)]
    section = launch_section()
    assert all(f'`{argument}`' in section for argument in names)


def test_interfaces_doc_table_of_inputs_is_what_the_launch_file_remaps():
    rows = [line.split('|')[1:4] for line in launch_section().splitlines()
            if line.startswith('| ') and ':=' in line or line.startswith('| none |')]
    assert len(rows) >= 5
    for arguments, node, inputs in rows:
        given = dict(re.findall(r'(\w+):=(\S+?)[` ]', arguments))
        values = not_given('hand.launch.py', **given)
        expected_node = node_launch.absolute_namespace(values['namespace']).rstrip('/')
        assert node.strip() == f'`{expected_node}/hand_node`', arguments
        remaps = node_launch.input_remaps(load('hand.launch.py').TOPIC_ARGS, values)
        assert re.findall(r'`([^`]+)`', inputs) == [outer for _, outer in remaps], arguments


def test_rviz_is_optional():
    keys = ElementTree.parse(os.path.join(REPO, 'package.xml')).getroot().iter('exec_depend')
    assert 'rviz2' not in {key.text for key in keys}, 'rviz2 pulls Qt onto headless robots'


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_builds_a_description_where_launch_ros_exists(name):
    pytest.importorskip('launch_ros')
    description = load(name).generate_launch_description()
    names = {a.name for a in description.get_launch_arguments()}
    assert {'params_file', 'weights', 'namespace', 'camera_namespace', 'camera_name',
            'rviz'} | LAUNCHES[name][2] <= names


def perform(name, **given):
    """The actions the launch file's node action returns for ``given``, with real launch."""
    from launch import LaunchContext
    module = load(name)
    context = LaunchContext()
    context.launch_configurations.update({
        'params_file': node_launch.config_path(REPO, LAUNCHES[name][0], '.yaml'),
        'log_level': 'info', **{row[0]: '' for row in module.PARAM_ARGS},
        **not_given(name, **given)})
    action = node_launch._node_action(LAUNCHES[name][0], module.PARAM_ARGS,
                                      module.TOPIC_ARGS, module.OUTPUT_TOPIC, REPO)
    return action.visit(context), context


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_two_namespaced_launches_listen_to_two_cameras(name):
    pytest.importorskip('launch_ros')
    remaps = {}
    for namespace in ('cam1', 'cam2'):
        (node,), context = perform(name, namespace=namespace)
        node._perform_substitutions(context)
        assert node.expanded_node_namespace == f'/{namespace}'
        remaps[namespace] = dict(node.expanded_remapping_rules)
        assert all(t.startswith(f'/{namespace}/camera/') for t in remaps[namespace].values())
    assert set(remaps['cam1'].values()).isdisjoint(remaps['cam2'].values())


@pytest.mark.parametrize('name', LAUNCH_NAMES)
def test_rviz_without_rviz2_starts_nothing(name, tmp_path, monkeypatch):
    pytest.importorskip('launch_ros')
    monkeypatch.setenv('AMENT_PREFIX_PATH', str(tmp_path))
    with pytest.raises(RuntimeError, match='rviz2 is not installed'):
        perform(name, rviz='true')
