# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Metrics and the report folder."""

import json

import numpy as np
import pytest

from fm_pose_ros.core.hand_joints import JOINT_NAMES
from fm_pose_ros.evaluation.metrics import (
    CURVE_THRESHOLDS_MM, hand_metrics, hand_report, joint_errors_mm, latency_stats,
    track_jitter_mm, track_lag_s)
from fm_pose_ros.evaluation.report import write_report


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


def test_joint_errors_are_euclidean_per_frame_and_joint():
    gt = np.zeros((2, 14, 3))
    pred = gt.copy()
    pred[0, 3] = (3.0, 4.0, 0.0)
    pred[1, 13] = (0.0, 0.0, -2.0)
    errors = joint_errors_mm(pred, gt)
    assert errors[0, 3] == 5.0 and errors[1, 13] == 2.0 and errors.sum() == 7.0
    with pytest.raises(ValueError, match='expected 14 joints'):
        hand_metrics(np.zeros((2, 5, 3)), np.zeros((2, 5, 3)))


def test_per_joint_errors_and_worst_joint_curve():
    gt = np.random.default_rng(0).integers(-50, 50, (4, 14, 3)).astype(float)  # exact
    pred = gt.copy()
    pred[:, :, 0] += np.array([0.0, 10.0, 30.0, 100.0])[:, None]
    pred[3, 0, 0] += 20.0  # frame 3: joint 0 is 120 mm off, the others 100 mm
    metrics = hand_metrics(pred, gt)
    assert metrics['frames'] == 4
    assert metrics['mean_joint_error_mm'] == pytest.approx(140 / 4 + 20 / 56)
    assert list(metrics['per_joint_error_mm']) == list(JOINT_NAMES)
    assert metrics['per_joint_error_mm']['pinky_tip'] == pytest.approx(160 / 4)
    assert metrics['per_joint_error_mm']['palm_centre'] == pytest.approx(140 / 4)
    curve = metrics['within_curve']
    assert curve['thresholds_mm'] == list(CURVE_THRESHOLDS_MM)
    assert curve['thresholds_mm'][0] == 0 and curve['thresholds_mm'][-1] == 80
    fraction = dict(zip(curve['thresholds_mm'], curve['fraction']))
    assert fraction[0] == 0.25 and fraction[9] == 0.25 and fraction[10] == 0.5
    assert fraction[29] == 0.5 and fraction[30] == 0.75 and fraction[80] == 0.75
    assert all(np.diff(curve['fraction']) >= 0)


def test_latency_percentiles():
    stats = latency_stats(np.arange(1, 101, dtype=float))
    assert set(stats) == {'p50', 'p95', 'p99', 'max'}
    assert stats['p50'] == pytest.approx(50.5) and stats['max'] == 100.0
    assert stats['p95'] == pytest.approx(95.05) and stats['p99'] == pytest.approx(99.01)


def test_report_counts_extra_and_empty_input():
    gt = np.zeros((3, 14, 3))
    report = hand_report(gt + 1.0, gt, frames_in=5, frames_out=4, extra={'bag': 'x'})
    assert report['task'] == 'hand' and report['frames_in'] == 5 and report['frames_out'] == 4
    assert report['frames'] == 3 and report['bag'] == 'x' and np.isnan(report['fps'])
    assert np.isnan(report['latency_ms']['p99'])  # latency_ms=None
    empty = hand_report(np.zeros((0, 14, 3)), np.zeros((0, 14, 3)), frames_in=4)
    assert empty['frames_out'] == 0 and np.isnan(empty['mean_joint_error_mm'])
    assert empty['within_curve']['fraction'] == [0.0] * len(CURVE_THRESHOLDS_MM)


def _object_case():
    from scipy.spatial.transform import Rotation
    rng = np.random.default_rng(5)
    points = rng.uniform(-0.05, 0.05, (200, 3))
    gt_R = Rotation.random(6, random_state=1).as_matrix()
    gt_t = np.tile([0.0, 0.0, 0.6], (6, 1))
    K = np.tile(np.array([[570.0, 0, 320], [0, 570.0, 240], [0, 0, 1]]), (6, 1, 1))
    return points, gt_R, gt_t, K


