# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Damaged bags are refused (or their damaged part skipped); finished bags have final names."""

import json
import os
import sqlite3
import subprocess
import sys

from conftest import blob_frame
import numpy as np
import pytest

from fm_pose_ros.evaluation.bag_integrity import verify_bag
from fm_pose_ros.evaluation.bags import (
    BagError, DEFAULT_TOPICS, read_messages, write_hand_bag)
from fm_pose_ros.evaluation.node_process import console_script

FRAMES = 90
REPLAY = console_script('replay_eval')


def write_bag(path, storage, count=FRAMES):
    depth, K, centre = blob_frame()
    joints = np.tile(centre, (14, 1))
    frames = ({'depth': depth, 'K': K, 'joints': joints} for _ in range(count))
    write_hand_bag(str(path), frames, storage=storage)
    return str(path)


def damage_middle(path, size=4096, seed=0):
    """Overwrite ``size`` bytes in the middle of the bag's data file with random bytes."""
    name = next(n for n in os.listdir(path) if n.endswith(('.mcap', '.db3')))
    data_file = os.path.join(path, name)
    middle = os.path.getsize(data_file) // 2
    with open(data_file, 'r+b') as handle:
        handle.seek(middle)
        handle.write(np.random.default_rng(seed).bytes(size))
    return data_file


@pytest.mark.parametrize('storage, suffix', [('mcap', '.mcap'), ('sqlite3', '.db3')])
def test_finished_bag_has_its_final_names(tmp_path, storage, suffix):
    path = write_bag(tmp_path / 'demo', storage, count=2)
    assert sorted(os.listdir(path)) == sorted(['demo' + suffix, 'metadata.yaml'])
    assert 'partial' not in (tmp_path / 'demo' / 'metadata.yaml').read_text()
    assert os.listdir(tmp_path) == ['demo']
    assert len(read_messages(path, DEFAULT_TOPICS)['image']) == 2


def test_intact_bags_verify(tmp_path):
    for storage in ('mcap', 'sqlite3'):
        report = verify_bag(write_bag(tmp_path / storage, storage, count=3))
        assert report.corrupt == [] and report.checked > 0


def test_damaged_mcap_names_its_corrupt_chunks(tmp_path):
    path = write_bag(tmp_path / 'bag', 'mcap')
    damage_middle(path)
    report = verify_bag(path)
    assert 1 <= len(report.corrupt) < report.checked
    with pytest.raises(BagError, match=r'bag .*bag is corrupt: 1 of \d+ chunks'):
        read_messages(path, DEFAULT_TOPICS)
    skipped = {}
    messages = read_messages(path, DEFAULT_TOPICS, skip_corrupt=True, skipped=skipped)
    assert skipped['image'] > 0
    assert len(messages['image']) + skipped['image'] == FRAMES


def test_damaged_sqlite3_is_refused(tmp_path):
    path = write_bag(tmp_path / 'bag', 'sqlite3')
    data_file = damage_middle(path)
    with sqlite3.connect(data_file) as db:  # the damage is real: sqlite sees it too
        assert db.execute('PRAGMA integrity_check').fetchone()[0] != 'ok'
    with pytest.raises(BagError, match=r'bag .*bag: it is corrupt: sqlite integrity'):
        read_messages(path, DEFAULT_TOPICS)


def run_replay(*args):
    result = subprocess.run([REPLAY or sys.executable, *args, '--no-progress'],
                            capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_replay_eval_refuses_a_damaged_bag_in_one_line(tmp_path, storage):
    path = write_bag(tmp_path / 'bag', storage)
    damage_middle(path)
    code, out, err = run_replay(path, '--out', str(tmp_path / 'r'))
    assert code == 1, out + err
    assert err.strip().count('\n') == 0 and 'corrupt' in err and path in err, err
    assert not (tmp_path / 'r').exists()


@pytest.mark.integration
def test_replay_eval_skip_corrupt_evaluates_the_rest(tmp_path, weights_path):
    path = write_bag(tmp_path / 'bag', 'mcap')
    damage_middle(path)
    code, out, err = run_replay(path, '--out', str(tmp_path / 'r'), '--skip-corrupt',
                                '--start-node', '--weights', weights_path, '--backend', 'torch')
    report = json.loads((tmp_path / 'r' / 'report.json').read_text())
    assert code == 0, out + err
    assert report['corrupt_chunks'] == 1 and report['corrupt_frames'] > 0
    assert report['frames_in'] == FRAMES - report['corrupt_frames'] == report['frames_read']
    assert 0 < report['frames_out'] <= report['frames_in']
