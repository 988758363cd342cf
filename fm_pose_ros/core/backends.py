# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Inference backends for both tasks: torch (eager, cpu/cuda) and ONNX Runtime, same call.

A backend maps a batch of crops ``(B, C, S, S)`` float32 (C = 1 depth for hands, 3 RGB for
objects) to outputs ``(B, num_outputs)`` float32, both numpy. The ONNX graph is exported from
the same torch model (``h(g(f(x)))``).
Locators use the same backends: letterboxed images ``(B, C, H, W)`` -> logits
``(B, 1, H / 4, W / 4)``.
"""

import hashlib
import logging
import os
import tempfile

import numpy as np
import torch

from fm_pose_ros.core.fileio import atomic_write
from fm_pose_ros.core.networks import LocatorConfig
from fm_pose_ros.core.text import printable

LOGGER = logging.getLogger(__name__)
BACKENDS = ('auto', 'torch', 'onnxruntime')
DEVICES = ('auto', 'cpu', 'cuda')
_WARNED = set()  # texts of the export warnings given in this process


def resolve_backend(backend, device):
    """Map ``auto|torch|onnxruntime`` to a backend: auto = torch on cuda, ONNX Runtime on cpu.

    ``device`` is a resolved device (cpu or cuda).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == 'auto':
        return 'torch' if device == 'cuda' else 'onnxruntime'
    return backend


