# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The three networks of Feature Mapping: f (features), g (mapping), h (pose head).

Shapes (B = batch, C = 1 for depth, 3 for RGB):
- input crop ``(B, C, S, S)`` float32 in [-1, 1] (S = crop size)
- ``head='fc'`` (the paper's holistic networks):
  - ``f``: crop -> ``(B, 1024)`` features: a convolutional trunk (``resnet``: residual
    stages for hands; ``vgg``: 3x3 conv + max-pool stages for objects), no global average
    pooling, flatten, then 2 FC of 1024 with ReLU
  - ``g``: ``(B, 1024)`` -> ``(B, 1024)``, two residual blocks ``x + FC(ReLU(FC(x)))``;
    applied to features of REAL images only
  - ``h``: ``(B, 1024)`` -> ``(B, num_outputs)``: 42 normalised joint offsets (hand_codec)
    or 16 normalised corner projections (object_codec)
- ``head='dense'`` (per-cell voting, a generalisation of the paper to feature maps):
  - ``f``: the trunk, then two 3x3 conv layers at its last resolution -> maps
    ``(B, Cf, s, s)`` (Cf = last stage's channels, s = ``final_map_size()``)
  - ``g``: two residual blocks of 1x1 convolutions on the maps (same shape)
  - ``h``: a 1x1 convolution gives, per cell and keypoint, a logit and an offset of
    ``point_dims`` normalised coordinates; each keypoint is the softmax(logits)-weighted
    mean over cells of (cell centre + offset) -> ``(B, num_outputs)``, the SAME targets as
    the FC head (cell centres in the codecs' normalised crop coordinates, x right, y down;
    a hand joint's depth coordinate has centre 0). Codecs, PnP and the nodes are unchanged.

``Locator`` is the coarse segmentation network of both locators (BB8's first stage): a
letterboxed full image (RGB for objects, depth for hands) -> per-cell probability.

Presets: ``HAND_NET`` and ``OBJECT_NET`` (``NetConfig``), ``HAND_LOCATOR`` and
``OBJECT_LOCATOR`` (``LocatorConfig``). ``HEADS`` and ``TRUNKS`` map a config's ``head`` and
``arch`` names to their builders.

At run time on a real sensor: ``h(g(f(x)))``; ``FeatureMappingNet.forward`` does exactly that.
"""

from dataclasses import asdict, dataclass
import math

import torch
from torch import nn


@dataclass(frozen=True)
class NetConfig:
    """Architecture arguments; saved in the weights file, enough to rebuild the network.

    The defaults are the hand network, ``HAND_NET``; ``OBJECT_NET`` is the object network.
    """

    in_size: int = 128                  # crop side in pixels
    in_channels: int = 1                # 1 = depth, 3 = RGB
    arch: str = 'resnet'                # trunk of f: 'resnet' or 'vgg' (see TRUNKS)
    stem_channels: int = 16             # resnet: 5x5 stem conv with stride 2 (halves the size)
    stage_channels: tuple = (32, 64, 96, 128)  # each stage halves the size
    feature_dim: int = 1024             # size of f's output and g's width (paper: 1024)
    num_outputs: int = 42               # 14 joints x 3
    dropout: float = 0.3                # on the FC layers of f, training only ('fc' head)
    head: str = 'fc'                    # 'fc' (the paper's) or 'dense' (per-cell voting)
    point_dims: int = 3                 # coordinates per keypoint: 3 (hand xyz), 2 (object uv)
    norm: str = 'batch'                 # f's normalisation: 'batch' or 'group' (GroupNorm,
    #                                     no batch statistics shared by the two domains)

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
        """Side of the last feature map: each stage /2, and the resnet stem /2."""
        return self.in_size // (2 ** (len(self.stage_channels) + (self.arch == 'resnet')))

    def check(self):
        """Raise ValueError on an unknown trunk or head, or outputs that are not keypoints."""
        if self.arch not in TRUNKS:
            raise ValueError(f"arch must be one of {', '.join(TRUNKS)}, got {self.arch!r}")
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {', '.join(HEADS)}, got {self.head!r}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {self.norm!r}")
        if self.head == 'dense' and (self.point_dims not in (2, 3)
                                     or self.num_outputs % self.point_dims):
            raise ValueError(f'num_outputs {self.num_outputs} is not a whole number of '
                             f'keypoints of point_dims {self.point_dims} (2 or 3)')
        if self.final_map_size() < 1:
            raise ValueError(f'in_size {self.in_size} is too small for '
                             f'{len(self.stage_channels)} stages')
        return self


NORM_GROUPS = 8  # GroupNorm groups (fewer where the channels are not a multiple of 8)


def norm_layer(kind, channels):
    """Batch norm (``'batch'``) or group norm (``'group'``) over ``channels``."""
    if kind == 'group':
        return nn.GroupNorm(math.gcd(NORM_GROUPS, channels), channels)
    return nn.BatchNorm2d(channels)


NORMS = ('batch', 'group')


class ResidualBlock(nn.Module):
    """Pre-activation-free basic block: conv-norm-relu-conv-norm + (1x1 conv) shortcut."""

    def __init__(self, c_in, c_out, stride, norm='batch'):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), norm_layer(norm, c_out),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), norm_layer(norm, c_out))
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), norm_layer(norm, c_out))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        """``(B, c_in, H, W)`` -> ``(B, c_out, H / stride, W / stride)``."""
        return self.relu(self.body(x) + self.shortcut(x))


def conv_bn_relu(c_in, c_out, stride=1, dilation=1, norm='batch'):
    """3x3 convolution, normalisation (batch norm by default), ReLU."""
    return [nn.Conv2d(c_in, c_out, 3, stride, dilation, dilation=dilation, bias=False),
            norm_layer(norm, c_out), nn.ReLU(inplace=True)]


def resnet_trunk(cfg):
    """5x5 stride-2 stem, then one residual block of stride 2 per stage."""
    layers = [nn.Conv2d(cfg.in_channels, cfg.stem_channels, 5, 2, 2, bias=False),
              norm_layer(cfg.norm, cfg.stem_channels), nn.ReLU(inplace=True)]
    c_in = cfg.stem_channels
    for c_out in cfg.stage_channels:
        layers.append(ResidualBlock(c_in, c_out, stride=2, norm=cfg.norm))
        c_in = c_out
    return nn.Sequential(*layers)


def vgg_trunk(cfg):
    """VGG-like: per stage a 3x3 conv-bn-relu and a 2x2 max-pool."""
    layers, c_in = [], cfg.in_channels
    for c_out in cfg.stage_channels:
        layers += conv_bn_relu(c_in, c_out, norm=cfg.norm) + [nn.MaxPool2d(2)]
        c_in = c_out
    return nn.Sequential(*layers)


TRUNKS = {'resnet': resnet_trunk, 'vgg': vgg_trunk}


class FeatureExtractor(nn.Module):
    """f: crop ``(B, C, S, S)`` -> features ``(B, feature_dim)``."""

    def __init__(self, cfg):
        super().__init__()
        self.trunk = TRUNKS[cfg.arch](cfg)
        flat = cfg.stage_channels[-1] * cfg.final_map_size() ** 2
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


class DenseFeatureExtractor(nn.Module):
    """f of the dense head: crop ``(B, C, S, S)`` -> maps ``(B, Cf, s, s)``."""

    def __init__(self, cfg):
        super().__init__()
        channels = cfg.stage_channels[-1]
        self.trunk = TRUNKS[cfg.arch](cfg)
        # two more 3x3 layers at the last resolution (the second dilated): each cell sees
        # the whole object, so every cell can vote for every keypoint
        norm = cfg.norm
        self.context = nn.Sequential(*conv_bn_relu(channels, channels, norm=norm),
                                     *conv_bn_relu(channels, channels, dilation=2, norm=norm))

    def forward(self, x):
        """Return ``(B, Cf, s, s)`` feature maps."""
        return self.context(self.trunk(x))


class ResidualConv(nn.Module):
    """One block of the dense g: ``x + conv1x1(ReLU(conv1x1(x)))``."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 1)
        self.conv2 = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        """``(B, C, s, s)`` -> ``(B, C, s, s)``."""
        return x + self.conv2(torch.relu(self.conv1(x)))


class ConvFeatureMapping(nn.Module):
    """g of the dense head: residual 1x1 conv blocks, starting as the identity."""

    def __init__(self, channels, blocks=2):
        super().__init__()
        self.blocks = nn.Sequential(*[ResidualConv(channels) for _ in range(blocks)])
        for block in self.blocks:
            nn.init.zeros_(block.conv2.weight)
            nn.init.zeros_(block.conv2.bias)

    def forward(self, x):
        """``(B, C, s, s)`` real-image maps -> synthetic-like maps."""
        return self.blocks(x)


class VotingHead(nn.Module):
    """h of the dense head: maps ``(B, Cf, s, s)`` -> keypoints ``(B, K * D)``.

    Per cell and keypoint: a logit and a ``D``-vector offset. Keypoint = sum over cells of
    softmax(logits) x (cell centre + offset); cell centres are in normalised crop
    coordinates ``(c - (S - 1) / 2) / (S / 2)`` (x, y; 0 for a third coordinate).
    """

    def __init__(self, channels, cfg):
        super().__init__()
        self.points, self.dims = cfg.num_outputs // cfg.point_dims, cfg.point_dims
        self.conv = nn.Conv2d(channels, self.points * (1 + self.dims), 1)
        side, stride = cfg.final_map_size(), cfg.in_size / cfg.final_map_size()
        pixels = torch.arange(side, dtype=torch.float32) * stride + (stride - 1) / 2
        coords = (pixels - (cfg.in_size - 1) / 2) / (cfg.in_size / 2)
        y, x = torch.meshgrid(coords, coords, indexing='ij')
        centres = torch.stack([x, y] + [torch.zeros_like(x)] * (self.dims - 2))
        self.register_buffer('centres', centres.reshape(1, 1, self.dims, -1), persistent=False)

    def forward(self, maps):
        """Return ``(B, K * D)`` keypoints in the codec's normalised coordinates."""
        out = self.conv(maps).flatten(2)                        # (B, K * (1 + D), s * s)
        logits = out[:, :self.points]                           # (B, K, s * s)
        offsets = out[:, self.points:].reshape(out.shape[0], self.points, self.dims, -1)
        weights = torch.softmax(logits, dim=-1).unsqueeze(2)    # (B, K, 1, s * s)
        return ((self.centres + offsets) * weights).sum(-1).flatten(1)


def fc_head(cfg):
    """Build the paper's holistic ``(f, g, h)``: FC features, FC mapping, linear pose head."""
    return (FeatureExtractor(cfg), FeatureMapping(cfg.feature_dim),
            nn.Linear(cfg.feature_dim, cfg.num_outputs))


def dense_head(cfg):
    """Build per-cell voting ``(f, g, h)``: feature maps, 1x1 conv mapping, voting head."""
    channels = cfg.stage_channels[-1]
    return DenseFeatureExtractor(cfg), ConvFeatureMapping(channels), VotingHead(channels, cfg)


HEADS = {'fc': fc_head, 'dense': dense_head}
HAND_NET = NetConfig()


class FeatureMappingNet(nn.Module):
    """f, g and h together. ``forward(x)`` = ``h(g(f(x)))``, the run-time path on real data."""

    def __init__(self, cfg=HAND_NET):
        super().__init__()
        self.cfg = cfg.check()
        self.f, self.g, self.h = HEADS[cfg.head](cfg)

    def forward(self, x):
        """``(B, C, S, S)`` real crops -> ``(B, num_outputs)`` normalised targets."""
        return self.h(self.g(self.f(x)))

    def forward_synthetic(self, x):
        """``(B, C, S, S)`` synthetic crops -> ``(B, num_outputs)`` (no mapping)."""
        return self.h(self.f(x))


OBJECT_NET = NetConfig(in_size=64, in_channels=3, arch='vgg', stage_channels=(32, 64, 128, 256),
                       num_outputs=16, point_dims=2)


@dataclass(frozen=True)
class LocatorConfig:
    """Coarse segmentation network (object and hand locators); saved with the weights.

    The defaults are the object locator, ``OBJECT_LOCATOR``; ``HAND_LOCATOR`` takes depth.
    """

    width: int = 160                    # letterboxed input width in pixels
    height: int = 120                   # letterboxed input height in pixels
    channels: tuple = (16, 32, 48, 64)  # stride 2, 2, then one dilated layer per dilation
    in_channels: int = 3                # 3 = RGB (objects), 1 = depth (hands)
    dilations: tuple = (2, 4)           # of the layers at stride 4 (receptive field grows)

    @property
    def stride(self):
        """Input pixels per output cell."""
        return 4

    def to_dict(self):
        """JSON-friendly dict of the arguments."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Rebuild from ``to_dict`` output."""
        return cls(**{**values, 'channels': tuple(values['channels']),
                      'dilations': tuple(values.get('dilations', cls.dilations))})

    def validate(self):
        """Return self; ValueError unless there are two channels more than dilations."""
        if len(self.channels) != len(self.dilations) + 2:
            raise ValueError(f'locator: {len(self.channels)} channels for '
                             f'{len(self.dilations)} dilations (need dilations + 2)')
        return self


OBJECT_LOCATOR = LocatorConfig()
HAND_LOCATOR = LocatorConfig(in_channels=1)


class Locator(nn.Module):
    """``(B, C, H, W)`` letterboxed image in [-1, 1] -> ``(B, 1, H / 4, W / 4)`` logits."""

    def __init__(self, cfg=OBJECT_LOCATOR):
        super().__init__()
        self.cfg = cfg
        c1, c2, *wide = cfg.validate().channels
        layers = [*conv_bn_relu(cfg.in_channels, c1, stride=2), *conv_bn_relu(c1, c2, stride=2)]
        for c_in, c_out, dilation in zip((c2, *wide), wide, cfg.dilations):
            layers += conv_bn_relu(c_in, c_out, dilation=dilation)
        self.body = nn.Sequential(*layers, nn.Conv2d(wide[-1], 1, 1))

    def forward(self, x):
        """Per-cell logits of the object (RGB input) or the hand (depth input)."""
        return self.body(x)


def count_parameters(model):
    """Count the parameters of ``model``."""
    return sum(p.numel() for p in model.parameters())


def count_macs(model, shape):
    """Multiply-accumulates of one forward pass (conv and linear layers) of one ``(C, H, W)``."""
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
        model(torch.zeros(1, *shape))
    model.train(was_training)
    for hook in hooks:
        hook.remove()
    return sum(macs)
