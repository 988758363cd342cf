# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Losses: named terms, stop-gradient on the twin features, g trained only through real."""

import pytest
import torch

from fm_pose_ros.core.networks import FeatureMappingNet, NetConfig
from training.losses import compute_losses, pose_loss, STAGES

TINY = NetConfig(stage_channels=(4, 4, 8, 8), feature_dim=16, dropout=0.0)


def batch(n=4):
    torch.manual_seed(0)
    return {'syn': torch.randn(n, 1, 128, 128), 'syn_target': torch.randn(n, 42),
            'real': torch.randn(n, 1, 128, 128), 'real_target': torch.randn(n, 42),
            'twin': torch.randn(n, 1, 128, 128)}


def test_named_terms_and_total():
    model = FeatureMappingNet(TINY)
    losses = compute_losses(model, batch(), beta=0.5, gamma=0.2, use_g=True)
    assert set(losses) == {'loss_syn', 'loss_real', 'loss_map', 'total'}
    expected = losses['loss_syn'] + 0.5 * losses['loss_real'] + 0.2 * losses['loss_map']
    torch.testing.assert_close(losses['total'], expected)


def test_map_loss_does_not_move_twin_features():
    model = FeatureMappingNet(TINY)
    data = batch()
    data['twin'].requires_grad_(True)
    losses = compute_losses(model, {k: data[k] for k in ('real', 'real_target', 'twin')},
                            beta=0.0, gamma=1.0, use_g=True)
    losses['loss_map'].backward()
    assert data['twin'].grad is None or torch.all(data['twin'].grad == 0)


def test_baselines_leave_g_untouched():
    model = FeatureMappingNet(TINY)
    data = {k: v for k, v in batch().items() if k != 'twin'}
    losses = compute_losses(model, data, beta=1.0, gamma=0.2, use_g=False)
    losses['total'].backward()
    assert all(p.grad is None for p in model.g.parameters())
    assert set(losses) == {'loss_syn', 'loss_real', 'total'}


def test_pose_loss_and_stage_table():
    assert pose_loss(torch.ones(2, 42), torch.zeros(2, 42)).item() == pytest.approx(42.0)
    assert [s[0] for s in STAGES['fm']] == ['synthetic', 'joint']
    assert STAGES['fm'][1][2] is True and not any(s[2] for m in ('synthetic', 'real', 'mix')
                                                  for s in STAGES[m])


def test_pose_loss_over_equivalent_targets_takes_the_closest_per_sample():
    pred = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    targets = torch.tensor([[[3.0, 0.0], [0.0, 1.0]],     # sample 0: 9 or 1
                            [[1.0, 1.0], [5.0, 5.0]]])    # sample 1: 0 or 32
    torch.testing.assert_close(pose_loss(pred, targets), torch.tensor(0.5))
    torch.testing.assert_close(pose_loss(pred, targets[:, :1]),
                               pose_loss(pred, targets[:, 0]))