def resolve_device(device):
    """Map ``auto|cpu|cuda`` to a torch device string; ``cuda`` without a GPU is an error."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == 'auto':
        return 'cuda' if torch.cuda.is_available() else 'cpu'
    if device == 'cuda' and not torch.cuda.is_available():
        raise ValueError('device=cuda requested but torch sees no CUDA GPU (use auto or cpu)')
    return device


class TorchBackend:
    """Eager torch inference under ``torch.inference_mode``."""

    name = 'torch'

    def __init__(self, model, device):
        self.device = torch.device(device)
        self.model = model.eval().to(self.device)

    def __call__(self, crops):
        """``(B, C, S, S)`` -> ``(B, num_outputs)``."""
        with torch.inference_mode():
            batch = torch.from_numpy(np.ascontiguousarray(crops, np.float32)).to(self.device)
            return self.model(batch).float().cpu().numpy()


def input_shape(cfg):
    """``(C, H, W)`` of one input of a network with config ``cfg`` (NetConfig, LocatorConfig)."""
    if isinstance(cfg, LocatorConfig):
        return cfg.in_channels, cfg.height, cfg.width
    return cfg.in_channels, cfg.in_size, cfg.in_size


def export_onnx(model, path, shape):
    """Export ``model`` (its ``forward``, input ``(B, *shape)``) to ONNX opset 17.

    The batch axis is dynamic.
    """
    model = model.eval().cpu()
    dummy = torch.zeros(1, *shape)

    def write(tmp):
        torch.onnx.export(model, (dummy,), tmp, dynamo=False, opset_version=17,
                          input_names=['crop'], output_names=['output'],
                          dynamic_axes={'crop': {0: 'batch'}, 'output': {0: 'batch'}})
    atomic_write(path, write)
    return path


def onnx_providers(device):
    """ONNX Runtime providers for ``device``; ValueError when cuda has no CUDA provider."""
    import onnxruntime as ort
    if device != 'cuda':
        return ['CPUExecutionProvider']
    if 'CUDAExecutionProvider' not in ort.get_available_providers():
        raise ValueError('this onnxruntime has no CUDAExecutionProvider: install '
                         'onnxruntime-gpu, or use backend torch (or auto) on cuda')
    return ['CUDAExecutionProvider', 'CPUExecutionProvider']


class OnnxBackend:
    """ONNX Runtime inference (CUDA provider when device is cuda and available)."""

    name = 'onnxruntime'

    def __init__(self, onnx_path, device, threads=None):
        import onnxruntime as ort
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        # no busy-waiting between runs: a node runs two or more sessions one after the other
        # (locator, network; per object), and a spinning pool takes the cores from the next
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        self.session = ort.InferenceSession(os.fspath(onnx_path), options,
                                            providers=onnx_providers(device))
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, crops):
        """``(B, C, S, S)`` -> ``(B, num_outputs)``."""
        batch = np.ascontiguousarray(crops, np.float32)
        return self.session.run(None, {self.input_name: batch})[0]


def make_backend(model, weights, backend, device, threads=None):
    """Return a callable backend running ``model`` on numpy batches; ``.name`` says which.

    ``model``: a FeatureMappingNet or a Locator (networks.py) loaded from ``weights``.
    ``backend`` is resolved (torch | onnxruntime); the ONNX graph is exported once per
    weights file content and part into the cache (``onnx_path_for``). When the cache cannot
    be written, the graph is exported to a temporary folder; when that fails too (a full
    disk), the torch backend runs the model. Either way one warning says so.
    """
    if backend == 'torch':
        return TorchBackend(model, device)
    onnx_providers(device)  # a missing CUDA provider is the user's error, not the cache's
    part = 'locator' if isinstance(model.cfg, LocatorConfig) else ''
    onnx_path = onnx_path_for(weights, part=part)
    try:
        return _cached_onnx(model, onnx_path, device, threads)
    except OSError as exc:  # the cache folder cannot be written (a file, read-only, full)
        cache_problem = exc
    try:
        session = _temporary_onnx(model, os.path.basename(onnx_path), device, threads)
    except OSError as exc:  # no room for the export anywhere
        _warn_once(f'cannot write the ONNX export of {printable(weights)} '
                   f'({printable(exc.strerror or exc)}): running the torch backend')
        return TorchBackend(model, device)
    _warn_once(f'ONNX cache {printable(os.path.dirname(onnx_path))} is not writable '
               f'({printable(cache_problem.strerror or cache_problem)}): exporting to a '
               'temporary folder on every start')
    return session


def _warn_once(text):
    """Log ``text`` as a warning the first time only (a file's network and its locator)."""
    if text not in _WARNED:
        _WARNED.add(text)
        LOGGER.warning(text)


def _temporary_onnx(model, name, device, threads):
    """Session of an export written to a temporary folder that is removed again."""
    with tempfile.TemporaryDirectory(prefix='fm_pose_ros_onnx_') as folder:
        # the session holds the graph in memory: the file may go with its folder
        return _exported(model, os.path.join(folder, name), device, threads)


def _cached_onnx(model, onnx_path, device, threads):
    """Session of the cached export; a cached file that does not load is exported again."""
    if os.path.exists(onnx_path):
        try:
            return OnnxBackend(onnx_path, device, threads)
        except Exception as exc:  # onnxruntime raises its own types for damaged files
            reason = ' '.join(str(exc).split())[:200]
            LOGGER.warning('cached ONNX export %s is damaged (%s): exporting it again',
                           printable(onnx_path), printable(reason))
            os.remove(onnx_path)
    return _exported(model, onnx_path, device, threads)


def _exported(model, onnx_path, device, threads):
    export_onnx(model, onnx_path, input_shape(model.cfg))
    model.to(device)
    return OnnxBackend(onnx_path, device, threads)


def onnx_path_for(weights_path, cache_dir=None, part=''):
    """Cache path of the ONNX export of a weights file, keyed by the file's content hash.

    ``part`` names a second network of the file (``locator``).
    """
    digest = hashlib.sha256()
    with open(weights_path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    cache_dir = cache_dir or os.path.join(
        os.environ.get('XDG_CACHE_HOME', os.path.expanduser('~/.cache')), 'fm_pose_ros')
    stem = os.path.splitext(os.path.basename(os.fspath(weights_path)))[0]
    stem += f'-{part}' if part else ''
    return os.path.join(cache_dir, f'{stem}-{digest.hexdigest()[:12]}.onnx')
