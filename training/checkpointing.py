# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Resumable training checkpoints without pickle: safetensors (model + Adam) + JSON metadata.

Keys: ``model.<name>`` for the state dict, ``optim.<param index>.<key>`` for Adam's per-
parameter state; the metadata ``fm_pose_ros_train`` holds the step, the config and Adam's
param groups. Written atomically, so a kill leaves the previous checkpoint intact.
"""

import json
import os

from safetensors import safe_open
from safetensors.torch import save_file
import torch

from fm_pose_ros.core.fileio import atomic_write

KEY = 'fm_pose_ros_train'


class TrainingStateError(RuntimeError):
    """A training checkpoint that cannot be read or does not fit this run (one line)."""


def save_training_state(path, model, optimizer, step, config_dict):
    """Write model, optimizer state and ``step`` (the next step to run) atomically."""
    tensors = {f'model.{k}': v.detach().cpu().contiguous()
               for k, v in model.state_dict().items()}
    state = optimizer.state_dict()
    for index, values in state['state'].items():
        for key, value in values.items():
            tensors[f'optim.{index}.{key}'] = torch.as_tensor(value).detach().cpu().contiguous()
    meta = {'step': int(step), 'config': config_dict, 'param_groups': state['param_groups']}
    header = {KEY: json.dumps(meta)}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=header))


def load_training_state(path, model, optimizer):
    """Restore model and optimizer from ``path``; return ``(step, config_dict)``.

    A damaged file, or one of another architecture, raises TrainingStateError naming it.
    """
    meta, tensors = _read(os.fspath(path))
    try:
        model.load_state_dict({k[len('model.'):]: v for k, v in tensors.items()
                               if k.startswith('model.')})
        _load_optimizer(optimizer, meta, tensors)
    except (RuntimeError, KeyError, ValueError) as exc:
        first = ' '.join(str(exc).split())[:300]
        raise TrainingStateError(f'{path}: does not match the architecture of this run '
                                 f'(resume with the config it was written with): {first}') from exc
    return meta['step'], meta['config']


def _read(path):
    try:
        with safe_open(path, framework='pt') as handle:
            meta = json.loads(handle.metadata()[KEY])
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}
        int(meta['step'])
        return meta, tensors
    except Exception as exc:  # safetensors, json and a missing key all say "damaged"
        raise TrainingStateError(f'{path}: not a readable training checkpoint '
                                 f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
                                 'delete it to start over') from exc


def _load_optimizer(optimizer, meta, tensors):
    optim_state = {}
    for name, value in tensors.items():
        if name.startswith('optim.'):
            _, index, key = name.split('.', 2)
            optim_state.setdefault(int(index), {})[key] = value
    optimizer.load_state_dict({'state': optim_state, 'param_groups': meta['param_groups']})
