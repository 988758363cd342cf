# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Networks f, g, h: shapes, g's residual structure, size budget, config round trip."""

import pytest
import torch

from fm_pose_ros.core.networks import (
    count_macs, count_parameters, FeatureMappingNet, HAND_LOCATOR, Locator, LocatorConfig,
    NetConfig, ResidualFC)


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


DENSE = NetConfig(in_size=32, in_channels=3, arch='vgg', stage_channels=(8, 16), num_outputs=16,
                  point_dims=2, head='dense')


def test_dense_head_shapes_and_g_on_feature_maps_starts_as_identity():
    model = FeatureMappingNet(DENSE).eval()
    x = torch.randn(2, 3, 32, 32)
    maps = model.f(x)
    assert maps.shape == (2, 16, 8, 8)
    torch.testing.assert_close(model.g(maps), maps)
    assert model(x).shape == (2, 16)
    hand = FeatureMappingNet(NetConfig(in_size=32, stage_channels=(8, 16), head='dense')).eval()
    assert hand(torch.randn(2, 1, 32, 32)).shape == (2, 42)


def test_voting_head_returns_the_cell_centre_it_is_sure_of_plus_its_offset():
    head = FeatureMappingNet(DENSE).eval().h
    points = 8
    maps = torch.zeros(1, 16, 8, 8)
    maps[0, 0, 2, 5] = 1.0              # channel 0 marks the cell of row 2, column 5
    with torch.no_grad():
        head.conv.weight.zero_()
        head.conv.bias.zero_()
        # keypoint 0: logit +1e4 in that cell, -1e4 elsewhere; offset (0.1, -0.2) there
        head.conv.bias[0] = -1e4
        head.conv.weight[0, 0] = 2e4
        head.conv.weight[points + 0, 0] = 0.1
        head.conv.weight[points + 1, 0] = -0.2
    point = head(maps).reshape(points, 2)[0]
    # cell centres: pixel 4 * column + 1.5 in a 32-px crop, normalised (p - 15.5) / 16
    expected = torch.tensor([(21.5 - 15.5) / 16 + 0.1, (9.5 - 15.5) / 16 - 0.2])
    torch.testing.assert_close(point, expected)


def test_bad_head_or_keypoint_split_is_a_value_error():
    import pytest
    with pytest.raises(ValueError, match='head must be one of'):
        FeatureMappingNet(NetConfig(head='sparse'))
    with pytest.raises(ValueError, match='whole number of keypoints'):
        FeatureMappingNet(NetConfig(head='dense', num_outputs=16, point_dims=3))
    # the FC head predates point_dims: files without it still load
    FeatureMappingNet(NetConfig(num_outputs=16))


def test_group_norm_trunk_has_no_batch_statistics():
    for head in ('fc', 'dense'):
        cfg = NetConfig(in_size=32, stage_channels=(8, 16), feature_dim=32, dropout=0.0,
                        head=head, norm='group')
        model = FeatureMappingNet(cfg).train()
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
        assert NetConfig.from_dict(cfg.to_dict()) == cfg
        crops = torch.randn(4, 1, 32, 32)
        # in training mode a crop's features do not depend on the other crops of its batch
        torch.testing.assert_close(model.f(crops)[:1], model.f(crops[:1]))
    batch = FeatureMappingNet(NetConfig(in_size=32, stage_channels=(8, 16), dropout=0.0)).train()
    assert not torch.allclose(batch.f(crops)[:1], batch.f(crops[:1]))


def test_unknown_norm_is_a_value_error():
    import pytest
    with pytest.raises(ValueError, match='norm must be one of'):
        FeatureMappingNet(NetConfig(norm='layer'))


def test_locator_takes_one_dilated_layer_per_dilation_and_reads_older_configs():
    wide = LocatorConfig(in_channels=1, channels=(8, 8, 8, 8, 8), dilations=(2, 4, 8))
    locator = Locator(wide).eval()
    assert locator(torch.zeros(2, 1, 120, 160)).shape == (2, 1, 30, 40)
    dilated = [m.dilation[0] for m in locator.modules() if isinstance(m, torch.nn.Conv2d)]
    assert dilated == [1, 1, 2, 4, 8, 1]
    assert LocatorConfig.from_dict(wide.to_dict()) == wide
    older = {k: v for k, v in HAND_LOCATOR.to_dict().items() if k != 'dilations'}
    assert LocatorConfig.from_dict(older) == HAND_LOCATOR   # weights saved before dilations
    with pytest.raises(ValueError, match='dilations'):
        Locator(LocatorConfig(channels=(8, 8, 8), dilations=(2, 4)))
