# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Run a FeatureMappingNet over prepared crops and score hand predictions (no task logic).

Shapes: crops ``(N, C, S, S)`` float32 in [-1, 1]; network outputs ``(N, num_outputs)``
normalised (hand_codec / object_codec); decoded joints ``(N, 14, 3)`` mm in the camera frame.
"""

import time

import numpy as np
import torch

from fm_pose_ros.evaluation.metrics import hand_report


def predict_normalised(model, crops, device, batch_size=256, synthetic=False):
    """Run ``h(g(f(.)))`` (``synthetic``: ``h(f(.))``) on crops ``(N, 1, S, S)``; ``(N, 42)``."""
    was_training = model.training
    model.eval()
    run = model.forward_synthetic if synthetic else model
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(crops), batch_size):
            chunk = torch.from_numpy(np.ascontiguousarray(crops[start:start + batch_size]))
            outputs.append(run(chunk.to(device)).float().cpu().numpy())
    model.train(was_training)
    return np.concatenate(outputs)


def decode_all(outputs, transforms):
    """Normalised outputs ``(N, 42)`` + crop transforms -> joints ``(N, 14, 3)`` mm."""
    return np.stack([t.denormalise_joints(o) for o, t in zip(outputs, transforms)])


def predictor(model, device):
    """``crops -> outputs`` callable running ``h(g(f(.)))`` (what data.evaluate takes)."""
    return lambda crops: predict_normalised(model, crops, device)


def evaluate_hand_outputs(predict, test_set, refine=None):
    """Metrics dict (metrics.hand_report) of ``predict`` on a test set from training.hand.data.

    ``refine(joints (14, 3) mm, crop (S, S), transform) -> joints`` (the node's depth
    fitting, for example) runs on every decoded frame when given; its mean time per frame is
    ``refine_ms_per_frame``.
    """
    start = time.perf_counter()
    outputs = predict(test_set['crops'])
    per_frame_ms = (time.perf_counter() - start) * 1e3 / max(len(outputs), 1)
    pred = decode_all(outputs, test_set['transforms'])
    extra = {'network_ms_per_frame_batched': per_frame_ms}
    if refine is not None:
        start = time.perf_counter()
        pred = np.stack([refine(joints, crop[0], transform) for joints, crop, transform
                         in zip(pred, test_set['crops'], test_set['transforms'])])
        extra['refine_ms_per_frame'] = (time.perf_counter() - start) * 1e3 / max(len(pred), 1)
    report = hand_report(pred, test_set['joints_mm'], extra=extra)
    report.update(tip_ratios(report['per_joint_error_mm']))
    return report


def tip_ratios(per_joint):
    """Thumb and pinky tip errors over the index tip's (a mirrored hand shows as > 2).

    ``per_joint``: ``{joint name: mean error mm}`` (metrics.hand_metrics).
    """
    index = per_joint['index_tip']
    return {f'{finger}_tip_over_index_tip': float(per_joint[f'{finger}_tip'] / index)
            for finger in ('thumb', 'pinky')}
