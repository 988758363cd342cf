# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Scoring a replay: outputs matched to ground truth by stamp, per-frame records, problems."""

from conftest import K_VGA, OBJECT_R, OBJECT_T
import numpy as np
import pytest

from fm_pose_ros.core.weights import WeightsError
from fm_pose_ros.evaluation.replay_node import ReplayResult
from fm_pose_ros.evaluation.replay_scoring import (
    build_hand_report, build_object_report, ground_truth_note, object_model, replay_report)

JOINTS = np.arange(42, dtype=np.float64).reshape(14, 3) + [0.0, 0.0, 500.0]  # mm
CUBE = np.array([[x, y, z] for x in (-0.03, 0.03) for y in (-0.03, 0.03)
                 for z in (-0.03, 0.03)])  # m
MODEL = {'weights': 'object.safetensors', 'points_m': CUBE, 'diameter_m': 0.104,
         'symmetric': False, 'symmetries': None}


def hand_result():
    """Three frames sent 0.1 s apart: exact, 10 mm off in x, a malformed answer; one extra."""
    sent = {1: 0.0, 2: 0.1, 3: 0.2}
    outputs = {1: (JOINTS, 0.004), 2: (JOINTS + [10.0, 0.0, 0.0], 0.108),
               3: (JOINTS[:5], 0.21), 9: (JOINTS, 0.3)}
    return ReplayResult(outputs=outputs, sent=sent, duration_s=0.3)


def test_hand_report_matches_by_stamp():
    truth = {1: JOINTS, 2: JOINTS, 3: JOINTS}
    report, latency = build_hand_report(hand_result(), truth, frames_read=3)
    assert report['task'] == 'hand' and report['frames'] == 2
    assert report['mean_joint_error_mm'] == pytest.approx(5.0)
    assert (report['frames_in'], report['frames_out'], report['frames_read']) == (3, 4, 3)
    assert latency == pytest.approx([4.0, 8.0])  # ms; stamp 9 was never sent
    assert [r['stamp_ns'] for r in report['per_frame']] == [1, 2, 9]
    assert report['per_frame'][1]['mean_error_mm'] == pytest.approx(10.0)
    assert report['per_frame'][2] == {'stamp_ns': 9, 'latency_ms': None, 'mean_error_mm': None}
    assert report['problems'] == ['1 outputs did not have 14 poses']
    assert report['notes'] == ['1 outputs have no ground truth']
    assert report['input_fps'] == pytest.approx(10.0)


def test_object_report_counts_a_frame_without_output_as_not_found():
    result = ReplayResult(outputs={1: ((OBJECT_R, OBJECT_T), 0.01), 3: ((OBJECT_R, OBJECT_T),
                                                                        0.22)},
                          sent={1: 0.0, 2: 0.1, 3: 0.2}, duration_s=0.25,
                          camera_k={1: K_VGA, 2: K_VGA})
    truth = {s: (OBJECT_R, OBJECT_T) for s in (1, 2, 3)}
    report, latency = replay_report(result, truth, 3, MODEL)
    assert report['task'] == 'object' and report['weights'] == 'object.safetensors'
    assert report['add_acc'] == pytest.approx(2 / 3)  # frame 2 has no output
    assert report['proj2d_acc'] == pytest.approx(1 / 3)  # frame 3 has no K
    assert latency == pytest.approx([10.0, 20.0])
    records = {r['stamp_ns']: r for r in report['per_frame']}
    assert set(records) == {1, 3}
    assert records[1]['add_mm'] == pytest.approx(0.0, abs=1e-9)
    assert records[1]['proj2d_px'] == pytest.approx(0.0, abs=1e-9)
    assert records[3]['proj2d_px'] is None
    assert report['problems'] == ['1 answered frames had no CameraInfo: their 2D projection '
                                  'counts as failed']


def test_replay_report_without_model_is_the_hand_report():
    report, _ = replay_report(hand_result(), {1: JOINTS}, 3, None)
    assert report['task'] == 'hand' and report['frames'] == 1
    assert build_object_report(ReplayResult(), {}, 0, MODEL)[0]['frames_out'] == 0


def test_object_model_reads_the_weights_metadata(object_weights, weights_path):
    model = object_model(object_weights)
    assert model['points_m'].shape[1] == 3 and model['diameter_m'] > 0
    with pytest.raises(WeightsError, match="task is 'hand', expected 'object'"):
        object_model(weights_path)


def test_ground_truth_note_counts_and_names_the_first_bad_message():
    bad = [(7, '13 joints, expected 14'), (9, 'non-finite values')]
    assert ground_truth_note(bad, 5) == ('2 of 5 ground-truth messages cannot be scored (first '
                                         'at stamp 7 ns: 13 joints, expected 14)')
