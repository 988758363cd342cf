# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""replay_eval against the real node: the bag path gives the offline path's numbers."""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from fm_pose_ros.bags import DEFAULT_TOPICS, frames_from_messages, read_messages, write_hand_bag
from fm_pose_ros.hand_estimator import HandEstimator
from fm_pose_ros.metrics import hand_metrics
from test_bags import hand_frames

REPLAY = shutil.which('replay_eval')
pytestmark = pytest.mark.skipif(REPLAY is None, reason='package not installed (pip -e .)')


def run_replay(*args, timeout=120):
    result = subprocess.run([REPLAY, *args, '--no-progress'], capture_output=True, text=True,
                            timeout=timeout)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_bag_report_equals_offline_evaluation(tmp_path, weights_path, storage):
    bag = str(tmp_path / 'bag')
    write_hand_bag(bag, hand_frames(6), storage=storage)
    code, out, err = run_replay(bag, '--start-node', '--weights', weights_path,
                                '--backend', 'torch', '--out', str(tmp_path / 'report'))
    assert code == 0, out + err
    report = json.loads((tmp_path / 'report' / 'report.json').read_text())
    assert report['frames_in'] == 6 and report['frames_out'] == 6
    assert report['node_stats']['frames_out'] == 6
    assert report['latency_ms']['p50'] > 0
    for name in ('error_curve.png', 'per_joint_error.png', 'latency.png', 'summary.md'):
        assert (tmp_path / 'report' / name).is_file(), name
    estimator = HandEstimator(weights_path, 'cpu', 'torch')
    frames = list(frames_from_messages(read_messages(bag, DEFAULT_TOPICS)))
    pred = np.stack([estimator.estimate(f['depth'], f['K']).joints_mm for f in frames])
    offline = hand_metrics(pred, np.stack([f['joints'] for f in frames]))
    assert report['mean_joint_error_mm'] == pytest.approx(offline['mean_joint_error_mm'],
                                                          abs=1e-3)


def test_missing_bag_is_one_line(tmp_path):
    code, out, err = run_replay(str(tmp_path / 'nope'), '--out', str(tmp_path / 'r'))
    assert code == 1 and err.strip().count('\n') == 0 and 'bag not found' in err


def test_corrupt_bag_is_one_line(tmp_path):
    bag = tmp_path / 'bag'
    write_hand_bag(str(bag), hand_frames(2))
    mcap = next(bag.glob('*.mcap'))
    mcap.write_bytes(mcap.read_bytes()[:300])
    code, _, err = run_replay(str(bag), '--out', str(tmp_path / 'r'))
    assert code == 1 and 'cannot read bag' in err and err.strip().count('\n') == 0


def test_node_that_never_answers(tmp_path):
    bag = str(tmp_path / 'bag')
    write_hand_bag(bag, hand_frames(2))
    code, _, err = run_replay(bag, '--out', str(tmp_path / 'r'), '--wait', '2',
                              '--image-out', '/nobody/listens')
    assert code == 1 and 'no hand node subscribed' in err
    assert not os.path.exists(tmp_path / 'r' / 'report.json')
