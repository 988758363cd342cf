# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""rosbag2 files (mcap and sqlite3) for hand recordings, through the ``rosbags`` library.

Messages are stored as the CDR bytes rclpy produces (``serialize_message``) and read back
with ``deserialize_message``, so a replay publishes exactly what was recorded. Topics (all
with the same stamp per frame): depth Image, its CameraInfo, and the ground truth joints as
a PoseArray in metres (DESIGN.md section 4). A bag is written into a temporary folder and
renamed at the end: an error never leaves a half-written bag behind.
"""

import os
import shutil

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseArray
import numpy as np
from rclpy.serialization import deserialize_message, serialize_message
from rosbags.rosbag2 import Reader, StoragePlugin, Writer, WriterError
from rosbags.typesys import get_typestore, Stores
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from fm_pose_ros.hand_messages import (
    camera_info_msg, depth_image_msg, joints_to_pose_array, pose_array_to_joints)
from fm_pose_ros.image_codec import depth_to_mm

DEFAULT_TOPICS = {'image': '/camera/depth/image_rect_raw',
                  'camera_info': '/camera/depth/camera_info',
                  'ground_truth': '/gt/hand_joints'}
MSG_TYPES = {'image': ('sensor_msgs/msg/Image', Image),
             'camera_info': ('sensor_msgs/msg/CameraInfo', CameraInfo),
             'ground_truth': ('geometry_msgs/msg/PoseArray', PoseArray)}
STORAGES = {'mcap': StoragePlugin.MCAP, 'sqlite3': StoragePlugin.SQLITE3}
DEFAULT_START_NS = 1_700_000_000 * 10**9


class BagError(RuntimeError):
    """A bag that cannot be written or read as a hand recording (one-line message)."""

    def __init__(self, message):
        super().__init__(' '.join(str(message).split()))  # one line, whatever the cause said


def _stamp(stamp_ns):
    return Time(sec=int(stamp_ns // 10**9), nanosec=int(stamp_ns % 10**9))


def frame_messages(frame, stamp_ns, encoding, frame_id):
    """Messages of one frame record: {role: rclpy message}, all with the same header."""
    header = Header(stamp=_stamp(stamp_ns), frame_id=frame_id)
    depth = frame['depth']
    messages = {'image': depth_image_msg(depth, header, encoding),
                'camera_info': camera_info_msg(frame['K'], depth.shape[1], depth.shape[0],
                                               header)}
    if frame.get('joints') is not None:
        messages['ground_truth'] = joints_to_pose_array(frame['joints'], header)
    return messages


def write_hand_bag(path, frames, rate_hz=30.0, start_ns=DEFAULT_START_NS, encoding='16UC1',
                   frame_id='camera_depth_optical_frame', storage='mcap', topics=None):
    """Write frame records as a rosbag2 folder at ``path``; return the number of frames.

    ``frames``: iterable of dicts with ``depth`` (H, W) float mm (0 = invalid), ``K`` (3, 3),
    ``joints`` (14, 3) mm or None (no ground truth message) and optionally ``stamp`` (int ns,
    header stamp). Frame i is logged at ``start_ns + i / rate_hz`` s and, without ``stamp``,
    stamped with that time; image, CameraInfo and ground truth share the stamp. ``topics``
    overrides DEFAULT_TOPICS by role. Written in ``<path>.partial`` and renamed at the end.
    """
    if storage not in STORAGES:
        raise BagError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    if rate_hz <= 0:
        raise BagError(f'rate_hz must be positive, got {rate_hz}')
    if os.path.exists(path):
        raise BagError(f'{path} exists already')
    topics = {**DEFAULT_TOPICS, **(topics or {})}
    tmp = f'{os.fspath(path).rstrip(os.sep)}.partial'
    shutil.rmtree(tmp, ignore_errors=True)
    count = 0
    try:
        with Writer(tmp, version=9, storage_plugin=STORAGES[storage]) as writer:
            connections = _add_connections(writer, topics)
            for count, frame in enumerate(frames, start=1):
                log_ns = int(start_ns) + round((count - 1) * 1e9 / rate_hz)
                stamp = int(frame.get('stamp', log_ns))
                for role, msg in frame_messages(frame, stamp, encoding, frame_id).items():
                    writer.write(connections[role], log_ns, serialize_message(msg))
        os.replace(tmp, path)
    except (WriterError, OSError) as exc:
        raise BagError(f'cannot write bag {path}: {exc}') from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return count


def _add_connections(writer, topics):
    typestore = get_typestore(Stores.ROS2_KILTED)
    return {role: writer.add_connection(topics[role], MSG_TYPES[role][0], typestore=typestore)
            for role in MSG_TYPES}


def read_messages(path, topics):
    """Read the given topics: ``{role: [(bag_time_ns, rclpy message)]}`` in bag order.

    ``topics`` maps role ('image', 'camera_info', 'ground_truth') -> topic name. A missing
    ground-truth topic gives an empty list; other problems raise BagError.
    """
    if not os.path.exists(path):
        raise BagError(f'bag not found: {path}')
    try:
        with Reader(path) as reader:
            by_topic = {c.topic: c for c in reader.connections}
            for role in ('image', 'camera_info'):
                if topics[role] not in by_topic:
                    raise BagError(f"bag {path} has no topic {topics[role]} ({role}); topics: "
                                   f"{', '.join(sorted(by_topic)) or 'none'}")
            wanted = {}
            for role, topic in topics.items():
                if topic in by_topic:
                    _check_type(by_topic[topic], role)
                    wanted[topic] = role
            out = {role: [] for role in topics}
            for connection, timestamp, raw in reader.messages(
                    [by_topic[t] for t in wanted]):
                role = wanted[connection.topic]
                out[role].append((timestamp, deserialize_message(raw, MSG_TYPES[role][1])))
            return out
    except BagError:
        raise
    except Exception as exc:  # rosbags raises many types for damaged files
        raise BagError(f'cannot read bag {path}: {type(exc).__name__}: {exc}') from exc


def _check_type(connection, role):
    expected = MSG_TYPES[role][0]
    if connection.msgtype != expected:
        raise BagError(f'topic {connection.topic} has type {connection.msgtype}, '
                       f'expected {expected}')


def stamp_ns(header):
    """Header stamp in integer nanoseconds."""
    return header.stamp.sec * 10**9 + header.stamp.nanosec


def ground_truth(messages):
    """``{stamp_ns: joints (14, 3) mm}`` from the ground-truth PoseArrays."""
    return {stamp_ns(msg.header): pose_array_to_joints(msg)
            for _, msg in messages.get('ground_truth', [])}


def frames_from_messages(messages):
    """Frame records (depth mm, K, joints mm or None, stamp) rebuilt from a read bag."""
    infos = {stamp_ns(m.header): m for _, m in messages['camera_info']}
    truth = ground_truth(messages)
    for _, image in messages['image']:
        stamp = stamp_ns(image.header)
        info = infos.get(stamp)
        yield {'stamp': stamp, 'depth': depth_to_mm(image), 'joints': truth.get(stamp),
               'K': None if info is None else np.array(info.k).reshape(3, 3)}
