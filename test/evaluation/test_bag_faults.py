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
from rclpy.serialization import serialize_message
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import get_typestore, Stores

from fm_pose_ros.evaluation.bag_integrity import verify_bag
from fm_pose_ros.evaluation.bags import (
    BagError, DEFAULT_START_NS, DEFAULT_TOPICS, frame_messages, read_messages, stamp_ns,
    TASK_MSG_TYPES, write_hand_bag)
from fm_pose_ros.evaluation.node_process import console_script

FRAMES = 90
REPLAY = console_script('replay_eval')


def blob_frames(count):
    depth, K, centre = blob_frame()
    joints = np.tile(centre, (14, 1))
    return ({'depth': depth, 'K': K, 'joints': joints} for _ in range(count))


def write_bag(path, storage, count=FRAMES):
    """A hand bag: ``mcap`` (chunk CRCs filled in), ``sqlite3``, or ``mcap-no-crc``.

    ``mcap-no-crc`` is written by rosbags' own Writer, which leaves the chunk CRCs 0.
    """
    if storage == 'mcap-no-crc':
        return write_mcap_without_crcs(path, count)
    write_hand_bag(str(path), blob_frames(count), storage=storage)
    return str(path)


def write_mcap_without_crcs(path, count):
    typestore = get_typestore(Stores.ROS2_KILTED)
    with Writer(str(path), version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        connections = {role: writer.add_connection(DEFAULT_TOPICS[role], msgtype,
                                                   typestore=typestore)
                       for role, (msgtype, _) in TASK_MSG_TYPES['hand'].items()}
        for i, frame in enumerate(blob_frames(count)):
            stamp = DEFAULT_START_NS + i * 33_333_333
            for role, msg in frame_messages(frame, stamp, '16UC1', 'cam').items():
                writer.write(connections[role], stamp, serialize_message(msg))
    return str(path)


def damage_image(path, index, offset, size=16):
    """Overwrite ``size`` bytes at ``offset`` inside the bytes of image message ``index``.

    sqlite3: through sqlite's blob I/O (the database stays consistent); mcap: in the file.
    Returns the image's stamp (ns).
    """
    image = read_messages(path, DEFAULT_TOPICS)['image'][index][1]
    data_file = next(os.path.join(path, n) for n in os.listdir(path)
                     if n.endswith(('.mcap', '.db3')))
    if data_file.endswith('.db3'):
        with sqlite3.connect(data_file) as db:
            rowid = db.execute(
                'SELECT m.id FROM messages m JOIN topics t ON m.topic_id = t.id '
                'WHERE t.name = ? ORDER BY m.timestamp LIMIT 1 OFFSET ?',
                (DEFAULT_TOPICS['image'], index)).fetchone()[0]
            with db.blobopen('messages', 'data', rowid) as blob:
                blob.seek(offset)
                blob.write(b'\xff' * size)
        return stamp_ns(image.header)
    # CDR alignment padding is not reproducible: the key is the message's start up to its
    # first padding (CDR header, stamp, frame_id 'cam', height, width, encoding '16UC1')
    assert image.header.frame_id == 'cam' and image.encoding == '16UC1'
    key = serialize_message(image)[:4 + 8 + 4 + 4 + 8 + 4 + 6]
    with open(data_file, 'r+b') as handle:
        data = handle.read()
        start = data.find(key)
        assert start > 0 and data.find(key, start + 1) < 0
        handle.seek(start + offset)
        handle.write(b'\xff' * size)
    return stamp_ns(image.header)


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
        assert report.corrupt == [] and report.checked > 0 and report.unverified == 0
        assert report.blind_spots() == ([] if storage == 'mcap' else [
            'sqlite3.db3 is sqlite3 storage, which has no per-message checksum: damage inside '
            'a message cannot be detected'])


def test_mcap_without_chunk_crcs_says_damage_cannot_be_detected(tmp_path):
    path = write_bag(tmp_path / 'bag', 'mcap-no-crc', count=6)
    report = verify_bag(path)
    assert report.checked > 0 and report.unverified == report.checked and not report.corrupt
    stamp = damage_image(path, 2, offset=1000)  # inside the pixels: the message still parses
    skipped = {}
    messages = read_messages(path, DEFAULT_TOPICS, skipped=skipped)
    assert [stamp_ns(m.header) for _, m in messages['image']][2] == stamp
    assert (skipped['chunks'], skipped['unparsed'], skipped['image']) == (0, 0, 0)
    assert skipped['unverified_chunks'] == report.unverified
    assert skipped['blind_spots'] == [
        f'{report.unverified} chunks carry no CRC: damage cannot be detected']


def test_sqlite3_damage_inside_a_message_passes_its_integrity_check(tmp_path):
    path = write_bag(tmp_path / 'bag', 'sqlite3', count=6)
    damage_image(path, 2, offset=1000)
    data_file = os.path.join(path, 'bag.db3')
    with sqlite3.connect(data_file) as db:  # what sqlite can check is intact
        assert db.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
    skipped = {}
    assert len(read_messages(path, DEFAULT_TOPICS, skipped=skipped)['image']) == 6
    assert skipped['chunks'] == skipped['unparsed'] == 0
    assert skipped['blind_spots'] == [
        'bag.db3 is sqlite3 storage, which has no per-message checksum: damage inside a '
        'message cannot be detected']


@pytest.mark.parametrize('storage', ['mcap-no-crc', 'sqlite3'])
def test_a_message_that_no_longer_parses_is_corrupt(tmp_path, storage):
    path = write_bag(tmp_path / 'bag', storage, count=6)
    stamp = damage_image(path, 2, offset=4)  # the header's stamp and frame_id length
    with pytest.raises(BagError, match=r'bag .*bag is corrupt: a message on '
                       r'/camera/depth/image_rect_raw \(log time \d+ ns\) no longer parses as '
                       r'sensor_msgs/msg/Image; replay_eval --skip-corrupt') as info:
        read_messages(path, DEFAULT_TOPICS)
    assert '\n' not in str(info.value)
    skipped = {}
    messages = read_messages(path, DEFAULT_TOPICS, skip_corrupt=True, skipped=skipped)
    assert (skipped['unparsed'], skipped['image'], skipped['camera_info']) == (1, 1, 0)
    assert stamp not in [stamp_ns(m.header) for _, m in messages['image']]
    assert len(messages['image']) == 5 and len(messages['ground_truth']) == 6


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


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3', 'mcap-no-crc'])
def test_replay_eval_refuses_a_damaged_bag_in_one_line(tmp_path, storage):
    path = write_bag(tmp_path / 'bag', storage)
    if storage == 'mcap-no-crc':  # only the parser can see this damage
        damage_image(path, 5, offset=4)
    else:
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


@pytest.mark.integration
def test_replay_eval_says_when_damage_cannot_be_detected(tmp_path, weights_path):
    path = write_bag(tmp_path / 'bag', 'mcap-no-crc', count=4)
    damage_image(path, 1, offset=1000)  # pixels: read and scored as they are
    code, out, err = run_replay(path, '--out', str(tmp_path / 'r'), '--start-node',
                                '--weights', weights_path, '--backend', 'torch')
    assert code == 0, out + err
    report = json.loads((tmp_path / 'r' / 'report.json').read_text())
    chunks = verify_bag(path).unverified
    assert report['corrupt_chunks'] == report['corrupt_messages'] == 0
    assert report['unverified_chunks'] == chunks > 0
    warning = f'{chunks} chunks carry no CRC: damage cannot be detected'
    assert report['warnings'] == [warning]
    assert err.strip().splitlines() == [f'replay_eval: warning: {warning}'], err
    assert f'warning: {warning}' in (tmp_path / 'r' / 'summary.md').read_text()
