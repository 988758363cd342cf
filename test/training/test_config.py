# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Training config: YAML, ``base:`` includes, recipes, --set overrides, validation."""

import glob
import os
import re

import pytest
from test_lint import REPO

from fm_pose_ros.core.networks import OBJECT_NET
from fm_pose_ros.core.weights import read_metadata
from training.config import (
    from_dict, load_config, parse_set, QUICK_CAPS, quick_items, recipe_steps, RECIPES,
    TrainConfig)
from training.train import recipe_runs

CONFIGS = os.path.join(REPO, 'training', 'configs')
ALL_CONFIGS = sorted(os.path.relpath(path, CONFIGS)
                     for path in glob.glob(os.path.join(CONFIGS, '**', '*.yaml'), recursive=True))


def test_overrides_from_yaml_then_set(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text('method: mix\noptim:\n  lr: 0.001\n  batch_size: 16\n')
    cfg = load_config(path, ['optim.batch_size=8', 'crop.cube_mm=[250, 250, 250]'])
    assert cfg.method == 'mix' and cfg.optim.lr == 0.001 and cfg.optim.batch_size == 8
    assert cfg.crop.cube_mm == (250.0, 250.0, 250.0) and isinstance(cfg.crop.cube_mm, tuple)


def test_round_trip_through_dict():
    cfg = load_config(None, ['net.feature_dim=64', 'data.seed=4',
                             'data.locator_channels=[8, 8, 8, 8, 8]',
                             'data.locator_dilations=[2, 4, 8]'])
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
    (['data.locator_dilations=[2, 0]'], 'locator_dilations must be'),
    (['data.locator_dilations=[2, 4, 8]'], 'locator_channels 2 more'),
    (['data.locator_positive_weight=0'], 'locator_positive_weight > 0'),
    (['data.test_crops=palm'], "data.test_crops must be 'locator' or 'hand'"),
    (['object.locator_backgrounds=photos'], 'locator_backgrounds'),
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


def test_config_folders_hold_recipes_and_experiments_only():
    assert {os.path.dirname(name) for name in ALL_CONFIGS} == {'recipes', 'experiments'}
    assert {task: os.path.relpath(path, CONFIGS) for task, path in RECIPES.items()} == {
        'hand': os.path.join('recipes', 'hand_fm.yaml'),
        'object': os.path.join('recipes', 'object_fm.yaml')}


@pytest.mark.parametrize('name', ALL_CONFIGS)
def test_every_config_and_recipe_step_loads(name):
    """Every file validates; a broken ``base:`` or step would fail here."""
    for _, path in recipe_steps(os.path.join(CONFIGS, name)):
        cfg = load_config(path)
        # a run trains the network, or the locator alone (hand_locator_wide.yaml)
        assert cfg.optim.stage1_steps + cfg.optim.stage2_steps + cfg.data.locator_steps > 0
        with open(path, encoding='utf-8') as handle:
            header = handle.readline()
        assert header.startswith('# ') and not any(
            word in header for word in ('0.4.0', '0.5.0', '0.6.0', '0.7.0')), header


def test_config_paths_named_in_docs_exist():
    """The docs, README and Makefile name config files that are in the tree."""
    texts = glob.glob(os.path.join(REPO, 'docs', '**', '*.md'), recursive=True)
    named = set()
    for path in texts + [os.path.join(REPO, 'README.md'), os.path.join(REPO, 'Makefile')]:
        with open(path, encoding='utf-8') as handle:
            named |= set(re.findall(r'training/configs/[\w/.<>-]+\.yaml', handle.read()))
    named = {name for name in named if '<' not in name}
    assert len(named) > 5
    assert sorted(name for name in named if not os.path.isfile(os.path.join(REPO, name))) == []


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_base_is_merged_key_by_key_and_the_including_file_wins(tmp_path):
    write(tmp_path, 'nets/net.yaml', 'task: hand\nchannels_last: true\nnet:\n  in_size: 96\n'
          '  head: dense\n  stage_channels: [32, 64, 128]\ncrop:\n  crop_size: 96\n'
          'optim:\n  stage1_steps: 5\n  lr: 0.01\n')
    write(tmp_path, 'nets/mid.yaml', 'base: net.yaml\noptim:\n  lr: 0.002\n')
    top = write(tmp_path, 'runs/top.yaml', 'base: ../nets/mid.yaml\nnet:\n  norm: group\n'
                'optim:\n  stage2_steps: 7\n')
    cfg = load_config(top)
    assert (cfg.net.in_size, cfg.net.head, cfg.net.norm, cfg.crop.crop_size) == (
        96, 'dense', 'group', 96)
    assert (cfg.optim.stage1_steps, cfg.optim.stage2_steps, cfg.optim.lr) == (5, 7, 0.002)
    assert cfg.channels_last and cfg.net.stage_channels == (32, 64, 128)


def test_base_cycles_and_missing_files_are_one_line_errors(tmp_path):
    first = write(tmp_path, 'a.yaml', 'base: b.yaml\n')
    write(tmp_path, 'b.yaml', 'base: a.yaml\noptim:\n  lr: 0.1\n')
    with pytest.raises(ValueError, match=r'base cycle \(a.yaml -> b.yaml -> a.yaml\)') as cycle:
        load_config(first)
    missing = write(tmp_path, 'c.yaml', 'base: nowhere.yaml\n')
    with pytest.raises(ValueError, match='nowhere.yaml: no such config file') as gone:
        load_config(missing)
    assert 'c.yaml' in str(gone.value)
    for error in (cycle, gone):
        assert '\n' not in str(error.value)
    with pytest.raises(ValueError, match='base must be a path'):
        load_config(write(tmp_path, 'd.yaml', 'base: [a.yaml]\n'))


def test_a_recipe_of_steps_holds_only_steps(tmp_path):
    recipe = write(tmp_path, 'r.yaml', 'steps: [one.yaml, sub/two.yaml]\n')
    assert recipe_steps(recipe) == [('one', str(tmp_path / 'one.yaml')),
                                    ('two', str(tmp_path / 'sub' / 'two.yaml'))]
    with pytest.raises(ValueError, match='a recipe of steps; train it with'):
        load_config(recipe)
    with pytest.raises(ValueError, match='holds only "steps:"'):
        recipe_steps(write(tmp_path, 's.yaml', 'steps: [one.yaml]\nmethod: mix\n'))


def shipped_training(name):
    """The training config stored in a shipped weights file, paths blanked."""
    training = read_metadata(os.path.join(REPO, 'models', name))['training']
    training.pop('steps')
    return from_dict({**training, 'out_dir': '', 'init': '',
                      'data': {**training['data'], 'cache_dir': ''}}).to_dict()


@pytest.mark.parametrize('task', ['hand', 'object'])
def test_no_config_trains_the_shipped_recipe(task):
    """``python -m training.train [--task object]``: the recipe of the shipped weights."""
    runs = recipe_runs(None, task)
    assert [name for name, _ in runs] == [name for name, _ in recipe_steps(RECIPES[task])]
    last = runs[-1][1]
    blank = {**last.to_dict(), 'out_dir': '', 'init': '',
             'data': {**last.to_dict()['data'], 'cache_dir': ''}}
    assert from_dict(blank).to_dict() == shipped_training(f'{task}_fm.safetensors')
    assert last.out_dir.startswith(f'runs/{task}_fm')


def test_the_hand_recipe_chains_its_steps_through_their_weights():
    runs = recipe_runs(None, 'hand', out='runs/x')
    for (name, cfg), (_, before) in zip(runs[1:], runs):
        assert cfg.out_dir == os.path.join('runs/x', name)
        assert cfg.init == os.path.join(before.out_dir, 'hand_fm.safetensors')
        assert cfg.net == before.net and cfg.optim.stage1_steps == 0
    (_, first), (_, second), (_, third) = runs
    assert first.data.sensor_copies == 0 and second.data.sensor_copies > 0
    assert second.data.mirror_train == 0 and third.data.mirror_train == 0.5
    assert third.data.sensor_copies == second.data.sensor_copies


def test_quick_caps_every_step_and_keeps_the_network():
    full, quick = recipe_runs(None, 'hand'), recipe_runs(None, 'hand', quick=True)
    for (_, big), (_, small) in zip(full, quick):
        assert small.net == big.net and small.data.sensor_copies == big.data.sensor_copies
        for stage in ('stage1_steps', 'stage2_steps'):
            assert getattr(small.optim, stage) == min(getattr(big.optim, stage),
                                                      QUICK_CAPS[f'optim.{stage}'])
        assert small.data.num_real_train == QUICK_CAPS['data.num_real_train']
    assert quick[1][1].optim.stage1_steps == 0              # a 0 stays 0
    assert quick_items(TrainConfig())[0].startswith('optim.stage1_steps=')
