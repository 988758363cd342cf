# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Backends: ONNX Runtime matches torch; device names are checked."""

from conftest import write_hand_weights_with_locator
import numpy as np
import pytest
import torch

from fm_pose_ros.core.backends import (
    export_onnx, input_shape, make_backend, onnx_path_for, OnnxBackend, resolve_backend,
    resolve_device, TorchBackend)
from fm_pose_ros.core.weights import load_hand_model, load_hand_parts


def test_onnx_matches_torch(tmp_path, weights_path):
    model, _, _ = load_hand_model(weights_path)
    onnx_file = export_onnx(model, tmp_path / 'm.onnx', (1, 128, 128))
    crops = np.random.default_rng(0).uniform(-1, 1, (3, 1, 128, 128)).astype(np.float32)
    expected = TorchBackend(model, 'cpu')(crops)
    np.testing.assert_allclose(OnnxBackend(onnx_file, 'cpu', threads=1)(crops), expected,
                               atol=1e-4, rtol=1e-4)


def test_onnx_cache_path_follows_content(tmp_path, weights_path):
    first = onnx_path_for(weights_path, cache_dir=tmp_path)
    other = tmp_path / 'copy.safetensors'
    other.write_bytes(open(weights_path, 'rb').read()[:-1] + b'\x00')
    assert first == onnx_path_for(weights_path, cache_dir=tmp_path)
    assert first.endswith('.onnx')
    assert onnx_path_for(other, cache_dir=tmp_path) != first


def test_resolve_backend():
    assert resolve_backend('auto', 'cpu') == 'onnxruntime'
    assert resolve_backend('auto', 'cuda') == 'torch'
    assert resolve_backend('torch', 'cpu') == 'torch'
    with pytest.raises(ValueError, match='backend must be one of'):
        resolve_backend('tensorrt', 'cpu')


def test_resolve_device():
    assert resolve_device('cpu') == 'cpu'
    assert resolve_device('auto') == ('cuda' if torch.cuda.is_available() else 'cpu')
    with pytest.raises(ValueError, match='device must be one of'):
        resolve_device('tpu')
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match='no CUDA GPU'):
            resolve_device('cuda')


def test_locator_runs_the_same_through_onnx(tmp_path):
    path = write_hand_weights_with_locator(tmp_path / 'h.safetensors', 1.0)
    _, locator, _, _ = load_hand_parts(path)
    with torch.no_grad():      # a non-constant locator: random last layer
        locator.body[-1].weight.normal_()
    image = np.random.default_rng(1).uniform(-1, 1, (2, *input_shape(locator.cfg)))
    onnx = make_backend(locator, path, 'onnxruntime', 'cpu', threads=1)
    expected = TorchBackend(locator, 'cpu')(image)
    assert expected.shape == (2, 1, 30, 40)
    np.testing.assert_allclose(onnx(image), expected, atol=1e-4, rtol=1e-4)
    assert onnx_path_for(path, part='locator') != onnx_path_for(path)


@pytest.mark.parametrize('norm', ['batch', 'group'])
def test_a_dense_head_object_file_loads_and_runs_the_same_through_onnx(tmp_path, norm):
    from fm_pose_ros.core.networks import FeatureMappingNet, Locator, NetConfig, OBJECT_LOCATOR
    from fm_pose_ros.core.object_codec import ObjectCropSettings
    from fm_pose_ros.core.weights import (
        load_object_model, object_metadata, save_weights, weight_modules)
    cfg = NetConfig(in_size=32, in_channels=3, arch='vgg', stage_channels=(8, 16),
                    num_outputs=16, point_dims=2, head='dense', norm=norm)
    net, locator = FeatureMappingNet(cfg).eval(), Locator(OBJECT_LOCATOR).eval()
    info = {'name': 'box', 'corners_m': np.eye(8, 3).tolist(), 'diameter_m': 0.1,
            'symmetric': False, 'points_m': np.eye(8, 3).tolist()}
    path = str(tmp_path / 'dense.safetensors')
    save_weights(path, weight_modules(net, locator),
                 object_metadata(cfg, locator.cfg, ObjectCropSettings(crop_size=32), info,
                                 trained=False), dtype=torch.float32)
    loaded = load_object_model(path)[0]
    assert loaded.cfg == cfg
    crops = np.random.default_rng(1).uniform(-1, 1, (2, 3, 32, 32)).astype(np.float32)
    expected = TorchBackend(net, 'cpu')(crops)
    np.testing.assert_allclose(TorchBackend(loaded, 'cpu')(crops), expected, atol=1e-6)
    onnx = make_backend(loaded, path, 'onnxruntime', 'cpu', threads=1)
    np.testing.assert_allclose(onnx(crops), expected, atol=1e-4, rtol=1e-4)
