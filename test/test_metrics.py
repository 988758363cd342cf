# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Metrics and the report folder."""

import json

import numpy as np
import pytest

from fm_pose_ros.metrics import hand_report, joint_errors_mm, latency_stats
from fm_pose_ros.report import write_report


def test_errors_curve_and_report_keys():
    gt = np.zeros((4, 14, 3))
    pred = gt.copy()
    pred[:, :, 0] = 10.0
    pred[3, 5, 0] = 50.0                                # one frame has a 50 mm joint
    errors = joint_errors_mm(pred, gt)
    assert errors.shape == (4, 14)
    report = hand_report(pred, gt, latency_ms=[1.0, 2.0, 3.0, 10.0], duration_s=2.0)
    assert report['mean_joint_error_mm'] == pytest.approx((10 * 55 + 50) / 56)
    curve = dict(zip(report['within_curve']['thresholds_mm'],
                     report['within_curve']['fraction']))
    assert curve[5] == 0.0 and curve[10] == 0.75 and curve[50] == 1.0
    assert report['per_joint_error_mm']['middle_pip'] == pytest.approx(20.0)
    for key in ('task', 'frames_in', 'frames_out', 'latency_ms', 'fps'):
        assert key in report
    assert report['fps'] == 2.0 and report['latency_ms']['max'] == 10.0


def test_shape_mismatch_and_empty_latency():
    with pytest.raises(ValueError, match='must both be'):
        joint_errors_mm(np.zeros((2, 14, 3)), np.zeros((3, 14, 3)))
    assert np.isnan(latency_stats([])['p50'])


def test_report_folder(tmp_path):
    gt = np.random.default_rng(0).normal(size=(5, 14, 3)) * 100
    report = hand_report(gt + 5.0, gt, latency_ms=[5.0] * 5)
    path = write_report(str(tmp_path), report, 'test', latency_ms=[5.0] * 5)
    assert json.loads(open(path).read())['frames_out'] == 5
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ['error_curve.png', 'latency.png', 'per_joint_error.png', 'report.json',
                     'summary.md']
    assert '8.66 mm' in (tmp_path / 'summary.md').read_text()
