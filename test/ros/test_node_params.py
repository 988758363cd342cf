# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Parameter table: every parameter described, values type- and range-checked."""

from test_lint import REPO
import yaml

from fm_pose_ros.ros.hand_node import HAND_PARAMS
from fm_pose_ros.ros.node_params import check_value, file_names, ParamSpec
from fm_pose_ros.ros.object_node import OBJECT_PARAMS


def test_every_parameter_has_a_description_and_valid_default():
    for name, spec in HAND_PARAMS.items():
        assert len(spec.description) > 10, name
        assert check_value(name, spec, spec.default) is None, name


def test_config_file_matches_the_table():
    with open(f'{REPO}/config/hand.yaml', encoding='utf-8') as handle:
        params = yaml.safe_load(handle)['/**']['ros__parameters']  # any node name
    assert set(params) == set(HAND_PARAMS)
    for name, value in params.items():
        assert check_value(name, HAND_PARAMS[name], value) is None, name


def test_checks_give_readable_messages():
    spec = ParamSpec(5, 'depth', lambda v: None if v > 0 else 'must be positive')
    assert check_value('qos_depth', spec, 0) == "parameter 'qos_depth' = 0 must be positive"
    assert 'expected int' in check_value('qos_depth', spec, 'x')
    assert 'expected int' in check_value('qos_depth', spec, True)
    assert check_value('x', ParamSpec(1.0, 'a float'), 2) is None


def test_weights_of_the_object_node_take_a_file_or_a_list_of_files():
    spec = OBJECT_PARAMS['weights']
    assert spec.check is file_names and spec.also_type == 'str[]'
    for good in ('', 'a.safetensors', [], None, ['a.safetensors', 'b.safetensors']):
        assert check_value('weights', spec, good) is None, good
    for bad in (['a.safetensors', ''], [1, 2], 3, True, [['a']]):
        assert check_value('weights', spec, bad) == (
            f"parameter 'weights' = {bad!r} must be a file name or a list of non-empty file "
            'names'), bad
