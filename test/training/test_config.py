# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Training config: YAML and --set overrides, validation, round trip through a dict."""

import os

import pytest
from test_lint import REPO

from fm_pose_ros.core.networks import OBJECT_NET
from training.config import from_dict, load_config, parse_set, TrainConfig

CONFIGS = os.path.join(REPO, 'training', 'configs')


def test_overrides_from_yaml_then_set(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text('method: mix\noptim:\n  lr: 0.001\n  batch_size: 16\n')
    cfg = load_config(path, ['optim.batch_size=8', 'crop.cube_mm=[250, 250, 250]'])
    assert cfg.method == 'mix' and cfg.optim.lr == 0.001 and cfg.optim.batch_size == 8
    assert cfg.crop.cube_mm == (250.0, 250.0, 250.0) and isinstance(cfg.crop.cube_mm, tuple)


def test_round_trip_through_dict():
    cfg = load_config(None, ['net.feature_dim=64', 'data.seed=4'])
    assert from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize('items, message', [
    (['method=magic'], 'method must be one of'),
    (['optim.nope=1'], "unknown config key 'nope'"),
    (['crop.crop_size=64'], 'crop_size 64 != net.in_size 128'),
    (['lr'], 'expects key=value'),
    (['object.augment_colour=1.5'], 'augment_colour in'),
    (['object.test_rotation_deg=60'], 'test_rotation_deg must be in'),
    (['data.sensor_copies=-1'], 'data.sensor_copies and data.robot_copies required'),
    (['data.robot_copies=-1'], 'data.sensor_copies and data.robot_copies required'),
])
def test_bad_overrides_are_clear_errors(items, message):
    with pytest.raises(ValueError, match=message):
        load_config(None, items)


def test_parse_set_nests_and_parses_values():
    assert parse_set(['a.b=3', 'a.c=x', 'd=true']) == {'a': {'b': 3, 'c': 'x'}, 'd': True}
    assert TrainConfig().validate().method == 'fm'


def test_a_recipe_file_picks_its_task_defaults(tmp_path):
    recipe = tmp_path / 'object.yaml'
    recipe.write_text('task: object\noptim:\n  stage2_steps: 7\n')
    cfg = load_config(str(recipe))
    assert cfg.task == 'object' and cfg.net == OBJECT_NET and cfg.optim.stage2_steps == 7
    recipe.write_text('- not a mapping\n')
    with pytest.raises(ValueError, match='mapping'):
        load_config(str(recipe))


@pytest.mark.parametrize('name', sorted(os.listdir(CONFIGS)))
def test_shipped_recipes_load(name):
    cfg = load_config(os.path.join(CONFIGS, name))
    assert cfg.optim.stage1_steps + cfg.optim.stage2_steps > 0
