# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand scores of prepared crops: per-joint errors and the tip ratios of a mirrored hand."""

import numpy as np
import pytest

from fm_pose_ros.core.hand_codec import HandCropTransform
from fm_pose_ros.core.hand_joints import JOINT_NAMES
from training.predict import evaluate_hand_outputs, tip_ratios


def test_tip_ratios_compare_thumb_and_pinky_tips_with_the_index_tip():
    per_joint = dict.fromkeys(JOINT_NAMES, 10.0)
    per_joint.update(index_tip=20.0, thumb_tip=60.0, pinky_tip=10.0)
    assert tip_ratios(per_joint) == {'thumb_tip_over_index_tip': 3.0,
                                     'pinky_tip_over_index_tip': 0.5}


def test_hand_reports_carry_the_tip_ratios():
    truth = np.zeros((2, 14, 3))
    transform = HandCropTransform(com=np.zeros(3, np.float32), cube=np.full(3, 2.0, np.float32),
                                  K=np.eye(3), M=np.zeros((2, 3)), crop_size=8)
    transforms = [transform] * 2
    outputs = np.zeros((2, 42), np.float32)
    outputs.reshape(2, 14, 3)[:, JOINT_NAMES.index('thumb_tip'), 0] = 4.0
    outputs.reshape(2, 14, 3)[:, JOINT_NAMES.index('index_tip'), 0] = 2.0
    outputs.reshape(2, 14, 3)[:, JOINT_NAMES.index('pinky_tip'), 0] = 1.0
    report = evaluate_hand_outputs(lambda crops: outputs,
                                   {'crops': np.zeros((2, 1, 8, 8), np.float32),
                                    'transforms': transforms, 'joints_mm': truth})
    assert report['thumb_tip_over_index_tip'] == pytest.approx(2.0)
    assert report['pinky_tip_over_index_tip'] == pytest.approx(0.5)
