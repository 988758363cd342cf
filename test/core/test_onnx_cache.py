# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""ONNX export cache faults: a truncated cached file, a cache folder that cannot be written,
no room for the export anywhere (a full disk)."""

import logging
import os
import resource
import subprocess
import sys

from conftest import blob_frame, write_hand_weights_with_locator
import numpy as np
import pytest

from fm_pose_ros.core.backends import onnx_path_for, OnnxBackend
from fm_pose_ros.core.hand_estimator import HandEstimator


def joints(weights, backend):
    depth, K, _ = blob_frame()
    return HandEstimator(weights, 'cpu', backend, threads=1).estimate(depth, K).joints_mm


def test_truncated_cache_file_is_exported_again(tmp_path, monkeypatch, weights_path, caplog):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    expected = joints(weights_path, 'onnxruntime')
    cached = onnx_path_for(weights_path)
    whole = os.path.getsize(cached)
    with open(cached, 'r+b') as handle:
        handle.truncate(whole // 3)
    with caplog.at_level(logging.WARNING):
        np.testing.assert_allclose(joints(weights_path, 'onnxruntime'), expected, atol=1e-4)
    assert os.path.getsize(cached) == whole
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and cached in lines[0] and '\n' not in lines[0]


@pytest.mark.parametrize('below', ['', 'sub'])
def test_unwritable_cache_folder_still_runs_with_one_warning(tmp_path, monkeypatch,
                                                             weights_path, caplog, below):
    # a regular file where the cache folder should be: not writable, even for root
    blocker = tmp_path / 'not_a_folder'
    blocker.write_text('x')
    monkeypatch.setenv('XDG_CACHE_HOME', str(blocker / below) if below else str(blocker))
    with caplog.at_level(logging.WARNING):
        got = joints(weights_path, 'onnxruntime')
    np.testing.assert_allclose(got, joints(weights_path, 'torch'), atol=1e-2)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and 'not_a_folder' in lines[0] and '\n' not in lines[0]
    assert blocker.read_text() == 'x' and os.listdir(tmp_path) == ['not_a_folder']


def test_a_network_and_its_locator_give_one_warning(tmp_path_factory, monkeypatch, caplog):
    weights = write_hand_weights_with_locator(
        tmp_path_factory.mktemp('weights') / 'hand.safetensors', 2.5)
    blocker = tmp_path_factory.mktemp('cache') / 'not_a_folder'
    blocker.write_text('x')
    monkeypatch.setenv('XDG_CACHE_HOME', str(blocker))
    with caplog.at_level(logging.WARNING):
        estimator = HandEstimator(weights, 'cpu', 'onnxruntime', threads=1)
    assert estimator.backend_name == 'onnxruntime'
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and 'not_a_folder' in lines[0], lines


FULL_DISK = '''
import sys
import numpy as np
from fm_pose_ros.core.hand_estimator import HandEstimator
estimator = HandEstimator(sys.argv[1], 'cpu', 'onnxruntime', threads=1)
depth = np.full((480, 640), 600.0, np.float32)
K = np.array([[475.0, 0.0, 320.0], [0.0, 475.0, 240.0], [0.0, 0.0, 1.0]])
estimate = estimator.estimate(depth, K, com=(0.0, 0.0, 600.0))
print(estimator.backend_name, estimate.joints_mm.shape)
'''


@pytest.mark.integration  # a subprocess
def test_full_disk_falls_back_to_torch_with_one_warning(tmp_path):
    # ulimit -f 200: no file may grow past 200 KiB, so neither the cache nor a temporary
    # folder can take the network's export (about 15 MiB)
    weights = write_hand_weights_with_locator(tmp_path / 'hand.safetensors', 2.5)
    cache = tmp_path / 'cache'

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200 * 1024, 200 * 1024))
    result = subprocess.run(
        [sys.executable, '-c', FULL_DISK, weights], capture_output=True, text=True, timeout=300,
        preexec_fn=limit_file_size,
        env={**os.environ, 'XDG_CACHE_HOME': str(cache), 'PYTHONWARNINGS': 'ignore',
             'PYTHONPATH': os.pathsep.join([os.path.dirname(os.path.dirname(
                 os.path.abspath(__file__))), os.environ.get('PYTHONPATH', '')])})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ['torch', '(14,', '3)']
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and 'running the torch backend' in lines[0], lines
    assert 'hand.safetensors' in lines[0] and 'File too large' in lines[0]
    # no half-written export left behind: the small locator graph fitted, the network's not
    left = sorted(os.listdir(cache / 'fm_pose_ros'))
    assert [name.split('-')[1] for name in left] == ['locator'], left
    OnnxBackend(cache / 'fm_pose_ros' / left[0], 'cpu')
