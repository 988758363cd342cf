# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Weights files of both tasks: safetensors tensors + JSON metadata in the safetensors header.

One ``.safetensors`` file holds everything a node needs: the tensors (float16 on disk by
default, float32 in memory) and, under the header key ``fm_pose_ros``, a JSON document with
the task (``hand`` or ``object``), the architecture arguments of the network and its locator,
the crop settings, the joint names (hand) or the object's corners, diameter and model points
(object), training config, metrics and format version. Loading never unpickles; the network
is rebuilt from the metadata alone, and every problem with a file is one ``WeightsError``
line. Files are written atomically (``fileio.atomic_write``).
"""

from dataclasses import asdict
from itertools import accumulate
import json
import os
import re

import numpy as np
from safetensors import safe_open
from safetensors.torch import save_file
import torch

from fm_pose_ros import __version__
from fm_pose_ros.core.fileio import atomic_write
from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.hand_joints import JOINT_NAMES
from fm_pose_ros.core.networks import FeatureMappingNet, Locator, LocatorConfig, NetConfig
from fm_pose_ros.core.object_codec import ObjectCropSettings

FORMAT = 'fm_pose_ros.weights'
FORMAT_VERSION = 1
METADATA_KEY = 'fm_pose_ros'
# top-level metadata keys -> type; the optional ones are checked when present
REQUIRED_KEYS = {'format': str, 'format_version': int, 'task': str, 'net': dict, 'crop': dict,
                 'trained': bool}
OPTIONAL_KEYS = {'joint_names': list, 'locator': dict, 'object': dict, 'training': dict,
                 'metrics': dict, 'architecture': str, 'package_version': str}
# sane bounds of the architecture numbers: a file asking for more is refused before allocating
NET_BOUNDS = {'in_size': (8, 1024), 'in_channels': (1, 4), 'stem_channels': (1, 1024),
              'feature_dim': (1, 8192), 'num_outputs': (1, 4096), 'point_dims': (2, 3)}
LOCATOR_BOUNDS = {'width': (8, 4096), 'height': (8, 4096), 'in_channels': (1, 4)}
CHANNEL_BOUNDS = (1, 2048)
MAX_LAYERS = 8
# the metadata JSON is bounded before it is parsed (the shipped files: 2.7k and 19k characters,
# nested 4 deep; docs/interfaces.md), so a hostile file cannot exhaust the parser's recursion
MAX_METADATA_CHARS = 2**24
MAX_METADATA_DEPTH = 32
MAX_OBJECT_M = 10.0  # object box corners lie within this distance (m) of the model origin
JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
JSON_BRACKET = re.compile(r'[\[\]{}]')
BRACKET_STEP = {'[': 1, '{': 1, ']': -1, '}': -1}


class WeightsError(RuntimeError):
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
    """Return the metadata dict of a weights file, or raise WeightsError."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise WeightsError(f'weights file not found: {path}')
    try:
        with safe_open(path, framework='pt') as handle:
            header = handle.metadata() or {}
    except Exception as exc:  # safetensors raises several types for corrupt files
        raise WeightsError(f'{path} is not a readable safetensors file: {exc}') from exc
    if METADATA_KEY not in header:
        raise WeightsError(f'{path} has no {METADATA_KEY} metadata (not our weights file)')
    metadata = _parse_metadata(path, header[METADATA_KEY])
    _check_schema(path, metadata)
    _check_metadata(path, metadata)
    return metadata


def json_depth(text):
    """Deepest nesting of objects and lists in JSON ``text`` (brackets in strings ignored)."""
    brackets = JSON_BRACKET.findall(JSON_STRING.sub('""', text))
    return max(accumulate(BRACKET_STEP[b] for b in brackets), default=0)


