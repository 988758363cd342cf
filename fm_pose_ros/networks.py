# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The three networks of Feature Mapping: f (features), g (mapping), h (pose head).

Shapes (B = batch):
- input crop ``(B, 1, S, S)`` float32 in [-1, 1] (S = crop size, 128 by default)
- ``f``: crop -> ``(B, 1024)`` features (ResNet-like, 4 residual stages, no global average
  pooling, flatten, then 2 FC of 1024 with ReLU)
- ``g``: ``(B, 1024)`` -> ``(B, 1024)``, two residual blocks ``x + FC(ReLU(FC(x)))``;
  applied to features of REAL images only
- ``h``: ``(B, 1024)`` -> ``(B, 3 * joints)`` normalised joint offsets (see hand_codec)

At run time on a real sensor: ``h(g(f(x)))``; ``FeatureMappingNet.forward`` does exactly that.
"""

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class HandNetConfig:
    """Architecture arguments; saved in the checkpoint, enough to rebuild the network."""

    in_size: int = 128                  # crop side in pixels
    in_channels: int = 1                # depth only
    stem_channels: int = 16             # 5x5 stem conv with stride 2 (halves the size)
    stage_channels: tuple = (32, 64, 96, 128)  # 4 residual stages, each halves the size
    feature_dim: int = 1024             # size of f's output and g's width (paper: 1024)
    num_outputs: int = 42               # 14 joints x 3
    dropout: float = 0.3                # on the FC layers of f, training only

    def to_dict(self):
        """JSON-friendly dict of the arguments."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Rebuild from ``to_dict`` output; unknown keys are an error."""
        values = dict(values)
        values['stage_channels'] = tuple(values['stage_channels'])
        return cls(**values)

    def final_map_size(self):
        """Side of the last feature map: stem /2, each stage /2."""
        return self.in_size // (2 ** (1 + len(self.stage_channels)))


class ResidualBlock(nn.Module):
    """Pre-activation-free basic block: conv-bn-relu-conv-bn + (1x1 conv) shortcut."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        """``(B, c_in, H, W)`` -> ``(B, c_out, H / stride, W / stride)``."""
        return self.relu(self.body(x) + self.shortcut(x))


class FeatureExtractor(nn.Module):
    """f: depth crop ``(B, 1, S, S)`` -> features ``(B, feature_dim)``."""

    def __init__(self, cfg):
        super().__init__()
        layers = [nn.Conv2d(cfg.in_channels, cfg.stem_channels, 5, 2, 2, bias=False),
                  nn.BatchNorm2d(cfg.stem_channels), nn.ReLU(inplace=True)]
        c_in = cfg.stem_channels
        for c_out in cfg.stage_channels:
            layers.append(ResidualBlock(c_in, c_out, stride=2))
            c_in = c_out
        self.trunk = nn.Sequential(*layers)
        flat = c_in * cfg.final_map_size() ** 2
        self.fc = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, cfg.feature_dim), nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.feature_dim, cfg.feature_dim), nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout))

    def forward(self, x):
        """Return ``(B, feature_dim)`` features."""
        return self.fc(self.trunk(x))


class ResidualFC(nn.Module):
    """One block of g: ``x + FC2(ReLU(FC1(x)))`` (FC2 takes FC1's output)."""

    def __init__(self, dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim)
        self.fc2 = nn.Linear(dim, dim)

    def forward(self, x):
        """``(B, dim)`` -> ``(B, dim)``."""
        return x + self.fc2(torch.relu(self.fc1(x)))


class FeatureMapping(nn.Module):
    """g: two residual FC blocks; starts close to identity (last layers zero-initialised)."""

    def __init__(self, dim, blocks=2):
        super().__init__()
        self.blocks = nn.Sequential(*[ResidualFC(dim) for _ in range(blocks)])
        for block in self.blocks:
            nn.init.zeros_(block.fc2.weight)
            nn.init.zeros_(block.fc2.bias)

    def forward(self, x):
        """``(B, dim)`` real-image features -> synthetic-like features."""
        return self.blocks(x)


class FeatureMappingNet(nn.Module):
    """f, g and h together. ``forward(x)`` = ``h(g(f(x)))``, the run-time path on real data."""

    def __init__(self, cfg=HandNetConfig()):
        super().__init__()
        self.cfg = cfg
        self.f = FeatureExtractor(cfg)
        self.g = FeatureMapping(cfg.feature_dim)
        self.h = nn.Linear(cfg.feature_dim, cfg.num_outputs)

    def forward(self, x):
        """``(B, 1, S, S)`` real crops -> ``(B, num_outputs)`` normalised joints."""
        return self.h(self.g(self.f(x)))

    def forward_synthetic(self, x):
        """``(B, 1, S, S)`` synthetic crops -> ``(B, num_outputs)`` (no mapping)."""
        return self.h(self.f(x))


def count_parameters(model):
    """Count the parameters of ``model``."""
    return sum(p.numel() for p in model.parameters())


def count_macs(model, in_size, in_channels=1):
    """Multiply-accumulates of one forward pass (conv and linear layers), batch 1."""
    macs = []

    def conv_hook(module, _inputs, output):
        kernel = module.kernel_size[0] * module.kernel_size[1]
        macs.append(output.numel() * kernel * module.in_channels // module.groups)

    def linear_hook(module, _inputs, _output):
        macs.append(module.in_features * module.out_features)

    hooks = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, in_channels, in_size, in_size))
    model.train(was_training)
    for hook in hooks:
        hook.remove()
    return sum(macs)
