# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""docs/interfaces.md says what the code does: parameter tables, joint order, topic names."""

import os
import re

import pytest
from test_lint import REPO

from fm_pose_ros.core.hand_joints import JOINTS
from fm_pose_ros.ros.hand_node import HAND_PARAMS, HandNode
from fm_pose_ros.ros.node_params import parameter_table
from fm_pose_ros.ros.object_node import OBJECT_PARAMS, ObjectNode

DOC = os.path.join(REPO, 'docs', 'interfaces.md')


def section(marker, end):
    with open(DOC, encoding='utf-8') as handle:
        text = handle.read()
    match = re.search(rf'<!-- {re.escape(marker)} -->\n(.*?)\n<!-- {re.escape(end)} -->', text,
                      re.S)
    assert match, marker
    return match.group(1)


@pytest.mark.parametrize('node, specs', [('hand_node', HAND_PARAMS),
                                         ('object_node', OBJECT_PARAMS)])
def test_parameter_tables_match_the_specs(node, specs):
    assert section(f'params:{node}', 'end params') == parameter_table(specs), (
        'regenerate with fm_pose_ros.ros.node_params.parameter_table')


def test_joint_table_matches_hand_joints():
    rows = section('joints', 'end joints').splitlines()[2:]
    assert rows == [f'| {i} | {n} | {k} | {m} |' for i, (n, k, m) in enumerate(JOINTS)]


def test_every_topic_of_the_nodes_is_documented():
    with open(DOC, encoding='utf-8') as handle:
        text = handle.read()
    topics = {HandNode.IMAGE_TOPIC, HandNode.INFO_TOPIC, ObjectNode.IMAGE_TOPIC,
              ObjectNode.INFO_TOPIC, ObjectNode.DEPTH_TOPIC, 'hand_joints',
              'hand_joints/markers', 'hand_joints/debug_image', 'object_pose', 'object_pose/all',
              'object_pose/markers', 'object_pose/debug_image', '/diagnostics'}
    for topic in topics:
        assert f'| `{topic}` |' in text, topic
    for name in ('hand_node.py', 'object_node.py'):
        with open(os.path.join(REPO, 'fm_pose_ros', 'ros', name), encoding='utf-8') as handle:
            published = re.findall(r"create_publisher\(\w+, '([^']+)'", handle.read())
        assert published and all(f'`{t}`' in text for t in published), published
