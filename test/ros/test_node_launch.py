# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""fm_pose_ros/ros/node_launch.py: arguments passed only when given, the official launch API.

``launch``/``launch_ros`` are not installable here: the launch-free functions run (input
topics, namespaced rviz configs, finding rviz2 through the ament index), and the launch-API
part is checked as source (its imports and the node action's arguments).
"""

import ast
import os

import pytest

from fm_pose_ros.ros import node_launch

OFFICIAL_API = {'ament_index_python.packages', 'launch', 'launch.actions',
                'launch.event_handlers', 'launch.substitutions', 'launch_ros.actions'}
HAND_TOPICS = (('depth_topic', 'depth/image_rect_raw', 'Depth.', 'depth/image'),
               ('camera_info_topic', 'depth/camera_info', 'Info.', 'depth/camera_info'))
RVIZ = """Displays:
    - Class: rviz_default_plugins/PoseArray
      Topic:
        Value: /hand_joints
    - Class: rviz_default_plugins/MarkerArray
      Topic:
        Value: /hand_joints/markers
    - Class: rviz_default_plugins/Image
      Topic:
        Value: /hand_joints_other
  Global Options:
    Fixed Frame: camera_depth_optical_frame
"""


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
    defaults = {row[0]: row[1] for row in rows}
    assert defaults == {'namespace': '', 'camera_namespace': '', 'camera_name': 'camera',
                        'log_level': 'info', 'rviz': 'false'}
    texts = {row[0]: row[2] for row in rows}
    assert f'/<namespace>/{output}' in texts['namespace']
    assert f'config/{task}.rviz' in texts['rviz']
    assert node_launch.config_path('/share', task, '.yaml') == f'/share/config/{task}.yaml'


def test_uses_only_the_official_launch_api_inside_functions():
    tree = source_tree()
    top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom)}
    top |= {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    assert top == {'os', 're', 'shutil', 'tempfile'}
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
    assert keywords['remappings'] == 'input_remaps(topic_args, values)'
    assert keywords['on_exit'] == "_end_launch(f'{task}_node')"
    rviz = next(c for c in calls if c is not node)
    rviz_keywords = {k.arg: ast.unparse(k.value) for k in rviz.keywords}
    assert rviz_keywords['package'] == "'rviz2'"
    assert rviz_keywords['namespace'] == "values['namespace']"


def test_a_failed_node_ends_the_launch_with_one_line():
    assert node_launch.exit_problem('hand_node', 0) is None
    assert node_launch.exit_problem('hand_node', 1) == (
        'hand_node exited with status 1; the launch ends')
    assert 'status -9' in node_launch.exit_problem('object_node', -9)


def test_refuses_rviz_without_rviz2_before_building_any_action():
    function = next(n for n in ast.walk(source_tree())
                    if isinstance(n, ast.FunctionDef) and n.name == 'actions')
    order = [ast.unparse(n) for n in function.body]
    check = next(i for i, line in enumerate(order) if 'RVIZ_MISSING' in line)
    first_node = next(i for i, line in enumerate(order) if 'Node(' in line)
    assert check < first_node


def defaults(**given):
    """The launch arguments as performed strings: the defaults, then ``given``."""
    values = {row[0]: row[1] for row in node_launch.other_args('hand', 'hand_joints')}
    values.update({row[0]: '' for row in HAND_TOPICS})
    return {**values, **given}


def test_inputs_default_to_the_realsense_topics_of_the_root_camera():
    assert node_launch.input_remaps(HAND_TOPICS, defaults()) == [
        ('depth/image', '/camera/camera/depth/image_rect_raw'),
        ('depth/camera_info', '/camera/camera/depth/camera_info')]


def test_inputs_follow_the_namespace_so_two_launches_listen_to_two_cameras():
    cam1 = node_launch.input_remaps(HAND_TOPICS, defaults(namespace='cam1'))
    cam2 = node_launch.input_remaps(HAND_TOPICS, defaults(namespace='/cam2'))
    assert cam1 == [('depth/image', '/cam1/camera/depth/image_rect_raw'),
                    ('depth/camera_info', '/cam1/camera/depth/camera_info')]
    assert {outer for _, outer in cam1}.isdisjoint(outer for _, outer in cam2)
    nested = node_launch.input_remaps(HAND_TOPICS, defaults(namespace='robot/cam1'))
    assert nested[0][1] == '/robot/cam1/camera/depth/image_rect_raw'


def test_camera_arguments_and_explicit_topics_win_over_the_namespace():
    values = defaults(namespace='cam1', camera_namespace='front', camera_name='d435')
    assert node_launch.input_remaps(HAND_TOPICS, values)[0] == (
        'depth/image', '/front/d435/depth/image_rect_raw')
    values = defaults(namespace='cam1', camera_namespace='/', camera_name='camera')
    assert node_launch.input_remaps(HAND_TOPICS, values)[1] == (
        'depth/camera_info', '/camera/depth/camera_info')
    values = defaults(namespace='cam1', depth_topic='/depth/image_raw')
    assert node_launch.input_remaps(HAND_TOPICS, values) == [
        ('depth/image', '/depth/image_raw'),
        ('depth/camera_info', '/cam1/camera/depth/camera_info')]


def test_rviz_config_topics_move_into_the_namespace():
    text = node_launch.rviz_config_text(RVIZ, 'cam1', 'hand_joints')
    assert 'Value: /cam1/hand_joints\n' in text
    assert 'Value: /cam1/hand_joints/markers\n' in text
    assert 'Value: /hand_joints_other\n' in text  # another topic stays
    assert 'Fixed Frame: camera_depth_optical_frame' in text
    assert node_launch.rviz_config_text(RVIZ, '', 'hand_joints') == RVIZ
    nested = node_launch.rviz_config_text(RVIZ, '/robot/cam1/', 'hand_joints')
    assert 'Value: /robot/cam1/hand_joints/markers\n' in nested


@pytest.mark.parametrize('task, output', [('hand', 'hand_joints'), ('object', 'object_pose')])
def test_shipped_rviz_configs_name_every_output_in_the_namespace(task, output):
    from test_lint import REPO
    installed = node_launch.config_path(REPO, task, '.rviz')
    assert node_launch.write_rviz_config(installed, '', output) == installed
    copy = node_launch.write_rviz_config(installed, 'cam1', output)
    try:
        with open(copy, encoding='utf-8') as handle:
            topics = [line.split()[-1] for line in handle if line.strip().startswith('Value: /')]
    finally:
        os.remove(copy)
    assert len(topics) >= 3
    assert all(t == f'/cam1/{output}' or t.startswith(f'/cam1/{output}/') for t in topics)


def test_rviz_argument_reads_like_if_condition():
    assert node_launch.is_true('rviz', 'True') and node_launch.is_true('rviz', '1')
    assert not node_launch.is_true('rviz', 'false') and not node_launch.is_true('rviz', '0')
    with pytest.raises(ValueError, match='rviz:=yes: expected true or false'):
        node_launch.is_true('rviz', 'yes')


def ament_prefix(root, with_executable):
    """A real ament prefix holding a package named rviz2 (and its executable if asked)."""
    index = root / 'share' / 'ament_index' / 'resource_index' / 'packages'
    index.mkdir(parents=True)
    (index / 'rviz2').write_text('')
    if with_executable:
        (root / 'lib' / 'rviz2').mkdir(parents=True)
        executable = root / 'lib' / 'rviz2' / 'rviz2'
        executable.write_text('#!/bin/sh\n')
        executable.chmod(0o755)
    return root


def test_finds_rviz2_through_the_ament_index_as_launch_ros_does(tmp_path, monkeypatch):
    empty = tmp_path / 'empty'
    empty.mkdir()
    monkeypatch.setenv('AMENT_PREFIX_PATH', str(empty))
    assert node_launch.find_rviz2() is None
    broken = ament_prefix(tmp_path / 'broken', with_executable=False)
    monkeypatch.setenv('AMENT_PREFIX_PATH', f'{empty}{os.pathsep}{broken}')
    assert node_launch.find_rviz2() is None
    ok = ament_prefix(tmp_path / 'ok', with_executable=True)
    monkeypatch.setenv('AMENT_PREFIX_PATH', f'{empty}{os.pathsep}{ok}')
    assert node_launch.find_rviz2() == str(ok / 'lib' / 'rviz2' / 'rviz2')
