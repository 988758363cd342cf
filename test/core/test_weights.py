# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Weights files: round trip, metadata checks, corrupt files, atomic writes, no pickle."""

import json
import os

from conftest import write_hand_weights_with_locator
import pytest
from safetensors import safe_open
from safetensors.torch import save_file
import torch

from fm_pose_ros.core.fileio import atomic_write
from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.networks import FeatureMappingNet, HAND_LOCATOR, NetConfig
from fm_pose_ros.core.weights import (
    hand_metadata, json_depth, load_hand_model, load_hand_parts, load_object_model,
    read_metadata, save_weights, WeightsError)

SMALL = NetConfig(stage_channels=(8, 8, 16, 16), feature_dim=32)


def small_model_file(tmp_path, **metadata_changes):
    torch.manual_seed(0)
    model = FeatureMappingNet(SMALL).eval()
    metadata = {**hand_metadata(SMALL, HandCropSettings(), trained=True), **metadata_changes}
    path = tmp_path / 'm.safetensors'
    save_weights(path, model, metadata, dtype=torch.float32)
    return model, path


def test_round_trip_rebuilds_the_same_network(tmp_path):
    model, path = small_model_file(tmp_path)
    loaded, metadata, crop = load_hand_model(path)
    x = torch.randn(2, 1, 128, 128)
    torch.testing.assert_close(loaded(x), model(x))
    assert metadata['trained'] is True and crop == HandCropSettings()
    assert load_hand_parts(path)[1] is None       # no learned locator in this file


def test_hand_file_with_a_locator_round_trips(tmp_path):
    path = write_hand_weights_with_locator(tmp_path / 'l.safetensors', 2.5)
    model, locator, metadata, _ = load_hand_parts(path)
    assert metadata['architecture'] == 'FeatureMappingNet+Locator'
    assert locator.cfg == HAND_LOCATOR and locator.cfg.in_channels == 1
    logits = locator(torch.zeros(1, 1, HAND_LOCATOR.height, HAND_LOCATOR.width))
    torch.testing.assert_close(logits, torch.full_like(logits, 2.5))
    assert load_hand_model(path)[0].cfg == model.cfg


def test_fp16_storage_is_close(tmp_path):
    torch.manual_seed(0)
    model = FeatureMappingNet(SMALL).eval()
    path = tmp_path / 'h.safetensors'
    save_weights(path, model, hand_metadata(SMALL, HandCropSettings(), trained=False))
    loaded, _, _ = load_hand_model(path)
    x = torch.randn(2, 1, 128, 128)
    torch.testing.assert_close(loaded(x), model(x), atol=2e-2, rtol=2e-2)


def test_file_is_safetensors_not_pickle(tmp_path):
    _, path = small_model_file(tmp_path)
    raw = path.read_bytes()
    header_len = int.from_bytes(raw[:8], 'little')
    header = json.loads(raw[8:8 + header_len])
    assert 'fm_pose_ros' in header['__metadata__']
    assert not raw.startswith(b'\x80') and b'PK\x03\x04' not in raw[:8]


def test_missing_and_corrupt_files_are_one_clear_error(tmp_path):
    with pytest.raises(WeightsError, match='not found'):
        read_metadata(tmp_path / 'nope.safetensors')
    garbage = tmp_path / 'garbage.safetensors'
    garbage.write_bytes(b'\x00' * 100)
    with pytest.raises(WeightsError, match='not a readable safetensors'):
        load_hand_model(garbage)
    _, path = small_model_file(tmp_path)
    truncated = tmp_path / 'truncated.safetensors'
    truncated.write_bytes(path.read_bytes()[:-5000])
    with pytest.raises(WeightsError):
        load_hand_model(truncated)


def test_foreign_safetensors_file_is_rejected(tmp_path):
    path = tmp_path / 'other.safetensors'
    save_file({'w': torch.zeros(2)}, path)
    with pytest.raises(WeightsError, match='no fm_pose_ros metadata'):
        load_hand_model(path)


@pytest.mark.parametrize('change, message', [
    ({'format_version': 99}, 'format version 99'),
    ({'joint_names': ['a'] * 14}, 'joint names differ'),
    ({'net': {**SMALL.to_dict(), 'feature_dim': 64}}, 'do not match the architecture'),
    ({'net': {'bogus': 1}}, 'does not describe a valid model'),
    ({'task': 'object'}, "expected 'hand'"),
])
def test_mismatched_metadata_is_one_clear_error(tmp_path, change, message):
    _, path = small_model_file(tmp_path, **change)
    with pytest.raises(WeightsError, match=message):
        load_hand_model(path)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / 'out.bin'
    target.write_bytes(b'old')

    def failing(tmp):
        with open(tmp, 'wb') as handle:
            handle.write(b'half')
        raise OSError('disk full')
    with pytest.raises(OSError):
        atomic_write(target, failing)
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['out.bin']


def _write_with_metadata_text(path, text):
    """A safetensors file whose fm_pose_ros header entry is ``text`` (any JSON)."""
    torch.manual_seed(0)
    tensors = {k: v.contiguous() for k, v in FeatureMappingNet(SMALL).state_dict().items()}
    save_file(tensors, path, metadata={'fm_pose_ros': text})
    return path


@pytest.mark.parametrize('value', [float('nan'), float('inf')])
def test_non_finite_tensor_is_refused_naming_file_and_tensor(tmp_path, value):
    torch.manual_seed(0)
    model = FeatureMappingNet(SMALL).eval()
    with torch.no_grad():
        model.h.bias[7] = value
    path = tmp_path / 'nan.safetensors'
    save_weights(path, model, hand_metadata(SMALL, HandCropSettings(), trained=True))
    with pytest.raises(WeightsError, match=r'nan\.safetensors: tensor h\.bias .*non-finite'):
        load_hand_model(path)


