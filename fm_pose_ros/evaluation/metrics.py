# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand metrics shared by the offline evaluation and the bag evaluation (no ROS).

Joints are ``(N, 14, 3)`` mm in the camera frame, hand_joints order. The report dict carries
the common report keys: task, frames_in, frames_out, mean_joint_error_mm,
latency_ms {p50, p95, p99, max}, fps.
"""

import numpy as np

from fm_pose_ros.core.hand_joints import JOINT_NAMES
from fm_pose_ros.core.rotations import transform_points

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


def track_jitter_mm(pred, gt):
    """Mean frame-to-frame acceleration error of joint tracks (mm per frame^2).

    ``pred``, ``gt`` ``(T, J, 3)`` mm, one row per frame at a constant rate; NaN rows (no
    estimate) drop the accelerations that need them. Acceleration ``x[t+1] - 2 x[t] + x[t-1]``;
    the error is the norm of the difference per joint, averaged.
    """
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    error = np.linalg.norm((pred[2:] - 2 * pred[1:-1] + pred[:-2])
                           - (gt[2:] - 2 * gt[1:-1] + gt[:-2]), axis=-1)
    return float(np.nanmean(error)) if np.isfinite(error).any() else float('nan')


def track_lag_s(pred, gt, dt_s, max_lag_s=0.3, step_s=0.001):
    """Delay (s) of joint tracks behind the truth: the shift of ``gt`` that best fits ``pred``.

    ``pred``, ``gt`` ``(T, J, 3)``, one row per ``dt_s`` seconds (NaN rows: no estimate). The
    truth is shifted by -``max_lag_s`` .. ``max_lag_s`` in ``step_s`` steps (linear
    interpolation between frames); the shift with the lowest mean joint error is the lag
    (positive: ``pred`` comes late). Every shift is scored on the same frames, those at
    least ``max_lag_s`` from either end.
    """
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    frames = np.arange(len(gt))
    margin = int(np.ceil(max_lag_s / dt_s))
    valid = (frames >= margin) & (frames < len(gt) - margin)
    best = (np.inf, float('nan'))
    for shift in np.arange(-max_lag_s, max_lag_s + step_s / 2, step_s):
        at = frames - shift / dt_s                        # where the truth was, in frames
        low = np.clip(np.floor(at).astype(int), 0, len(gt) - 2)
        w = (at - low)[:, None, None]
        shifted = gt[low] * (1 - w) + gt[low + 1] * w
        error = np.linalg.norm(pred[valid] - shifted[valid], axis=-1)
        if np.isfinite(error).any() and np.nanmean(error) < best[0]:
            best = (np.nanmean(error), float(shift))
    return best[1]


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
    """Build the report dict: the common report keys + hand metrics.

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


def add_errors(pred_R, pred_t, gt_R, gt_t, points, symmetric):
    """ADD (or ADD-S when ``symmetric``) per frame, metres; poses ``(N, 3, 3)``, ``(N, 3)``.

    ADD: mean distance between corresponding model points ``(P, 3)`` under the two poses;
    ADD-S: mean distance from each true point to the closest predicted point.
    """
    errors = []
    for Rp, tp, Rg, tg in zip(pred_R, pred_t, gt_R, gt_t):
        pred, true = points @ Rp.T + tp, points @ Rg.T + tg
        if symmetric:
            from scipy.spatial import cKDTree
            errors.append(cKDTree(pred).query(true)[0].mean())
        else:
            errors.append(np.linalg.norm(pred - true, axis=1).mean())
    return np.asarray(errors, np.float64)


def proj2d_errors(pred_R, pred_t, gt_R, gt_t, points, K, symmetries=None):
    """Mean 2D distance (px) between the model points projected under both poses, per frame.

    With ``symmetries`` ``(S, 4, 4)`` (model frame, metres) the smallest over them: the
    predicted pose may be the true one up to a symmetry of the object.
    """
    sets = transform_points(np.eye(4)[None] if symmetries is None else symmetries, points)
    errors = []
    for Rp, tp, Rg, tg, k in zip(pred_R, pred_t, gt_R, gt_t, K):
        true = _project(points, Rg, tg, k)
        errors.append(min(np.linalg.norm(_project(turned, Rp, tp, k) - true, axis=1).mean()
                          for turned in sets))
    return np.asarray(errors, np.float64)


