# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The several-objects benchmark's pure parts: renamed copies, params file, table, no bag."""

import os

import numpy as np
from safetensors import safe_open
import yaml

from benchmarks.bench_objects import (
    main, missing_bag_line, object_copies, params_text, parse_args, table_rows)
from fm_pose_ros.core.resources import default_object_weights
from fm_pose_ros.core.weights import load_object_model, read_metadata


def tensors(path):
    with safe_open(path, framework='numpy') as handle:
        return {key: handle.get_tensor(key) for key in handle.keys()}


def test_copies_carry_new_names_and_the_same_tensors(tmp_path):
    paths = object_copies(str(tmp_path), 2)
    assert [os.path.basename(p) for p in paths] == ['duck_1.safetensors', 'duck_2.safetensors']
    shipped, original = read_metadata(default_object_weights()), tensors(default_object_weights())
    for i, path in enumerate(paths, 1):
        metadata = read_metadata(path)
        assert metadata['object']['name'] == f'duck_{i}'
        metadata['object']['name'] = shipped['object']['name']
        assert metadata == shipped
        copy = tensors(path)
        assert copy.keys() == original.keys()
        for key, value in original.items():
            assert copy[key].dtype == value.dtype and np.array_equal(copy[key], value), key
    _, _, metadata, _ = load_object_model(paths[1])  # the node's loader takes the copy
    assert metadata['object']['name'] == 'duck_2'


def test_params_file_lists_the_weights_and_leaves_stats_to_the_command_line():
    params = yaml.safe_load(params_text(['a/duck_1.safetensors', '/m/duck_2.safetensors']))
    values = params['/**']['ros__parameters']
    assert values['weights'] == [os.path.abspath('a/duck_1.safetensors'),
                                 '/m/duck_2.safetensors']
    assert values['threads'] == 2 and values['use_depth'] is True
    assert 'stats_period_s' not in values


def test_missing_bag_exits_1_with_one_line(tmp_path, capsys):
    out = tmp_path / 'table.md'
    bag = tmp_path / 'demo' / 'bag'
    assert main(['--bag', str(bag), '--out', str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ''
    assert captured.err.splitlines() == [missing_bag_line(str(bag))]
    assert captured.err.startswith(f'bench_objects: no bag at {bag}: make it with ')
    assert f'training.tools.demo --task object --out {tmp_path / "demo"}' in captured.err
    assert not out.exists()


def test_arguments_and_table():
    args = parse_args([])
    assert args.counts == [1, 2, 3] and args.bag == os.path.join('build', 'demo_object', 'bag')
    assert parse_args(['--counts', '3', '1', '3']).counts == [1, 3]

    def report(p50, depth_p50=None):
        found = {'frames_in': 90, 'frames_out': 88, 'node_stats': {'p50_ms': p50, 'p99_ms': 9.0}}
        return {**found, 'rgbd': {**found, 'node_stats': {'p50_ms': depth_p50, 'p99_ms': 9.5}}}

    header, separator, *rows = table_rows([(1, 0, report(10.0, 12.0)),
                                           (3, 0, report(30.0, 40.0)), (4, 1, None)])
    assert separator.count('---') == header.count(' | ') + 1 == 7
    assert rows[0] == '| 1 | 90 / 88 | 10.00 / 9.00 | - | 90 / 88 | 12.00 / 9.50 | - |'
    assert rows[1] == '| 3 | 90 / 88 | 30.00 / 9.00 | +10.00 | 90 / 88 | 40.00 / 9.50 | +14.00 |'
    assert rows[2].startswith('| 4 (replay_eval exit 1) | - / - | - / - | - |')
    header, _, row = table_rows([(1, 0, {'frames_in': 5, 'frames_out': 5, 'node_stats': {}})])
    assert header.count(' | ') + 1 == 4 and row == '| 1 | 5 / 5 | - / - | - |'
