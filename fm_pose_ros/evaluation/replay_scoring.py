# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Score a replay: match a node's outputs to the ground truth by stamp; the report dicts.

Input: a ``replay_node`` result (``sent`` {stamp ns: publication time s}, ``outputs`` {stamp
ns: (value, reception time s)}, ``camera_k``, ``duration_s``, ``problem``, ``topics``) and the
ground truth {stamp ns: value}. Hand values are (14, 3) joints in mm, camera frame; object
values are (R (3, 3), t (3,) m). Output: the report dict that ``report.write_report`` writes
(``report.json``), with one ``per_frame`` record per answered frame, and the end-to-end
latencies (ms).
"""

import os
import warnings

import numpy as np

from fm_pose_ros.core.hand_joints import NUM_JOINTS
from fm_pose_ros.core.resources import default_object_weights
from fm_pose_ros.core.weights import read_metadata, WeightsError
from fm_pose_ros.evaluation.metrics import (
    add_errors, hand_report, joint_errors_mm, latency_stats, object_metrics, proj2d_errors)


def hand_per_frame(outputs, sent, truth):
    """One record per answered frame: stamp (ns), latency (ms), mean joint error (mm)."""
    records = []
    for stamp in sorted(outputs):
        joints, received = outputs[stamp]
        records.append({
            'stamp_ns': stamp,
            'latency_ms': (received - sent[stamp]) * 1e3 if stamp in sent else None,
            'mean_error_mm': (float(joint_errors_mm(joints[None], truth[stamp][None]).mean())
                              if stamp in truth else None)})
    return records


def object_per_frame(outputs, sent, truth, camera_k, model):
    """One record per answered frame: stamp (ns), latency (ms), ADD(-S) (mm), 2D error (px)."""
    records = []
    for stamp in sorted(outputs):
        (R, t), received = outputs[stamp]
        record = {'stamp_ns': stamp,
                  'latency_ms': (received - sent[stamp]) * 1e3 if stamp in sent else None,
                  'add_mm': None, 'proj2d_px': None}
        if stamp in truth:
            poses = (R[None], t[None], truth[stamp][0][None], truth[stamp][1][None],
                     model['points_m'])
            record['add_mm'] = float(add_errors(*poses, model['symmetric'])[0] * 1e3)
            if stamp in camera_k:
                record['proj2d_px'] = float(proj2d_errors(*poses, camera_k[stamp][None],
                                                          model['symmetries'])[0])
        records.append(record)
    return records


def ground_truth_note(bad, total):
    """Sentence on the ``bad`` ground-truth messages ``[(stamp_ns, reason)]`` of ``total``."""
    stamp, reason = bad[0]
    return (f'{len(bad)} of {total} ground-truth messages cannot be scored (first at stamp '
            f'{stamp} ns: {reason})')


def input_rate(times_s):
    """Publication rate in frames/s from publication times (s); NaN for fewer than 2."""
    times = np.sort(np.fromiter(times_s, np.float64))
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return float((len(times) - 1) / span) if span > 0 else float('nan')


def latencies_ms(outputs, sent):
    """End-to-end latency (ms) of every answered frame that we sent, in frame order."""
    return [(outputs[s][1] - sent[s]) * 1e3 for s in sorted(outputs) if s in sent]


def _base_extra(frames_read, extra):
    return {'frames_read': frames_read, 'problems': [], 'notes': [], **(extra or {})}


def _add_run_notes(report, result, outputs, truth):
    """Input rate, the replay's problem and the outputs without ground truth."""
    report['input_fps'] = input_rate(result.sent.values())
    if result.problem:
        report['problems'].append(result.problem)
    unmatched = sum(s not in truth for s in outputs)
    if unmatched:
        report['notes'].append(f'{unmatched} outputs have no ground truth')