def test_object_metrics_thresholds():
    from fm_pose_ros.evaluation.metrics import object_metrics
    points, gt_R, gt_t, K = _object_case()
    pred_R, pred_t = gt_R.copy(), gt_t.copy()
    pred_t[1] += [0.002, 0, 0]     # 2 mm: passes ADD (10 % of 0.1 m) and 5cm5deg, ~1.9 px
    pred_t[2] += [0.0, 0.02, 0]    # 2 cm: fails ADD and 2D, passes 5cm5deg
    pred_t[3] += [0.0, 0.0, 0.2]   # 20 cm in depth: fails all three
    pred_R[4] = pred_R[4] @ np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1.0]])  # 90 deg: fails
    pred_R[5], pred_t[5] = np.nan, np.nan                               # not found
    report = object_metrics(pred_R, pred_t, gt_R, gt_t, K, points, 0.1, symmetric=False)
    assert report['add_acc'] == pytest.approx(2 / 6)
    assert report['proj2d_acc'] == pytest.approx(2 / 6)
    assert report['cm5deg5_acc'] == pytest.approx(3 / 6)
    assert report['detected'] == pytest.approx(5 / 6)
    assert report['add_curve']['fraction'][-1] <= 5 / 6


def test_add_s_forgives_a_symmetry():
    from fm_pose_ros.evaluation.metrics import add_errors
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    ring = np.stack([0.05 * np.cos(angles), 0.05 * np.sin(angles), np.zeros(72)], 1)
    turn = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1.0]])  # a symmetry of the ring
    args = (turn[None], np.zeros((1, 3)), np.eye(3)[None], np.zeros((1, 3)), ring)
    assert add_errors(*args, symmetric=True)[0] < 1e-9
    assert add_errors(*args, symmetric=False)[0] > 0.05


def test_adds_accuracy_is_reported_for_every_object():
    from fm_pose_ros.evaluation.metrics import object_metrics
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    ring = np.stack([0.05 * np.cos(angles), 0.05 * np.sin(angles), np.zeros(72)], 1)
    turn = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1.0]])  # a symmetry of the ring
    gt_R, gt_t = np.stack([np.eye(3)] * 2), np.tile([0.0, 0.0, 0.6], (2, 1))
    pred_R = np.stack([turn, np.eye(3)])
    pred_t = gt_t + [[0.0, 0.0, 0.0], [0.05, 0.0, 0.0]]  # right up to a turn; 5 cm off
    K = np.tile(np.array([[570.0, 0, 320], [0, 570.0, 240], [0, 0, 1]]), (2, 1, 1))
    plain = object_metrics(pred_R, pred_t, gt_R, gt_t, K, ring, 0.1, symmetric=False)
    assert (plain['add_metric'], plain['add_acc'], plain['adds_acc']) == ('ADD', 0.0, 0.5)
    flagged = object_metrics(pred_R, pred_t, gt_R, gt_t, K, ring, 0.1, symmetric=True)
    assert (flagged['add_metric'], flagged['add_acc'], flagged['adds_acc']) == ('ADD-S', 0.5, 0.5)


def test_track_jitter_and_lag():
    t = np.arange(60) / 30.0
    truth = np.zeros((60, 2, 3))
    truth[..., 0] = (200.0 * np.sin(2.0 * t))[:, None]                  # mm, a smooth swing
    assert track_jitter_mm(truth + 5.0, truth) == pytest.approx(0.0, abs=1e-9)  # offset only
    shaken = truth.copy()
    shaken[30, 0, 0] += 4.0                                  # one jump: 1, 2, 1 times 4 mm
    assert track_jitter_mm(shaken, truth) == pytest.approx(16.0 / (2 * 58))
    late = np.zeros_like(truth)
    late[..., 0] = (200.0 * np.sin(2.0 * (t - 0.05)))[:, None]         # 50 ms behind
    assert track_lag_s(late, truth, 1 / 30.0) == pytest.approx(0.05, abs=0.002)
    assert track_lag_s(truth, truth, 1 / 30.0) == pytest.approx(0.0, abs=1e-9)
    missing = late.copy()
    missing[10] = np.nan                                     # frames without an estimate
    assert np.isfinite(track_jitter_mm(missing, truth))
    assert track_lag_s(missing, truth, 1 / 30.0) == pytest.approx(0.05, abs=0.002)
