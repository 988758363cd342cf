# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Weights files: safetensors tensors + JSON metadata in the safetensors header.

One ``.safetensors`` file holds everything a node needs: the tensors (float16 on disk by
default, float32 in memory) and, under the header key ``fm_pose_ros``, a JSON document with
the architecture arguments, crop settings, joint names, training config, metrics and format
version. Loading never unpickles; the network is rebuilt from the metadata alone. Files are
written atomically (``fileio.atomic_write``).
"""

from dataclasses import asdict
import json
import os

from safetensors import safe_open
from safetensors.torch import save_file
import torch

from fm_pose_ros import __version__
from fm_pose_ros.core.fileio import atomic_write
from fm_pose_ros.core.hand_codec import CropSettings
from fm_pose_ros.core.hand_joints import JOINT_NAMES
from fm_pose_ros.core.networks import FeatureMappingNet, Locator, LocatorConfig, NetConfig
from fm_pose_ros.core.object_codec import ObjectCropSettings

FORMAT = 'fm_pose_ros.weights'
FORMAT_VERSION = 1
METADATA_KEY = 'fm_pose_ros'


class CheckpointError(RuntimeError):
    """A weights file that is missing, corrupt or does not match this package."""


def hand_metadata(net_cfg, crop, trained, training=None, metrics=None, locator_cfg=None):
    """Build the metadata document of a hand model (with a learned locator if given)."""
    metadata = {
        'format': FORMAT,
        'format_version': FORMAT_VERSION,
        'package_version': __version__,
        'task': 'hand',
        'architecture': 'FeatureMappingNet',
        'net': net_cfg.to_dict(),
        'crop': asdict(crop),
        'joint_names': list(JOINT_NAMES),
        'trained': bool(trained),
        'training': training or {},
        'metrics': metrics or {},
    }
    if locator_cfg is not None:
        metadata.update(architecture='FeatureMappingNet+Locator', locator=locator_cfg.to_dict())
    return metadata


def object_metadata(net_cfg, locator_cfg, crop, object_info, trained, training=None,
                    metrics=None):
    """Build the metadata document of an object model.

    ``object_info``: dict with ``name``, ``corners_m`` (8, 3), ``diameter_m``, ``symmetric``
    and ``points_m`` (N, 3) model points for ADD (all metres, model frame; lists).
    """
    return {
        'format': FORMAT,
        'format_version': FORMAT_VERSION,
        'package_version': __version__,
        'task': 'object',
        'architecture': 'FeatureMappingNet+Locator',
        'net': net_cfg.to_dict(),
        'locator': locator_cfg.to_dict(),
        'crop': asdict(crop),
        'object': object_info,
        'trained': bool(trained),
        'training': training or {},
        'metrics': metrics or {},
    }


def weight_modules(net, locator=None):
    """Return the module whose state dict is a weights file.

    With a locator: ``net.*`` and ``locator.*`` tensors (object files, hand files with a
    learned locator); without: the network's own names (hand files with the centre-of-mass
    localiser).
    """
    return net if locator is None else torch.nn.ModuleDict({'net': net, 'locator': locator})


def save_weights(path, model, metadata, dtype=torch.float16):
    """Write ``model``'s state dict (floats cast to ``dtype``) and ``metadata`` atomically."""
    tensors = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().cpu()
        if tensor.is_floating_point():
            tensor = tensor.to(dtype)
        tensors[name] = tensor.contiguous()
    header = {METADATA_KEY: json.dumps(metadata, sort_keys=True)}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=header))