def _parse_metadata(path, text):
    """Parse the metadata JSON of ``path`` within size and depth bounds, or raise."""
    if len(text) > MAX_METADATA_CHARS:
        raise WeightsError(f'{path}: metadata is {len(text)} characters long (at most '
                           f'{MAX_METADATA_CHARS})')
    depth = json_depth(text)
    if depth > MAX_METADATA_DEPTH:
        raise WeightsError(f'{path}: metadata nests {depth} levels deep (at most '
                           f'{MAX_METADATA_DEPTH})')
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # also integers of more than 4300 digits
        detail = ' '.join(str(exc).split())
        raise WeightsError(f'{path}: metadata is not valid JSON: {detail}') from exc


def _type_name(kind):
    return {dict: 'object', list: 'list', str: 'string', int: 'integer', bool: 'boolean'}[kind]


def _is(value, kind):
    # JSON true/false are not integers here, and integers are fine where a float is expected
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


def _check_schema(path, metadata):
    """Raise WeightsError unless ``metadata`` is a dict with the expected keys and types."""
    if not isinstance(metadata, dict):
        raise WeightsError(f'{path}: metadata is not a JSON object but a '
                           f'{type(metadata).__name__}')
    for key, kind in {**REQUIRED_KEYS, **OPTIONAL_KEYS}.items():
        if key not in metadata:
            if key in REQUIRED_KEYS:
                raise WeightsError(f'{path}: metadata has no {key!r}')
        elif not _is(metadata[key], kind):
            raise WeightsError(f'{path}: metadata {key!r} is not a {_type_name(kind)}: '
                               f'{metadata[key]!r:.60}')
    _check_numbers(path, 'net', metadata['net'], NET_BOUNDS, 'stage_channels')
    if 'locator' in metadata:
        _check_numbers(path, 'locator', metadata['locator'], LOCATOR_BOUNDS, 'channels')
    dropout = metadata['net'].get('dropout', 0.0)
    if not _is(dropout, float) or not 0.0 <= dropout < 1.0:
        raise WeightsError(f'{path}: net.dropout must be a number in [0, 1), got '
                           f'{dropout!r:.60}')


def _check_numbers(path, part, values, bounds, channels_key):
    """Bounds of the integer architecture arguments of ``part`` (net or locator)."""
    for key, (low, high) in bounds.items():
        value = values.get(key, low)
        if not _is(value, int) or not low <= value <= high:
            raise WeightsError(f'{path}: {part}.{key} must be an integer in [{low}, {high}], '
                               f'got {value!r:.60}')
    channels = values.get(channels_key, [CHANNEL_BOUNDS[0]])
    low, high = CHANNEL_BOUNDS
    if (not isinstance(channels, list) or not 1 <= len(channels) <= MAX_LAYERS
            or not all(_is(c, int) and low <= c <= high for c in channels)):
        raise WeightsError(f'{path}: {part}.{channels_key} must be a list of 1 to '
                           f'{MAX_LAYERS} integers in [{low}, {high}], got {channels!r:.80}')


def _check_metadata(path, metadata):
    if metadata.get('format') != FORMAT:
        raise WeightsError(f"{path}: format is {metadata.get('format')!r}, not {FORMAT!r}")
    if metadata.get('format_version') != FORMAT_VERSION:
        raise WeightsError(
            f"{path}: format version {metadata.get('format_version')} is not supported "
            f'(this package reads version {FORMAT_VERSION})')
    if metadata.get('task') == 'hand' and metadata.get('joint_names') != list(JOINT_NAMES):
        raise WeightsError(f'{path}: joint names differ from this package\'s joint order')


