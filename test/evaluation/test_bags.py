# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""rosbag2 files: mcap and sqlite3 round trips, stamps, and clear errors on bad bags."""

import os

from conftest import blob_frame, K_VGA
import cv2
from geometry_msgs.msg import PoseStamped
import numpy as np
import pytest

from fm_pose_ros.evaluation.bags import (
    BagError, DEFAULT_TOPICS, detect_task, frames_from_messages, ground_truth,
    ground_truth_problem, object_frames_from_messages, OBJECT_TOPICS, read_messages,
    write_hand_bag, write_object_bag)
from fm_pose_ros.ros.object_messages import pose_stamped


def hand_frames(count=4):
    """Blob frames whose 14 'joints' sit on a ring inside the cube around the blob."""
    frames = []
    for i in range(count):
        depth, K, centre = blob_frame(centre_mm=(10.0 * i, -5.0, 520.0 + 10 * i))
        angles = np.linspace(0, 2 * np.pi, 14, endpoint=False)
        joints = centre + np.stack([60 * np.cos(angles), 60 * np.sin(angles),
                                    np.full(14, -20.0)], 1)
        frames.append({'depth': depth, 'K': K, 'joints': joints})
    return frames


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
@pytest.mark.parametrize('encoding', ['16UC1', '32FC1'])
def test_round_trip(tmp_path, storage, encoding):
    frames = hand_frames()
    path = str(tmp_path / 'bag')
    assert write_hand_bag(path, frames, rate_hz=30.0, storage=storage, encoding=encoding) == 4
    assert not os.path.exists(path + '.partial')
    back = list(frames_from_messages(read_messages(path, DEFAULT_TOPICS)))
    assert len(back) == 4
    stamps = [f['stamp'] for f in back]
    np.testing.assert_allclose(np.diff(stamps), 1e9 / 30.0, atol=1)
    for original, restored in zip(frames, back):
        np.testing.assert_allclose(restored['depth'], np.rint(original['depth'])
                                   if encoding == '16UC1' else original['depth'], atol=1e-3)
        np.testing.assert_allclose(restored['K'], original['K'])
        np.testing.assert_allclose(restored['joints'], original['joints'], atol=1e-6)


