# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""ONNX export cache faults: a truncated cached file, a cache folder that cannot be written."""

import logging
import os

from conftest import blob_frame
import numpy as np
import pytest

from fm_pose_ros.core.backends import onnx_path_for
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
