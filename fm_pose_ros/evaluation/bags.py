# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""rosbag2 files (mcap and sqlite3) for hand and object recordings, through ``rosbags``.

Messages are stored as the CDR bytes rclpy produces (``serialize_message``) and read back
with ``deserialize_message``, so a replay publishes exactly what was recorded. Topics (all
with the same stamp per frame): the Image, its CameraInfo and the ground truth: hand
joints as a PoseArray in metres (depth image), or the object pose as a
PoseStamped in metres (colour image); an object bag may also hold depth aligned to the colour
image (16UC1 mm or 32FC1 m) on ``/camera/aligned_depth_to_color/image_raw``. A bag is
written as ``.<name>.<random>/<name>`` (so its data file already has its final name,
``<name>.mcap`` or ``<name>.db3``), its mcap chunk CRCs are filled in, and the folder is
renamed to ``<name>`` at the end: an error never leaves a half-written bag behind. Reading
verifies the bag first (bag_integrity): a damaged bag is refused, or its damaged chunks
skipped when asked; every message is parsed defensively (one that no longer parses is damage
too), and ground truth that cannot be scored (a wrong joint count, non-finite values) is left
out by ``ground_truth``.
"""

import contextlib
import os
import shutil
import sys
import tempfile

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseArray, PoseStamped
import numpy as np
from rclpy.serialization import deserialize_message, serialize_message
from rosbags.rosbag2 import Reader, StoragePlugin, Writer, WriterError
from rosbags.typesys import get_typestore, Stores
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from fm_pose_ros.core.hand_joints import NUM_JOINTS
from fm_pose_ros.core.image_codec import depth_to_mm
from fm_pose_ros.evaluation.bag_integrity import (
    data_files, IntegrityError, stamp_mcap_crcs, verify_bag)
from fm_pose_ros.ros.camera_messages import camera_info_msg, camera_matrix
from fm_pose_ros.ros.hand_messages import (
    depth_image_msg, joints_to_pose_array, pose_array_to_joints)
from fm_pose_ros.ros.object_messages import (
    COLOUR_ENCODINGS, image_to_rgb, pose_stamped, pose_stamped_to_pose, rgb_image_msg)

TASK_TOPICS = {
    'hand': {'image': '/camera/depth/image_rect_raw',
             'camera_info': '/camera/depth/camera_info',
             'ground_truth': '/gt/hand_joints'},
    'object': {'image': '/camera/color/image_raw',
               'camera_info': '/camera/color/camera_info',
               'ground_truth': '/gt/object_pose',
               'depth': '/camera/aligned_depth_to_color/image_raw'},  # optional
}
DEFAULT_TOPICS = TASK_TOPICS['hand']
OBJECT_TOPICS = TASK_TOPICS['object']
GROUND_TRUTH_TYPES = {'hand': ('geometry_msgs/msg/PoseArray', PoseArray),
                      'object': ('geometry_msgs/msg/PoseStamped', PoseStamped)}
INPUT_TYPES = {'image': ('sensor_msgs/msg/Image', Image),
               'camera_info': ('sensor_msgs/msg/CameraInfo', CameraInfo)}
TASK_MSG_TYPES = {task: {**INPUT_TYPES, 'ground_truth': gt}
                  for task, gt in GROUND_TRUTH_TYPES.items()}
TASK_MSG_TYPES['object']['depth'] = INPUT_TYPES['image']
# ground-truth message -> hand joints (14, 3) mm, or object pose (R (3, 3), t (3,) m)
GROUND_TRUTH_DECODERS = {PoseArray: pose_array_to_joints, PoseStamped: pose_stamped_to_pose}
STORAGES = {'mcap': StoragePlugin.MCAP, 'sqlite3': StoragePlugin.SQLITE3}
OPTIONAL_ROLES = ('depth',)  # written only when the frames carry it
DEFAULT_START_NS = 1_700_000_000 * 10**9


class BagError(RuntimeError):
    """A bag that cannot be written or read as a recording (one-line message)."""

    def __init__(self, message):
        super().__init__(' '.join(str(message).split()))  # one line, whatever the cause said


def _stamp(stamp_ns):
    return Time(sec=int(stamp_ns // 10**9), nanosec=int(stamp_ns % 10**9))


def frame_messages(frame, stamp_ns, encoding, frame_id):
    """Messages of one hand frame record: {role: rclpy message}, all with the same header."""
    header = Header(stamp=_stamp(stamp_ns), frame_id=frame_id)
    depth = frame['depth']
    messages = {'image': depth_image_msg(depth, header, encoding),
                'camera_info': camera_info_msg(frame['K'], depth.shape[1], depth.shape[0],
                                               header)}
    if frame.get('joints') is not None:
        messages['ground_truth'] = joints_to_pose_array(frame['joints'], header)
    return messages


def object_frame_messages(frame, stamp_ns, encoding, frame_id, depth_encoding='16UC1'):
    """Messages of one object frame record: {role: rclpy message}, all with the same header."""
    header = Header(stamp=_stamp(stamp_ns), frame_id=frame_id)
    rgb = frame['rgb']  # (H, W, 3) uint8
    messages = {'image': rgb_image_msg(rgb, header, encoding),
                'camera_info': camera_info_msg(frame['K'], rgb.shape[1], rgb.shape[0], header)}
    if frame.get('depth_mm') is not None:  # aligned depth: the colour frame's header
        messages['depth'] = depth_image_msg(np.asarray(frame['depth_mm'], np.float32), header,
                                            depth_encoding)
    if frame.get('R') is not None and frame.get('t') is not None:
        messages['ground_truth'] = pose_stamped(frame['R'], frame['t'], header)
    return messages


def write_hand_bag(path, frames, rate_hz=30.0, start_ns=DEFAULT_START_NS, encoding='16UC1',
                   frame_id='camera_depth_optical_frame', storage='mcap', topics=None):
    """Write hand frame records as a rosbag2 folder at ``path``; return the number of frames.

    ``frames``: iterable of dicts with ``depth`` (H, W) float mm (0 = invalid), ``K`` (3, 3),
    ``joints`` (14, 3) mm or None (no ground truth message) and optionally ``stamp`` (int ns,
    header stamp). Frame i is logged at ``start_ns + i / rate_hz`` s and, without ``stamp``,
    stamped with that time; image, CameraInfo and ground truth share the stamp. ``topics``
    overrides DEFAULT_TOPICS by role. Written in a hidden temporary folder, renamed at the end.
    """
    return _write_bag(path, frames, rate_hz, start_ns, storage, 'hand', topics,
                      lambda frame, stamp: frame_messages(frame, stamp, encoding, frame_id))


def write_object_bag(path, frames, rate_hz=30.0, start_ns=DEFAULT_START_NS, encoding='rgb8',
                     storage='mcap', frame_id='camera_color_optical_frame', topics=None,
                     depth_encoding='16UC1'):
    """Write object frame records as a rosbag2 folder at ``path``; return the number of frames.

    ``frames``: iterable of dicts with ``rgb`` (H, W, 3) uint8 RGB, ``K`` (3, 3), the true
    pose ``R`` (3, 3) model -> camera and ``t`` (3,) m (both None or absent: no ground truth
    message), optionally ``stamp`` (int ns) and ``depth_mm`` (H, W) aligned depth in mm (0 =
    none; written in ``depth_encoding``, 16UC1 or 32FC1, with the colour frame's header). The
    image is stored in ``encoding`` (one of object_messages.COLOUR_ENCODINGS); stamps, log
    times, ``topics`` (overriding OBJECT_TOPICS by role) and the temporary folder as in
    write_hand_bag.
    """
    if encoding not in COLOUR_ENCODINGS:
        raise BagError(f"encoding must be one of {', '.join(COLOUR_ENCODINGS)}, "
                       f'got {encoding!r}')
    return _write_bag(path, frames, rate_hz, start_ns, storage, 'object', topics,
                      lambda frame, stamp: object_frame_messages(frame, stamp, encoding,
                                                                 frame_id, depth_encoding))


def _write_bag(path, frames, rate_hz, start_ns, storage, task, topics, messages_of):
    """Write ``messages_of(frame, stamp_ns)`` ({role: message}) for every frame; return count."""
    if storage not in STORAGES:
        raise BagError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    if rate_hz <= 0:
        raise BagError(f'rate_hz must be positive, got {rate_hz}')
    if os.path.exists(path):
        raise BagError(f'{path} exists already')
    topics = {**TASK_TOPICS[task], **(topics or {})}
    path = os.fspath(path).rstrip(os.sep)
    name = os.path.basename(path)
    try:
        folder = tempfile.mkdtemp(prefix=f'.{name}.', dir=os.path.dirname(path) or '.')
    except OSError as exc:
        raise BagError(f'cannot write bag {path}: {exc}') from exc
    try:
        count = _write_messages(os.path.join(folder, name), frames, rate_hz, start_ns,
                                STORAGES[storage], topics, TASK_MSG_TYPES[task], messages_of)
        os.replace(os.path.join(folder, name), path)
    except (WriterError, OSError, IntegrityError) as exc:
        raise BagError(f'cannot write bag {path}: {exc}') from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return count


def _write_messages(tmp, frames, rate_hz, start_ns, storage, topics, msg_types, messages_of):
    """Write the bag at ``tmp`` and fill in its mcap CRCs; return the frame count."""
    count = 0
    with Writer(tmp, version=9, storage_plugin=storage) as writer:
        connections = _add_connections(writer, topics, msg_types)
        for count, frame in enumerate(frames, start=1):
            log_ns = int(start_ns) + round((count - 1) * 1e9 / rate_hz)
            stamp = int(frame.get('stamp', log_ns))
            for role, msg in messages_of(frame, stamp).items():
                if role not in connections:  # an optional topic: from its first message on
                    connections[role] = _connection(writer, topics[role], msg_types[role][0])
                writer.write(connections[role], log_ns, serialize_message(msg))
    for data_file in data_files(tmp, ('.mcap',)):
        stamp_mcap_crcs(data_file)
    return count


def _add_connections(writer, topics, msg_types):
    """Add the connections of the roles every bag of the task has (not OPTIONAL_ROLES)."""
    return {role: _connection(writer, topics[role], msgtype)
            for role, (msgtype, _) in msg_types.items() if role not in OPTIONAL_ROLES}


def _connection(writer, topic, msgtype):
    return writer.add_connection(topic, msgtype, typestore=get_typestore(Stores.ROS2_KILTED))


def _open_reader(path):
    """Open ``path`` as a rosbag2 Reader, or raise BagError (missing or unreadable bag)."""
    if not os.path.exists(path):
        raise BagError(f'bag not found: {path}')
    try:
        return Reader(path)
    except Exception as exc:  # rosbags raises many types for damaged files
        raise BagError(f'cannot read bag {path}: {type(exc).__name__}: {exc}') from exc


def detect_task(path, gt_topic=None):
    """Return 'object' or 'hand': what the bag's ground truth is.

    'object' when the ground-truth topic (``gt_topic``, else either task's default topic)
    holds PoseStamped, 'hand' when it holds PoseArray; without such a topic, 'object' when
    the bag has the default colour image topic and not the default depth one, else 'hand'.
    """
    try:
        with _open_reader(path) as reader:
            types = {c.topic: c.msgtype for c in reader.connections}
    except BagError:
        raise
    except Exception as exc:
        raise BagError(f'cannot read bag {path}: {type(exc).__name__}: {exc}') from exc
    candidates = [gt_topic] if gt_topic else [t['ground_truth'] for t in TASK_TOPICS.values()]
    for topic in candidates:
        for task, (msgtype, _) in GROUND_TRUTH_TYPES.items():
            if types.get(topic) == msgtype:
                return task
    colour = OBJECT_TOPICS['image'] in types and DEFAULT_TOPICS['image'] not in types
    return 'object' if colour else 'hand'


def check_integrity(path, skip_corrupt=False):
    """Verify the bag (bag_integrity.verify_bag); return its Integrity, or raise BagError.

    Damaged mcap chunks are refused unless ``skip_corrupt``; damaged sqlite3 files always.
    """
    if not os.path.isdir(path):
        return None  # a single file or nothing: the reader says what is wrong
    try:
        integrity = verify_bag(path)
    except IntegrityError as exc:
        raise BagError(f'cannot read bag {path}: it is corrupt: {exc}') from exc
    if integrity.problems:
        raise BagError(f'cannot read bag {path}: it is corrupt: sqlite integrity check failed: '
                       f'{integrity.problems[0]}')
    if integrity.corrupt and not skip_corrupt:
        first, last, name = integrity.corrupt[0]
        raise BagError(
            f'bag {path} is corrupt: {len(integrity.corrupt)} of {integrity.checked} chunks '
            f'fail their CRC check (first in {name}, log times {first}..{last} ns); '
            'replay_eval --skip-corrupt evaluates the rest')
    return integrity


def intact_windows(integrity):
    """Log-time windows ``[(start, stop)]`` (ns) between the damaged chunks of ``integrity``.

    ``stop`` is exclusive and None is an open end; no integrity or no damage: the whole bag.
    """
    windows, start = [], None
    for first, last, _ in sorted(integrity.corrupt if integrity else []):
        if start is None or first > start:
            windows.append((start, first))
        start = max(start or 0, last + 1)
    return windows + [(start, None)]


def read_messages(path, topics, task='hand', skip_corrupt=False, skipped=None):
    """Read the given topics: ``{role: [(bag_time_ns, rclpy message)]}`` in bag order.

    ``topics`` maps role ('image', 'camera_info', 'ground_truth') -> topic name; ``task``
    ('hand' or 'object') gives the ground truth's type (PoseArray or PoseStamped). A missing
    ground-truth topic gives an empty list; other problems raise BagError. A damaged bag is
    refused (check_integrity), and so is a message that no longer parses as its type; with
    ``skip_corrupt`` the messages of damaged mcap chunks and the unparsable ones are left out.
    The dict ``skipped`` receives per role the messages left out, ``chunks`` (damaged
    chunks), ``unparsed`` (messages that no longer parse), ``unverified_chunks`` (mcap chunks
    without a CRC) and ``blind_spots`` (Integrity.blind_spots: damage the checks cannot see).
    """
    integrity = check_integrity(path, skip_corrupt)
    skipped = {} if skipped is None else skipped
    try:
        with _open_reader(path) as reader:
            wanted = _wanted_connections(path, reader, topics, TASK_MSG_TYPES[task])
            out, unparsed = _read_intact(path, reader, wanted, TASK_MSG_TYPES[task],
                                         integrity, skip_corrupt)
    except BagError:
        raise
    except Exception as exc:  # rosbags raises many types for damaged files
        raise BagError(f'cannot read bag {path}: {type(exc).__name__}: {exc}') from exc
    for connection, role in wanted.values():
        skipped[role] = connection.msgcount - len(out[role])
    skipped.update(chunks=len(integrity.corrupt) if integrity else 0, unparsed=unparsed,
                   unverified_chunks=integrity.unverified if integrity else 0,
                   blind_spots=integrity.blind_spots() if integrity else [])
    return {role: out.get(role, []) for role in topics}


def _wanted_connections(path, reader, topics, msg_types):
    """``{topic: (connection, role)}`` of the roles present; BagError for a missing input."""
    by_topic = {c.topic: c for c in reader.connections}
    for role in ('image', 'camera_info'):
        if topics[role] not in by_topic:
            raise BagError(f"bag {path} has no topic {topics[role]} ({role}); topics: "
                           f"{', '.join(sorted(by_topic)) or 'none'}")
    wanted = {}
    for role, topic in topics.items():
        if topic in by_topic:
            _check_type(by_topic[topic], msg_types[role][0])
            wanted[topic] = (by_topic[topic], role)
    return wanted


def _read_intact(path, reader, wanted, msg_types, integrity, skip_corrupt):
    """Parse the messages outside damaged chunks: ``({role: [(time, msg)]}, unparsed)``.

    A message that no longer parses raises BagError, or is counted when ``skip_corrupt``.
    """
    out = {role: [] for _, role in wanted.values()}
    unparsed = 0
    with native_stderr_silenced():
        for start, stop in intact_windows(integrity):
            for connection, timestamp, raw in reader.messages(
                    [c for c, _ in wanted.values()], start, stop):
                role = wanted[connection.topic][1]
                msg = parse_message(raw, msg_types[role][1])
                if msg is not None:
                    out[role].append((timestamp, msg))
                elif skip_corrupt:
                    unparsed += 1
                else:
                    raise BagError(
                        f'bag {path} is corrupt: a message on {connection.topic} (log time '
                        f'{timestamp} ns) no longer parses as {connection.msgtype}; '
                        'replay_eval --skip-corrupt evaluates the rest')
    return out, unparsed


def parse_message(raw, msg_type):
    """Return the rclpy message of ``msg_type`` in the CDR bytes ``raw``; None if unparsable."""
    try:
        return deserialize_message(raw, msg_type)
    except Exception:  # rclpy raises RMWError, TypeError or ValueError on damaged bytes
        return None


@contextlib.contextmanager
def native_stderr_silenced():
    """Point file descriptor 2 at /dev/null inside the block (restored on any exit).

    The C deserialiser behind ``deserialize_message`` prints a line of its own on stderr for
    some damaged messages ("sequence size exceeds remaining buffer") besides raising; the
    caller reports the damage itself, in one line.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, 'wb') as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _check_type(connection, expected):
    if connection.msgtype != expected:
        raise BagError(f'topic {connection.topic} has type {connection.msgtype}, '
                       f'expected {expected}')


def stamp_ns(header):
    """Header stamp in integer nanoseconds."""
    return header.stamp.sec * 10**9 + header.stamp.nanosec


def ground_truth_problem(msg):
    """Why a ground-truth message cannot be scored (a short phrase), or None when it can.

    PoseArray (hand): exactly NUM_JOINTS poses with finite positions; PoseStamped (object):
    a finite position and a finite orientation quaternion of non-zero norm.
    """
    if isinstance(msg, PoseArray):
        if len(msg.poses) != NUM_JOINTS:
            return f'{len(msg.poses)} joints, expected {NUM_JOINTS}'
        values = [v for p in msg.poses for v in (p.position.x, p.position.y, p.position.z)]
    else:
        p, q = msg.pose.position, msg.pose.orientation
        values = [p.x, p.y, p.z, q.x, q.y, q.z, q.w]
    values = np.array(values, np.float64)
    if not np.isfinite(values).all():
        return 'non-finite values'
    if isinstance(msg, PoseStamped):
        norm = float(np.linalg.norm(values[3:]))
        if not 1e-6 < norm < 1e6:
            return f'orientation quaternion of norm {norm:g}'
    return None


def ground_truth(messages, bad=None):
    """``{stamp_ns: truth}`` from the usable ground-truth messages, decoded by their type.

    PoseArray: hand joints (14, 3) mm; PoseStamped: object pose ``(R (3, 3), t (3,) m)``.
    A message that ground_truth_problem refuses is left out and, when the list ``bad`` is
    given, appended to it as ``(stamp_ns, reason)``.
    """
    truth = {}
    for _, msg in messages.get('ground_truth', []):
        problem = ground_truth_problem(msg)
        if problem is None:
            truth[stamp_ns(msg.header)] = GROUND_TRUTH_DECODERS[type(msg)](msg)
        elif bad is not None:
            bad.append((stamp_ns(msg.header), problem))
    return truth


def _frames(messages, image_key, to_array):
    """Yield ``(record, truth or None)``: stamp, K (or None), ``image_key``: to_array(image)."""
    infos = {stamp_ns(m.header): m for _, m in messages['camera_info']}
    truth = ground_truth(messages)
    for _, image in messages['image']:
        stamp = stamp_ns(image.header)
        info = infos.get(stamp)
        yield ({'stamp': stamp, image_key: to_array(image),
                'K': None if info is None else camera_matrix(info)},
               truth.get(stamp))


def frames_from_messages(messages):
    """Hand frame records (depth mm, K, joints mm or None, stamp) rebuilt from a read bag."""
    for record, joints in _frames(messages, 'depth', depth_to_mm):
        yield {**record, 'joints': joints}


def object_frames_from_messages(messages):
    """Object frame records (rgb, K, R and t or None, stamp, depth_mm) rebuilt from a bag.

    ``depth_mm`` (H, W) float32 mm: the aligned depth message with the image's stamp, or None.
    """
    depths = {stamp_ns(m.header): m for _, m in messages.get('depth', [])}
    for record, pose in _frames(messages, 'rgb', image_to_rgb):
        R, t = pose if pose is not None else (None, None)
        depth = depths.get(record['stamp'])
        yield {**record, 'R': R, 't': t,
               'depth_mm': None if depth is None else depth_to_mm(depth)}