def test_missing_and_corrupt_bags(tmp_path):
    with pytest.raises(BagError, match='bag not found'):
        read_messages(str(tmp_path / 'nope'), DEFAULT_TOPICS)
    path = str(tmp_path / 'bag')
    write_hand_bag(path, hand_frames(2))
    with pytest.raises(BagError, match='has no topic /other'):
        read_messages(path, {**DEFAULT_TOPICS, 'image': '/other'})
    with pytest.raises(BagError, match='has type sensor_msgs/msg/CameraInfo'):
        read_messages(path, {**DEFAULT_TOPICS, 'image': DEFAULT_TOPICS['camera_info']})
    mcap = next(f for f in os.listdir(path) if f.endswith('.mcap'))
    data = open(os.path.join(path, mcap), 'rb').read()
    with open(os.path.join(path, mcap), 'wb') as handle:
        handle.write(data[:len(data) // 2])
    with pytest.raises(BagError, match='cannot read bag'):
        read_messages(path, DEFAULT_TOPICS)
    with open(os.path.join(path, mcap), 'wb') as handle:
        handle.write(os.urandom(5000))
    with pytest.raises(BagError, match='cannot read bag'):
        read_messages(path, DEFAULT_TOPICS)


def test_writer_refuses_to_overwrite_and_cleans_up_on_error(tmp_path):
    path = str(tmp_path / 'bag')
    write_hand_bag(path, hand_frames(1))
    with pytest.raises(BagError, match='exists already'):
        write_hand_bag(path, hand_frames(1))

    def broken():
        yield hand_frames(1)[0]
        raise RuntimeError('generator failed')
    with pytest.raises(RuntimeError):
        write_hand_bag(str(tmp_path / 'other'), broken())
    assert sorted(os.listdir(tmp_path)) == ['bag']


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_raw_messages_ground_truth_and_given_stamps(tmp_path, storage):
    frames = hand_frames(3)
    stamps = [5 * 10**9 + 7, 5 * 10**9 + 40_000_007, 5 * 10**9 + 90_000_007]
    frames[1]['joints'] = None  # no ground truth for the middle frame
    path = str(tmp_path / 'bag')
    write_hand_bag(path, [{**f, 'stamp': s} for f, s in zip(frames, stamps)], rate_hz=10.0,
                   start_ns=10**9, storage=storage)
    messages = read_messages(path, DEFAULT_TOPICS)
    assert len(messages['image']) == 3 and len(messages['ground_truth']) == 2
    image_log_times = [t for t, _ in messages['image']]
    assert image_log_times == [10**9, 10**9 + 10**8, 10**9 + 2 * 10**8]
    image = messages['image'][0][1]
    assert (image.encoding, image.header.frame_id) == ('16UC1', 'camera_depth_optical_frame')
    truth = ground_truth(messages)
    assert sorted(truth) == [stamps[0], stamps[2]]
    np.testing.assert_allclose(truth[stamps[2]], frames[2]['joints'], atol=1e-6)
    back = list(frames_from_messages(messages))
    assert [f['stamp'] for f in back] == stamps and back[1]['joints'] is None


def test_corrupt_sqlite3_and_one_line_errors(tmp_path):
    path = tmp_path / 'bag'
    write_hand_bag(str(path), hand_frames(2), storage='sqlite3')
    db3 = next(path.glob('*.db3'))
    db3.write_bytes(os.urandom(4096))
    with pytest.raises(BagError, match='cannot read bag') as info:
        read_messages(str(path), DEFAULT_TOPICS)
    assert '\n' not in str(info.value)
    (path / 'metadata.yaml').write_text('rosbag2_bagfile_information: [\n')
    with pytest.raises(BagError, match='cannot read bag') as info:
        read_messages(str(path), DEFAULT_TOPICS)
    assert '\n' not in str(info.value)
    with pytest.raises(BagError, match='storage must be one of'):
        write_hand_bag(str(tmp_path / 'x'), hand_frames(1), storage='rosbag1')


def object_frames(count=3, size=(48, 64)):
    """Random colour frames with distinct K and true poses (R model -> camera, t m)."""
    rng = np.random.default_rng(4)
    frames = []
    for i in range(count):
        K = K_VGA.copy()
        K[0, 0] += i  # fx differs per frame
        frames.append({'rgb': rng.integers(0, 256, (*size, 3), dtype=np.uint8), 'K': K,
                       'R': cv2.Rodrigues(rng.normal(size=3))[0],
                       't': np.array([0.01 * i, -0.02, 0.5 + 0.01 * i])})
    return frames


@pytest.mark.parametrize('storage,encoding', [('mcap', 'rgb8'), ('sqlite3', 'bgr8')])
def test_object_round_trip(tmp_path, storage, encoding):
    frames = object_frames()
    stamps = [10**9 + 7, 2 * 10**9 + 7, 3 * 10**9]
    frames[1]['R'] = frames[1]['t'] = None  # no ground truth for the middle frame
    path = str(tmp_path / 'bag')
    count = write_object_bag(path, [{**f, 'stamp': s} for f, s in zip(frames, stamps)],
                             rate_hz=10.0, start_ns=5 * 10**9, storage=storage,
                             encoding=encoding)
    assert count == 3 and not os.path.exists(path + '.partial')
    assert detect_task(path) == 'object'
    messages = read_messages(path, OBJECT_TOPICS, 'object')
    start = 5 * 10**9
    assert [t for t, _ in messages['image']] == [start, start + 10**8, start + 2 * 10**8]
    image = messages['image'][0][1]
    assert (image.encoding, image.header.frame_id) == (encoding, 'camera_color_optical_frame')
    assert all(isinstance(m, PoseStamped) for _, m in messages['ground_truth'])
    truth = ground_truth(messages)
    assert sorted(truth) == [stamps[0], stamps[2]]
    back = list(object_frames_from_messages(messages))
    assert [f['stamp'] for f in back] == stamps
    assert back[1]['R'] is None and back[1]['t'] is None
    for original, restored in zip(frames, back):
        np.testing.assert_array_equal(restored['rgb'], original['rgb'])
        np.testing.assert_array_equal(restored['K'], original['K'])
        if original['R'] is not None:
            np.testing.assert_allclose(restored['R'], original['R'], atol=1e-12)
            np.testing.assert_array_equal(restored['t'], original['t'])
            np.testing.assert_array_equal(truth[restored['stamp']][1], original['t'])


@pytest.mark.parametrize('storage,depth_encoding', [('mcap', '16UC1'), ('sqlite3', '32FC1')])
def test_object_bag_with_aligned_depth(tmp_path, storage, depth_encoding):
    frames = object_frames()
    rng = np.random.default_rng(2)
    for frame in frames[:2]:  # the last frame has no depth
        frame['depth_mm'] = rng.integers(0, 3000, frame['rgb'].shape[:2]).astype(np.uint16)
    path = str(tmp_path / 'bag')
    write_object_bag(path, frames, storage=storage, depth_encoding=depth_encoding)
    messages = read_messages(path, OBJECT_TOPICS, 'object')
    assert len(messages['depth']) == 2
    assert messages['depth'][0][1].encoding == depth_encoding
    back = list(object_frames_from_messages(messages))
    for original, restored in zip(frames[:2], back):
        np.testing.assert_allclose(restored['depth_mm'], original['depth_mm'], atol=1e-3)
    assert back[2]['depth_mm'] is None
    plain = str(tmp_path / 'plain')  # without depth: no depth topic at all
    write_object_bag(plain, object_frames())
    assert read_messages(plain, OBJECT_TOPICS, 'object')['depth'] == []


def test_task_detection_and_object_bag_errors(tmp_path):
    hand, colour = str(tmp_path / 'hand'), str(tmp_path / 'object')
    write_hand_bag(hand, hand_frames(1))
    write_object_bag(colour, object_frames(1))
    assert detect_task(hand) == 'hand' and detect_task(colour) == 'object'
    assert detect_task(colour, '/no/such/topic') == 'object'  # from the image topic
    assert detect_task(colour, DEFAULT_TOPICS['ground_truth']) == 'object'
    no_truth = str(tmp_path / 'no_truth')
    write_object_bag(no_truth, [{**object_frames(1)[0], 'R': None}],
                     topics={'ground_truth': '/gt/other'})
    assert detect_task(no_truth) == 'object'
    with pytest.raises(BagError, match='bag not found'):
        detect_task(str(tmp_path / 'nope'))
    with pytest.raises(BagError, match='has type geometry_msgs/msg/PoseStamped, expected '
                       'geometry_msgs/msg/PoseArray'):
        read_messages(colour, OBJECT_TOPICS)
    with pytest.raises(BagError, match='encoding must be one of'):
        write_object_bag(str(tmp_path / 'x'), object_frames(1), encoding='16UC1')
    with pytest.raises(BagError, match='storage must be one of'):
        write_object_bag(str(tmp_path / 'x'), object_frames(1), storage='rosbag1')
    assert not os.path.exists(tmp_path / 'x')


def unusable_hand_frames():
    """Four frames: usable, 13 joints, a NaN joint, an infinite joint (in that order)."""
    frames = hand_frames(4)
    frames[1]['joints'] = frames[1]['joints'][:13]
    frames[2]['joints'] = frames[2]['joints'].copy()
    frames[2]['joints'][5, 1] = np.nan
    frames[3]['joints'] = frames[3]['joints'].copy()
    frames[3]['joints'][0, 2] = np.inf
    return frames


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_ground_truth_that_cannot_be_scored_is_left_out_and_said(tmp_path, storage):
    path = str(tmp_path / 'bag')
    write_hand_bag(path, unusable_hand_frames(), storage=storage)
    messages = read_messages(path, DEFAULT_TOPICS)
    assert len(messages['ground_truth']) == 4
    bad = []
    truth = ground_truth(messages, bad)
    image_stamps = [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec
                    for _, m in messages['image']]
    assert sorted(truth) == image_stamps[:1]
    assert bad == [(image_stamps[1], '13 joints, expected 14'),
                   (image_stamps[2], 'non-finite values'),
                   (image_stamps[3], 'non-finite values')]
    back = list(frames_from_messages(messages))
    assert back[0]['joints'].shape == (14, 3)
    assert [f['joints'] for f in back[1:]] == [None, None, None]
    assert ground_truth(messages).keys() == truth.keys()  # without the list: left out only


def test_object_ground_truth_needs_a_finite_pose_and_rotation():
    good = pose_stamped(np.eye(3), [0.0, 0.0, 0.5], PoseStamped().header)
    assert ground_truth_problem(good) is None
    cases = {'position': ('x', np.nan), 'orientation': ('w', np.inf)}
    for part, (axis, value) in cases.items():
        msg = pose_stamped(np.eye(3), [0.0, 0.0, 0.5], PoseStamped().header)
        setattr(getattr(msg.pose, part), axis, value)
        assert ground_truth_problem(msg) == 'non-finite values', part
    zero = pose_stamped(np.eye(3), [0.0, 0.0, 0.5], PoseStamped().header)
    zero.pose.orientation.w = 0.0
    assert ground_truth_problem(zero) == 'orientation quaternion of norm 0'
    frames = object_frames(2)
    frames[1]['t'] = np.array([np.nan, 0.0, 0.5])
    messages = {'ground_truth': [(0, pose_stamped(f['R'], f['t'], PoseStamped().header))
                                 for f in frames]}
    bad = []
    assert len(ground_truth(messages, bad)) == 1 and bad == [(0, 'non-finite values')]
