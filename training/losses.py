# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Losses of Feature Mapping and of the baselines, returned as a named dict.

``L = loss_syn + beta * loss_real + gamma * loss_map`` with
- ``loss_syn``  = pose loss of ``h(f(x_syn))`` on synthetic crops (online renders),
- ``loss_real`` = pose loss of ``h(g(f(x_real)))`` (``h(f(x_real))`` for baselines),
- ``loss_map``  = ``|| stopgrad(f(x_twin)) - g(f(x_real)) ||^2`` per sample, batch mean.
Pose loss: squared error summed over the normalised coordinates (42 for the hand, 16 for
an object), batch mean; over an object's symmetries, the closest of its equivalent targets.
"""

import torch
from torch import nn

# Which terms each method trains on, per stage: (stage name, streams, use g)
STAGES = {
    'fm': (('synthetic', ('syn',), False), ('joint', ('syn', 'real', 'twin'), True)),
    'synthetic': (('synthetic', ('syn',), False),),
    'real': (('real', ('real',), False),),
    'mix': (('mix', ('syn', 'real'), False),),
}


def pose_loss(pred, target):
    """Squared error summed over coordinates ``(B, D)``, mean over the batch.

    A target ``(B, S, D)`` lists S equivalent answers (an object's symmetries,
    training/object/data.py): each sample's loss is that of the closest one.
    """
    if target.dim() == 3:
        return ((pred[:, None] - target) ** 2).sum(dim=2).min(dim=1).values.mean()
    return ((pred - target) ** 2).sum(dim=1).mean()


def compute_losses(model, batch, beta, gamma, use_g):
    """Return ``{'loss_syn', 'loss_real', 'loss_map', 'total'}`` (present terms only + total).

    ``batch`` may hold ``syn`` / ``syn_target`` ``(B, 1, S, S)`` / ``(B, 42)``, ``real`` /
    ``real_target``, and ``twin`` (the synthetic twins of ``real``, same targets).
    Synthetic and real crops share one forward pass of f; the twins get their own pass
    without gradient (the stop-gradient, kept out of batch-norm's coupling of samples).
    """
    names = [k for k in ('syn', 'real') if k in batch]
    sizes = [batch[k].shape[0] for k in names]
    features = dict(zip(names, torch.split(model.f(torch.cat([batch[k] for k in names])),
                                           sizes)))
    if 'twin' in batch:
        with torch.no_grad():
            features['twin'] = model.f(batch['twin'])
    losses = {}
    total = 0.0
    if 'syn' in features:
        syn_target = batch['syn_target']
        syn_features = features['syn']
        losses['loss_syn'] = pose_loss(model.h(syn_features), syn_target)
        total = total + losses['loss_syn']
    if 'real' in features:
        mapped = model.g(features['real']) if use_g else features['real']
        losses['loss_real'] = pose_loss(model.h(mapped), batch['real_target'])
        total = total + (beta if use_g else 1.0) * losses['loss_real']
        if 'twin' in features:
            gap = features['twin'] - mapped  # twin features carry no gradient
            losses['loss_map'] = (gap ** 2).sum(dim=1).mean()
            total = total + gamma * losses['loss_map']
    losses['total'] = total
    return losses


class Objective(nn.Module):
    """``forward(batch, use_g)`` -> the losses dict; a module so DDP can wrap it."""

    def __init__(self, model, beta, gamma):
        super().__init__()
        self.model, self.beta, self.gamma = model, beta, gamma

    def forward(self, batch, use_g):
        """Compute the named losses of one batch."""
        return compute_losses(self.model, batch, self.beta, self.gamma, use_g)