def read_metadata(path):
    """Return the metadata dict of a weights file, or raise CheckpointError."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f'weights file not found: {path}')
    try:
        with safe_open(path, framework='pt') as handle:
            header = handle.metadata() or {}
    except Exception as exc:  # safetensors raises several types for corrupt files
        raise CheckpointError(f'{path} is not a readable safetensors file: {exc}') from exc
    if METADATA_KEY not in header:
        raise CheckpointError(f'{path} has no {METADATA_KEY} metadata (not our weights file)')
    try:
        metadata = json.loads(header[METADATA_KEY])
    except json.JSONDecodeError as exc:
        raise CheckpointError(f'{path}: metadata is not valid JSON: {exc}') from exc
    _check_metadata(path, metadata)
    return metadata


def _check_metadata(path, metadata):
    if metadata.get('format') != FORMAT:
        raise CheckpointError(f"{path}: format is {metadata.get('format')!r}, not {FORMAT!r}")
    if metadata.get('format_version') != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format version {metadata.get('format_version')} is not supported "
            f'(this package reads version {FORMAT_VERSION})')
    if metadata.get('task') == 'hand' and metadata.get('joint_names') != list(JOINT_NAMES):
        raise CheckpointError(f'{path}: joint names differ from this package\'s joint order')


def _read_task_metadata(path, task):
    metadata = read_metadata(path)
    if metadata.get('task') != task:
        raise CheckpointError(f"{path}: task is {metadata.get('task')!r}, expected {task!r}")
    return metadata


def load_hand_model(path, device='cpu'):
    """Rebuild the hand network from a weights file.

    Returns ``(model, metadata, crop_settings)`` with the model in eval mode on ``device``.
    """
    model, _, metadata, crop = load_hand_parts(path, device)
    return model, metadata, crop


def load_hand_parts(path, device='cpu'):
    """Rebuild the hand network and its learned locator (None if the file has none).

    Returns ``(model, locator, metadata, crop_settings)``, networks in eval mode on ``device``.
    """
    metadata = _read_task_metadata(path, 'hand')
    try:
        net_cfg = NetConfig.from_dict(metadata['net'])
        crop = CropSettings(**{**metadata['crop'], 'cube_mm': tuple(metadata['crop']['cube_mm'])})
        crop.validate()
        model = FeatureMappingNet(net_cfg)
        locator = (Locator(LocatorConfig.from_dict(metadata['locator']))
                   if 'locator' in metadata else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f'{path}: metadata does not describe a valid model: {exc}') from exc
    _load_state(path, weight_modules(model, locator))
    if locator is not None:
        locator.eval().to(device)
    return model.eval().to(device), locator, metadata, crop


def load_object_model(path, device='cpu'):
    """Rebuild the object networks from a weights file.

    Returns ``(net, locator, metadata, crop_settings)``, both networks in eval mode on
    ``device``; ``metadata['object']`` holds the corners, diameter and symmetry flag.
    """
    metadata = _read_task_metadata(path, 'object')
    try:
        net = FeatureMappingNet(NetConfig.from_dict(metadata['net']))
        locator = Locator(LocatorConfig.from_dict(metadata['locator']))
        crop = ObjectCropSettings(**metadata['crop']).validate()
        corners = metadata['object']['corners_m']
        if len(corners) != 8 or any(len(c) != 3 for c in corners):
            raise ValueError('object corners_m must be 8 x 3')
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f'{path}: metadata does not describe a valid model: {exc}') from exc
    _load_state(path, weight_modules(net, locator))
    return net.eval().to(device), locator.eval().to(device), metadata, crop


def _load_state(path, model):
    """Load the file's tensors into ``model`` (strict), or raise CheckpointError."""
    state = _read_tensors(path)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise CheckpointError(
            f'{path}: tensors do not match the architecture in its metadata: '
            f'{" ".join(line.strip() for line in first[:3])}') from exc


def _read_tensors(path):
    try:
        tensors = {}
        with safe_open(path, framework='pt') as handle:
            for name in handle.keys():
                tensor = handle.get_tensor(name)
                tensors[name] = tensor.float() if tensor.is_floating_point() else tensor
        return tensors
    except Exception as exc:  # corrupt payload after a valid header
        raise CheckpointError(f'{path}: tensors cannot be read: {exc}') from exc
