# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Networks f, g, h: shapes, g's residual structure, size budget, config round trip."""

import torch

from fm_pose_ros.core.networks import (
    count_macs, count_parameters, FeatureMappingNet, NetConfig, ResidualFC)


def test_shapes_of_f_g_h():
    model = FeatureMappingNet().eval()
    x = torch.randn(3, 1, 128, 128)
    features = model.f(x)
    assert features.shape == (3, 1024)
    assert model.g(features).shape == (3, 1024)
    assert model(x).shape == (3, 42)
    assert model.forward_synthetic(x).shape == (3, 42)


def test_g_starts_as_identity_and_second_fc_takes_first_fc_output():
    model = FeatureMappingNet().eval()
    features = torch.randn(4, 1024)
    torch.testing.assert_close(model.g(features), features)
    block = ResidualFC(8)
    torch.nn.init.normal_(block.fc2.weight)
    x = torch.randn(2, 8)
    expected = x + block.fc2(torch.relu(block.fc1(x)))
    torch.testing.assert_close(block(x), expected)


def test_size_budget_fits_25_mb_at_fp16():
    model = FeatureMappingNet()
    assert count_parameters(model) * 2 < 25e6
    assert 1e7 < count_macs(model, (1, 128, 128)) < 5e8


def test_config_round_trip():
    cfg = NetConfig(stage_channels=(8, 16, 16, 32), feature_dim=64)
    assert NetConfig.from_dict(cfg.to_dict()) == cfg
    assert FeatureMappingNet(cfg)(torch.zeros(1, 1, 128, 128)).shape == (1, 42)