def _project(points, R, t, K):
    """Points ``(P, 3)`` under pose (R, t) through K -> pixels ``(P, 2)``."""
    uvw = (points @ R.T + t) @ K.T
    return uvw[:, :2] / uvw[:, 2:3]


def rotation_errors_deg(pred_R, gt_R):
    """Angle of ``pred_R^T gt_R`` per frame, degrees."""
    cos = (np.einsum('nij,nij->n', pred_R, gt_R) - 1.0) / 2.0
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def object_metrics(pred_R, pred_t, gt_R, gt_t, K, points, diameter, symmetric,
                   symmetries=None):
    """2D projection (< 5 px), ADD(-S) (< 10 % of the diameter) and 5cm5deg accuracies.

    ``add_acc`` is ADD-S for a ``symmetric`` object and ADD otherwise (``add_metric`` says
    which); ``adds_acc`` is ADD-S for every object (for a near-symmetric one without the
    flag, the share of frames that are right up to a symmetry). Frames without a prediction
    have ``pred_R`` / ``pred_t`` = NaN and count as failures.
    Lengths in metres, K ``(N, 3, 3)``, model points ``(P, 3)`` metres. ``symmetries``
    ``(S, 4, 4)``: 2D projection up to them (``proj2d_errors``).
    """
    gt_R, gt_t = np.asarray(gt_R, np.float64), np.asarray(gt_t, np.float64)
    pred_R, pred_t = np.asarray(pred_R, np.float64), np.asarray(pred_t, np.float64)
    found = np.isfinite(pred_t).all(axis=1)
    count = len(gt_t)
    add, adds = np.full(count, np.inf), np.full(count, np.inf)
    proj = np.full(count, np.inf)
    rot = np.full(count, np.inf)
    shift = np.full(count, np.inf)
    points = np.asarray(points, np.float64)
    args = (pred_R[found], pred_t[found], gt_R[found], gt_t[found], points)
    add[found] = add_errors(*args, symmetric)
    adds[found] = add[found] if symmetric else add_errors(*args, True)
    proj[found] = proj2d_errors(*args, np.asarray(K)[found], symmetries)
    rot[found] = rotation_errors_deg(pred_R[found], gt_R[found])
    shift[found] = np.linalg.norm(pred_t[found] - gt_t[found], axis=1)
    return {
        'proj2d_acc': float((proj < 5.0).mean()) if count else float('nan'),
        'add_acc': float((add < 0.1 * diameter).mean()) if count else float('nan'),
        'cm5deg5_acc': float(((shift < 0.05) & (rot < 5.0)).mean()) if count else float('nan'),
        'add_metric': 'ADD-S' if symmetric else 'ADD',
        'adds_acc': float((adds < 0.1 * diameter).mean()) if count else float('nan'),
        'detected': float(found.mean()) if count else float('nan'),
        'median_add_mm': float(np.median(add) * 1e3) if count else float('nan'),
        'median_proj2d_px': float(np.median(proj)) if count else float('nan'),
        'median_rotation_deg': float(np.median(rot)) if count else float('nan'),
        'median_translation_mm': float(np.median(shift) * 1e3) if count else float('nan'),
        'frames': int(count),
        'add_curve': _curve(add / diameter, np.linspace(0.0, 0.3, 31)),
        'proj2d_curve': _curve(proj, np.arange(0.0, 21.0)),
    }


def _curve(errors, thresholds):
    """Fraction of frames with error <= each threshold."""
    fraction = [float((errors <= d).mean()) if len(errors) else 0.0 for d in thresholds]
    return {'thresholds': [float(d) for d in thresholds], 'fraction': fraction}
