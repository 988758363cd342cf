# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Finite weights that overflow: the estimators raise NonFiniteOutput, never return NaN/inf."""

from conftest import blob_frame, K_VGA, OBJECT_SIZE, write_object_weights
import numpy as np
import pytest
import torch

from fm_pose_ros.core.finite import NonFiniteOutput
from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.hand_estimator import HandEstimator
from fm_pose_ros.core.networks import FeatureMappingNet, HAND_NET
from fm_pose_ros.core.object_estimator import ObjectEstimator
from fm_pose_ros.core.weights import hand_metadata, load_object_model, save_weights

HUGE = 3e38  # finite in float32, but any sum of two of them is inf


def write_overflowing_hand(path):
    """Real hand weights, every tensor finite, whose outputs overflow to inf."""
    torch.manual_seed(0)
    model = FeatureMappingNet(HAND_NET)
    with torch.no_grad():
        model.h.weight.fill_(HUGE)
        model.h.bias.fill_(HUGE)
    save_weights(path, model, hand_metadata(HAND_NET, HandCropSettings(), trained=False),
                 dtype=torch.float32)
    return str(path)


def write_overflowing_object(path):
    """The deterministic object weights with an overflowing corner head."""
    write_object_weights(path)
    net, locator, metadata, _ = load_object_model(path)
    with torch.no_grad():
        net.h.weight.fill_(HUGE)
        net.h.bias.fill_(HUGE)
    save_weights(path, torch.nn.ModuleDict({'net': net, 'locator': locator}), metadata,
                 dtype=torch.float32)
    return str(path)


@pytest.mark.parametrize('backend', ['torch', 'onnxruntime'])
def test_hand_estimator_raises_instead_of_returning_inf(tmp_path, backend):
    path = write_overflowing_hand(tmp_path / 'overflow.safetensors')
    depth, K, _ = blob_frame()
    with pytest.raises(NonFiniteOutput, match='joints'):
        HandEstimator(path, 'cpu', backend, threads=1).estimate(depth, K)


def test_object_estimator_raises_instead_of_returning_nan(tmp_path):
    path = write_overflowing_object(tmp_path / 'overflow_object.safetensors')
    rgb = np.full((*OBJECT_SIZE, 3), 120, np.uint8)
    with pytest.raises(NonFiniteOutput, match='corners'):
        ObjectEstimator(path, 'cpu', 'torch', threads=1, refine_steps=0).estimate(rgb, K_VGA)
