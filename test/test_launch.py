# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""launch/hand.launch.py: its arguments map onto real node parameters and input topics.

``launch``/``launch_ros`` are not installable here, so the file is read as source (its
argument tables are literals); where launch_ros is importable the description is built too.
"""

import ast
import os

import pytest

from fm_pose_ros.hand_node import HAND_PARAMS
from test_lint import REPO

LAUNCH_FILE = os.path.join(REPO, 'launch', 'hand.launch.py')


def literal_tables():
    tree = ast.parse(open(LAUNCH_FILE, encoding='utf-8').read())
    tables = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            tables[node.targets[0].id] = ast.literal_eval(node.value)
    return tables


def test_parameter_arguments_are_node_parameters_with_same_defaults():
    for name, default, description in literal_tables()['PARAM_ARGS']:
        assert name in HAND_PARAMS, name
        assert default == HAND_PARAMS[name].default, name
        assert description


def test_topic_arguments_remap_the_node_inputs():
    inner = {row[3] for row in literal_tables()['TOPIC_ARGS']}
    assert inner == {'depth/image', 'depth/camera_info'}


def test_uses_only_the_official_launch_api():
    tree = ast.parse(open(LAUNCH_FILE, encoding='utf-8').read())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert modules <= {'ament_index_python.packages', 'launch', 'launch.actions',
                       'launch.substitutions', 'launch_ros.actions'}


def test_builds_a_description_where_launch_ros_exists():
    pytest.importorskip('launch_ros')
    import importlib.util
    spec = importlib.util.spec_from_file_location('hand_launch', LAUNCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    names = {a.name for a in description.get_launch_arguments()}
    assert {'params_file', 'weights', 'depth_topic', 'camera_info_topic'} <= names
