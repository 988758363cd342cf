# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Memory layout of a network in training: NCHW, or NHWC (``channels_last``) where it is safe.

oneDNN's 1x1 backward-weights kernel (``jit_1x1``, used by torch's CPU convolutions) writes
past its workspace when a strided 1x1 convolution gets NHWC tensors with fewer input channels
than one SIMD register holds (8 floats with AVX2, 16 with AVX-512): heap corruption, then an
abort or a segmentation fault in ``backward()``, or silently wrong weight gradients
(oneDNN issue uxlfoundation/oneDNN#6035).
In a ResNet that is the shortcut of a narrow block, e.g. ``stage_channels: [4, 8]``. Such
convolutions run in NCHW: weights with NCHW strides, input made NCHW by a forward pre-hook
(torch picks NHWC when either one has NHWC strides); every other layer takes ``channels_last``.
"""

import torch
from torch import nn

NHWC_MIN_CHANNELS = 16  # float32 lanes of the widest SIMD block (AVX-512); AVX2 has 8


def nhwc_unsafe(module):
    """Tell whether ``module`` is a strided 1x1 ``nn.Conv2d`` with few (< 16) group inputs."""
    return (isinstance(module, nn.Conv2d) and module.kernel_size == (1, 1)
            and module.stride != (1, 1)
            and module.in_channels // module.groups < NHWC_MIN_CHANNELS)


def _contiguous_input(_module, args):
    """Forward pre-hook: the input ``(B, C, H, W)`` in NCHW order."""
    return tuple(a.contiguous() if torch.is_tensor(a) else a for a in args)


def apply_layout(model, memory_format):
    """Put ``model``'s parameters in ``memory_format``; return ``model``.

    With ``torch.channels_last``, the ``nhwc_unsafe`` convolutions keep NCHW weights and get
    their input in NCHW (a forward pre-hook): their numbers are those of the NCHW layout.
    """
    model.to(memory_format=memory_format)
    if memory_format == torch.channels_last:
        for module in model.modules():
            if nhwc_unsafe(module):
                module.to(memory_format=torch.contiguous_format)
                module.register_forward_pre_hook(_contiguous_input)
    return model
