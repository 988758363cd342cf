# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand metrics shared by the offline evaluation and the bag evaluation (no ROS).

Joints are ``(N, 14, 3)`` mm in the camera frame, hand_joints order. The report dict carries
the DESIGN.md section 4 keys: task, frames_in, frames_out, mean_joint_error_mm,
latency_ms {p50, p95, p99, max}, fps.
"""

import numpy as np

from fm_pose_ros.hand_joints import JOINT_NAMES

CURVE_THRESHOLDS_MM = tuple(range(0, 81))  # mm, the 0-80 mm axis of the usual hand plot


def joint_errors_mm(pred, gt):
    """Euclidean error per frame and joint, ``(N, 14)`` mm."""
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[-1] != 3:
        raise ValueError(f'pred {pred.shape} and gt {gt.shape} must both be (N, J, 3)')
    return np.linalg.norm(pred - gt, axis=-1)


def within_curve(errors):
    """Fraction of frames whose WORST joint is within D mm, for D in CURVE_THRESHOLDS_MM."""
    worst = errors.max(axis=1) if errors.size else np.zeros(0)
    fraction = [float((worst <= d).mean()) if worst.size else 0.0 for d in CURVE_THRESHOLDS_MM]
    return {'thresholds_mm': list(CURVE_THRESHOLDS_MM), 'fraction': fraction}


def hand_metrics(pred, gt):
    """Mean error, per-joint errors and the within-D curve of ``pred`` against ``gt``."""
    errors = joint_errors_mm(pred, gt)  # (N, 14) mm
    if errors.shape[1] != len(JOINT_NAMES):
        raise ValueError(f'expected {len(JOINT_NAMES)} joints, got {errors.shape[1]}')
    per_joint = errors.mean(axis=0) if len(errors) else np.full(len(JOINT_NAMES), np.nan)
    return {
        'mean_joint_error_mm': float(errors.mean()) if errors.size else float('nan'),
        'per_joint_error_mm': dict(zip(JOINT_NAMES, map(float, per_joint))),
        'within_curve': within_curve(errors),
        'frames': int(len(errors)),
    }


def latency_stats(latency_ms):
    """``{p50, p95, p99, max}`` of latencies in ms (NaN when there are none)."""
    values = np.asarray(latency_ms, np.float64)
    if values.size == 0:
        return {key: float('nan') for key in ('p50', 'p95', 'p99', 'max')}
    stats = {f'p{q}': float(np.percentile(values, q)) for q in (50, 95, 99)}
    stats['max'] = float(values.max())
    return stats


def hand_report(pred, gt, latency_ms=None, frames_in=None, frames_out=None, duration_s=None,
                extra=None):
    """Build the report dict: DESIGN.md section 4 keys + hand metrics.

    ``pred`` and ``gt`` are ``(N, 14, 3)`` mm; ``latency_ms`` end-to-end latencies (ms, may
    be None); ``frames_in`` / ``frames_out`` default to N; ``fps`` = frames_out / duration_s
    (NaN without a duration); ``extra`` is merged in last.
    """
    metrics = hand_metrics(pred, gt)
    count = metrics['frames']
    frames_out = count if frames_out is None else frames_out
    report = {
        'task': 'hand',
        'frames_in': count if frames_in is None else frames_in,
        'frames_out': frames_out,
        **metrics,
        'latency_ms': latency_stats(() if latency_ms is None else latency_ms),
        'fps': float(frames_out / duration_s) if duration_s else float('nan'),
    }
    report.update(extra or {})
    return report