def build_hand_report(result, truth, frames_read, extra=None):
    """Hand: match outputs to ground truth by stamp; return (report dict, latencies in ms)."""
    outputs = {s: v for s, v in result.outputs.items() if v[0].shape == (NUM_JOINTS, 3)}
    matched = sorted(s for s in outputs if s in truth)
    pred = np.array([outputs[s][0] for s in matched]).reshape(-1, NUM_JOINTS, 3)  # mm
    gt = np.array([truth[s] for s in matched]).reshape(-1, NUM_JOINTS, 3)  # mm
    latency = latencies_ms(outputs, result.sent)
    report = hand_report(pred, gt, latency, frames_in=len(result.sent),
                         frames_out=len(result.outputs), duration_s=result.duration_s,
                         extra=_base_extra(frames_read, extra))
    report['per_frame'] = hand_per_frame(outputs, result.sent, truth)
    _add_run_notes(report, result, outputs, truth)
    if len(outputs) < len(result.outputs):
        report['problems'].append(f'{len(result.outputs) - len(outputs)} outputs did not have '
                                  f'{NUM_JOINTS} poses')
    return report, latency


def object_model(weights):
    """Read the evaluated object from the metadata of ``weights`` (default: shipped model).

    Returns ``{'weights', 'points_m' (P, 3) m, 'diameter_m', 'symmetric', 'symmetries'
    (S, 4, 4) or None}``; raises
    WeightsError for a missing file, hand weights or incomplete object metadata.
    """
    path = weights or default_object_weights()
    metadata = read_metadata(path)
    if metadata.get('task') != 'object':
        raise WeightsError(f"{path}: task is {metadata.get('task')!r}, expected 'object'")
    try:
        info = metadata['object']
        return {'weights': os.path.abspath(path),
                'points_m': np.asarray(info['points_m'], np.float64).reshape(-1, 3),
                'diameter_m': float(info['diameter_m']), 'symmetric': bool(info['symmetric']),
                'symmetries': (np.asarray(info['symmetries'], np.float64).reshape(-1, 4, 4)
                               if 'symmetries' in info else None)}
    except (KeyError, TypeError, ValueError) as exc:
        raise WeightsError(f'{path}: object metadata has no usable points_m, diameter_m '
                           f'and symmetric: {exc}') from exc


def _object_arrays(stamps, outputs, truth, camera_k):
    """Predicted (NaN when no output) and true poses and K of ``stamps``, as arrays."""
    missing = (np.full((3, 3), np.nan), np.full(3, np.nan))
    pred = [outputs[s][0] if s in outputs else missing for s in stamps]
    pred_R = np.array([R for R, _ in pred]).reshape(-1, 3, 3)
    pred_t = np.array([t for _, t in pred]).reshape(-1, 3)  # m
    gt_R = np.array([truth[s][0] for s in stamps]).reshape(-1, 3, 3)
    gt_t = np.array([truth[s][1] for s in stamps]).reshape(-1, 3)  # m
    K = np.array([camera_k.get(s, missing[0]) for s in stamps]).reshape(-1, 3, 3)
    return pred_R, pred_t, gt_R, gt_t, K


def build_object_report(result, truth, frames_read, model, extra=None):
    """Object: match outputs to ground truth by stamp; return (report dict, latencies in ms).

    Every frame with ground truth that was sent or answered is evaluated; one without an
    output counts as not found (NaN pose).
    """
    outputs = result.outputs
    stamps = sorted(s for s in set(result.sent) | set(outputs) if s in truth)
    arrays = _object_arrays(stamps, outputs, truth, result.camera_k)
    with warnings.catch_warnings():  # medians of no frames are NaN, said in the report
        warnings.simplefilter('ignore', RuntimeWarning)
        metrics = object_metrics(*arrays, model['points_m'], model['diameter_m'],
                                 model['symmetric'], model['symmetries'])
    latency = latencies_ms(outputs, result.sent)
    report = {'task': 'object', 'frames_in': len(result.sent), 'frames_out': len(outputs),
              **metrics, 'latency_ms': latency_stats(latency),
              'fps': float(len(outputs) / result.duration_s) if result.duration_s
              else float('nan'),
              'weights': model['weights'], **_base_extra(frames_read, extra)}
    report['per_frame'] = object_per_frame(outputs, result.sent, truth, result.camera_k, model)
    _add_run_notes(report, result, outputs, truth)
    no_k = sum(s in outputs and s not in result.camera_k for s in stamps)
    if no_k:
        report['problems'].append(f'{no_k} answered frames had no CameraInfo: their 2D '
                                  'projection counts as failed')
    return report, latency


def replay_report(result, truth, frames_read, model, extra=None):
    """Object report when ``model`` (object_model) is given, else the hand report."""
    if model is None:
        return build_hand_report(result, truth, frames_read, extra)
    return build_object_report(result, truth, frames_read, model, extra)
