# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""channels_last training layout: narrow strided 1x1 convolutions run NCHW, same gradients."""

import torch
from torch import nn

from fm_pose_ros.core.networks import FeatureMappingNet, NetConfig
from training.layout import apply_layout, nhwc_unsafe

NARROW = NetConfig(in_size=32, stage_channels=(4, 8, 8, 16), feature_dim=32, dropout=0.0)


def test_only_narrow_strided_1x1_convolutions_are_unsafe():
    assert nhwc_unsafe(nn.Conv2d(4, 8, 1, 2))
    assert nhwc_unsafe(nn.Conv2d(15, 8, 1, (1, 2)))
    assert not nhwc_unsafe(nn.Conv2d(16, 8, 1, 2))      # a whole SIMD block of inputs
    assert not nhwc_unsafe(nn.Conv2d(4, 8, 1, 1))       # unit stride
    assert not nhwc_unsafe(nn.Conv2d(4, 8, 3, 2, 1))    # not 1x1
    assert not nhwc_unsafe(nn.Linear(4, 8))


def gradients(memory_format):
    """``(model, {name: gradient}, input layouts seen by the shortcut)`` of one backward pass."""
    torch.manual_seed(0)
    model = apply_layout(FeatureMappingNet(NARROW), memory_format)
    shortcut = model.f.trunk[4].shortcut[0]         # 1x1 stride 2, 4 input channels
    seen = []
    shortcut.register_forward_hook(lambda _m, args, _out: seen.append(
        (args[0].is_contiguous(), args[0].is_contiguous(memory_format=torch.channels_last))))
    x = torch.randn(8, 1, 32, 32).contiguous(memory_format=memory_format)
    model.h(model.g(model.f(x))).pow(2).sum().backward()
    return model, {name: p.grad for name, p in model.named_parameters()}, seen


def test_channels_last_feeds_the_unsafe_convolutions_nchw_with_the_same_gradients():
    model, grads, seen = gradients(torch.channels_last)
    shortcut = model.f.trunk[4].shortcut[0]
    assert nhwc_unsafe(shortcut) and seen == [(True, False)]
    assert shortcut.weight.stride() == (4, 1, 1, 1)  # NCHW; NHWC strides are (4, 1, 4, 4)
    assert model.f.trunk[4].body[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert not model.f.trunk[4].body[0].weight.is_contiguous()
    _, reference, seen = gradients(torch.contiguous_format)
    assert seen == [(True, False)]
    for name, grad in reference.items():
        torch.testing.assert_close(grads[name], grad, atol=1e-3, rtol=1e-4, msg=name)