@pytest.mark.parametrize('text', ['[1, 2, 3]', '"hand"', '17', 'null'])
def test_metadata_of_the_wrong_shape_is_one_clear_error(tmp_path, text):
    path = _write_with_metadata_text(tmp_path / 'shape.safetensors', text)
    with pytest.raises(WeightsError, match=r'shape\.safetensors: metadata is not a JSON '
                       r'object'):
        read_metadata(path)


@pytest.mark.parametrize('key, value', [
    ('format', 7), ('trained', 'yes'), ('net', [1, 2]), ('crop', 'big'), ('task', None)])
def test_metadata_keys_of_the_wrong_type_are_refused(tmp_path, key, value):
    _, path = small_model_file(tmp_path, **{key: value})
    with pytest.raises(WeightsError, match=f'{key}'):
        load_hand_model(path)


@pytest.mark.parametrize('field, value', [
    ('feature_dim', 10**7), ('feature_dim', 0), ('in_size', 10**6), ('in_channels', 10**5),
    ('stage_channels', [8, 8, 16, 10**6]), ('stem_channels', -3), ('num_outputs', 10**9),
    ('in_size', 'big'), ('dropout', 7.0)])
def test_absurd_architecture_is_refused_before_allocating(tmp_path, field, value):
    _, path = small_model_file(tmp_path, net={**SMALL.to_dict(), field: value})
    with pytest.raises(WeightsError, match=f'net.{field}'):
        load_hand_model(path)


def test_architecture_larger_than_the_file_is_refused(tmp_path):
    # every value within bounds, but the network would need far more numbers than the file has
    big = {**SMALL.to_dict(), 'feature_dim': 4096, 'stage_channels': [8, 8, 16, 1024]}
    _, path = small_model_file(tmp_path, net=big)
    with pytest.raises(WeightsError, match='parameters but the file holds'):
        load_hand_model(path)


def with_metadata(source, path, change):
    """Copy the weights file ``source`` to ``path`` with ``change(metadata)`` applied."""
    with safe_open(source, framework='pt') as handle:
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
        metadata = json.loads(handle.metadata()['fm_pose_ros'])
    change(metadata)
    save_file(tensors, path, metadata={'fm_pose_ros': json.dumps(metadata)})
    return path


@pytest.mark.parametrize('text, words', [
    ('[' * 100_000 + ']' * 100_000, 'nests 100000 levels deep'),
    ('{"a": ' * 100_000 + '1' + '}' * 100_000, 'nests 100000 levels deep'),
    ('{"a": "' + '[' * 100_000 + '"}', "metadata has no 'format'"),  # brackets in a string
    ('{"metrics": ' + '9' * 5000 + '}', 'metadata is not valid JSON'),
    ('{"crop": 1e999999, "net": [' + ', '.join(['[1]'] * 20) + ']}', 'metadata'),
])
def test_hostile_metadata_is_one_line_naming_the_file(tmp_path, text, words):
    path = _write_with_metadata_text(tmp_path / 'hostile.safetensors', text)
    for load in (read_metadata, load_hand_model, load_object_model):
        with pytest.raises(WeightsError, match=r'hostile\.safetensors: ') as info:
            load(path)
        assert words in str(info.value) and '\n' not in str(info.value)


def test_json_depth_ignores_brackets_in_strings():
    assert json_depth('{"a": [1, {"b": "]]]]"}], "c": "[[[\\\\"}') == 3
    assert json_depth('"[[[["') == 0 and json_depth('[[[]], []]') == 3


NAN, INF = float('nan'), float('inf')


@pytest.mark.parametrize('field, value', [
    ('cube_mm', [NAN, 300.0, 300.0]), ('cube_mm', [INF] * 3), ('depth_max_mm', INF),
    ('com_iterations', 1e9), ('com_iterations', 10**1000), ('depth_min_mm', 10**1000)])
def test_non_finite_or_absurd_hand_crop_settings_are_refused_at_load(tmp_path, field, value):
    _, good = small_model_file(tmp_path)
    path = with_metadata(good, tmp_path / 'bad.safetensors',
                         lambda m: m['crop'].update({field: value}))
    with pytest.raises(WeightsError, match=rf'bad\.safetensors: .*{field}') as info:
        load_hand_model(path)
    assert '\n' not in str(info.value)


@pytest.mark.parametrize('part, field, value', [
    ('crop', 'min_side_px', NAN), ('crop', 'margin', INF), ('crop', 'crop_size', 64.0),
    ('object', 'corners_m', [[NAN, 0.0, 0.0]] * 8), ('object', 'corners_m', [[1e9, 0, 0]] * 8),
    ('object', 'corners_m', [[0.0, 0.0, 'x']] * 8), ('object', 'corners_m', [[0.0, 0.0]] * 8),
    ('object', 'corners_m', [[10**1000, 0, 0]] * 8)])
def test_non_finite_or_absurd_object_settings_are_refused_at_load(tmp_path, object_weights, part,
                                                                  field, value):
    path = with_metadata(object_weights, tmp_path / 'bad.safetensors',
                         lambda m: m[part].update({field: value}))
    with pytest.raises(WeightsError, match=rf'bad\.safetensors: .*{field}') as info:
        load_object_model(path)
    assert '\n' not in str(info.value)