def _read_task_metadata(path, task):
    metadata = read_metadata(path)
    if metadata.get('task') != task:
        raise WeightsError(f"{path}: task is {metadata.get('task')!r}, expected {task!r}")
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
        crop = HandCropSettings(**{**metadata['crop'],
                                   'cube_mm': tuple(metadata['crop']['cube_mm'])})
        crop.validate()
        locator_cfg = (LocatorConfig.from_dict(metadata['locator'])
                       if 'locator' in metadata else None)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise WeightsError(f'{path}: metadata does not describe a valid model: {exc}') from exc
    model, locator = _build(path, net_cfg, locator_cfg)
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
        net_cfg = NetConfig.from_dict(metadata['net'])
        locator_cfg = LocatorConfig.from_dict(metadata['locator'])
        crop = ObjectCropSettings(**metadata['crop']).validate()
        check_object_corners(metadata['object']['corners_m'])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise WeightsError(f'{path}: metadata does not describe a valid model: {exc}') from exc
    net, locator = _build(path, net_cfg, locator_cfg)
    _load_state(path, weight_modules(net, locator))
    return net.eval().to(device), locator.eval().to(device), metadata, crop


def check_object_corners(corners):
    """Raise ValueError unless ``corners`` is 8 x 3 finite numbers within MAX_OBJECT_M (m)."""
    shape = 'object corners_m must be 8 x 3 numbers'
    if (not isinstance(corners, list) or len(corners) != 8
            or any(not isinstance(c, list) or len(c) != 3 for c in corners)):
        raise ValueError(shape)
    try:
        values = np.array(corners, np.float64)
    except (TypeError, ValueError, OverflowError) as exc:  # strings, lists, huge integers
        raise ValueError(f'{shape}: {exc}') from exc
    if not np.all(np.isfinite(values)) or np.abs(values).max() > MAX_OBJECT_M:
        raise ValueError(f'object corners_m must be finite and within {MAX_OBJECT_M:g} m of '
                         f'the model origin, got {values.tolist()!r:.80}')


def _make(net_cfg, locator_cfg):
    return (FeatureMappingNet(net_cfg),
            None if locator_cfg is None else Locator(locator_cfg))


def _numel(modules):
    return sum(t.numel() for m in modules if m is not None for t in m.state_dict().values())


def _build(path, net_cfg, locator_cfg):
    """Build the networks, first on the meta device: never more numbers than the file holds."""
    try:
        with torch.device('meta'):
            need = _numel(_make(net_cfg, locator_cfg))
        with safe_open(path, framework='pt') as handle:
            have = sum(_prod(handle.get_slice(name).get_shape()) for name in handle.keys())
    except (RuntimeError, TypeError, ValueError) as exc:
        raise WeightsError(f'{path}: metadata does not describe a valid model: {exc}') from exc
    except Exception as exc:  # safetensors raises several types for corrupt files
        raise WeightsError(f'{path}: tensors cannot be read: {exc}') from exc
    if need > have:
        raise WeightsError(f'{path}: tensors do not match the architecture in its metadata: '
                           f'it describes {need} parameters but the file holds {have}')
    try:
        return _make(net_cfg, locator_cfg)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise WeightsError(f'{path}: metadata does not describe a valid model: {exc}') from exc


def _prod(shape):
    total = 1
    for size in shape:
        total *= int(size)
    return total


def _load_state(path, model):
    """Load the file's tensors into ``model`` (strict), or raise WeightsError."""
    state = _read_tensors(path)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise WeightsError(
            f'{path}: tensors do not match the architecture in its metadata: '
            f'{" ".join(line.strip() for line in first[:3])}') from exc


def _read_tensors(path):
    try:
        tensors = {}
        with safe_open(path, framework='pt') as handle:
            for name in handle.keys():
                tensor = handle.get_tensor(name)
                tensors[name] = tensor.float() if tensor.is_floating_point() else tensor
    except Exception as exc:  # corrupt payload after a valid header
        raise WeightsError(f'{path}: tensors cannot be read: {exc}') from exc
    _check_finite(path, tensors)
    return tensors


def _check_finite(path, tensors):
    """Raise WeightsError naming the first tensor that holds NaN or inf."""
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise WeightsError(f'{path}: tensor {name} holds {bad} non-finite values '
                               '(NaN or inf): the weights are corrupt')
