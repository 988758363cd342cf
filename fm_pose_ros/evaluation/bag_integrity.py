# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Integrity of rosbag2 files: mcap chunk CRCs and sqlite3 ``PRAGMA integrity_check``.

mcap chunks carry a CRC-32 of their records (``rosbags`` writes 0, "not computed", so
``stamp_mcap_crcs`` fills them in after writing); ``verify_bag`` checks every chunk with the
``mcap`` library and returns the log-time ranges of the damaged ones, so a reader can refuse
the bag or skip exactly those frames. A sqlite3 bag cannot be localised: any damage refuses it.

What this cannot see is reported by ``Integrity.blind_spots``: chunks written without a CRC
(rosbags' own writer leaves them 0) and sqlite3 files, whose integrity check covers the
database's structure but not the bytes inside a message (sqlite3 keeps no per-message
checksum). A message damaged there is caught only if it no longer parses (bags.read_messages).
"""

from dataclasses import dataclass, field
import os
import sqlite3
import zlib

from mcap.records import Chunk
from mcap.stream_reader import breakup_chunk, StreamReader

MAGIC = b'\x89MCAP0\r\n'
OP_CHUNK, OP_DATA_END = 0x06, 0x0F
CRC_OFFSET = 24  # in a chunk: start time, end time, uncompressed size (u64 each), then the CRC


class IntegrityError(RuntimeError):
    """A bag file whose structure is damaged beyond chunk level (one-line message)."""


@dataclass
class Integrity:
    """What ``verify_bag`` found: chunks checked, unverifiable ones, damaged log-time ranges."""

    checked: int = 0
    unverified: int = 0  # mcap chunks without a CRC
    corrupt: list = field(default_factory=list)  # [(first_ns, last_ns, file name)]
    problems: list = field(default_factory=list)  # sqlite3 integrity_check lines
    sqlite: list = field(default_factory=list)  # names of the sqlite3 data files checked

    def damaged(self, timestamp):
        """Whether a message logged at ``timestamp`` (ns) lies in a damaged chunk."""
        return any(first <= timestamp <= last for first, last, _ in self.corrupt)

    def blind_spots(self):
        """One sentence per part of the bag whose damage the checks cannot detect."""
        lines = []
        if self.unverified:
            lines.append(f'{self.unverified} chunks carry no CRC: damage cannot be detected')
        lines += [f'{name} is sqlite3 storage, which has no per-message checksum: damage '
                  'inside a message cannot be detected' for name in self.sqlite]
        return lines


def data_files(path, suffixes=('.mcap', '.db3')):
    """Return the bag's data files (sorted paths)."""
    return sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith(suffixes))


def verify_bag(path):
    """Check every data file of the rosbag2 folder ``path``; return an Integrity.

    Raises IntegrityError when a file cannot be parsed at all.
    """
    result = Integrity()
    for data_file in data_files(path):
        if data_file.endswith('.mcap'):
            _verify_mcap(data_file, result)
        else:
            _verify_sqlite(data_file, result)
    return result


def _verify_mcap(data_file, result):
    name = os.path.basename(data_file)
    try:
        with open(data_file, 'rb') as handle:
            for record in StreamReader(handle, emit_chunks=True).records:
                if isinstance(record, Chunk):
                    _check_chunk(record, name, result)
    except Exception as exc:  # the mcap reader raises several types for damaged structure
        raise IntegrityError(f'{name} is damaged after {result.checked} chunks: '
                             f'{type(exc).__name__}: {exc}') from exc


def _check_chunk(chunk, name, result):
    result.checked += 1
    if chunk.uncompressed_crc == 0:
        result.unverified += 1
        return
    try:
        breakup_chunk(chunk, validate_crc=True)
    except Exception:  # CRC mismatch, or records that no longer parse
        result.corrupt.append((chunk.message_start_time, chunk.message_end_time, name))


def _verify_sqlite(data_file, result):
    try:
        with sqlite3.connect(f'file:{data_file}?mode=ro', uri=True) as db:
            rows = [row[0] for row in db.execute('PRAGMA integrity_check(5)')]
    except sqlite3.Error as exc:
        rows = [str(exc)]
    result.checked += 1
    result.sqlite.append(os.path.basename(data_file))
    if rows != ['ok']:
        result.problems.append(f"{os.path.basename(data_file)}: {'; '.join(rows)}")


def stamp_mcap_crcs(data_file):
    """Write the CRC-32 of every uncompressed chunk and of the data section into ``data_file``."""
    with open(data_file, 'r+b') as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise IntegrityError(f'{data_file} is not an mcap file')
        data_end = _stamp_chunks(handle)
        if data_end is not None:
            crc = _crc_of_range(handle, data_end)
            handle.seek(data_end + 9)
            handle.write(crc.to_bytes(4, 'little'))


def _stamp_chunks(handle):
    """Walk the records, fill in chunk CRCs; return the offset of the DataEnd record."""
    while True:
        head = handle.read(9)
        if len(head) < 9:
            return None
        opcode, length = head[0], int.from_bytes(head[1:], 'little')
        start = handle.tell()
        if opcode == OP_DATA_END:
            return start - 9
        if opcode == OP_CHUNK:
            _stamp_chunk(handle, start, length)
        handle.seek(start + length)


def _stamp_chunk(handle, start, length):
    content = handle.read(length)
    size = int.from_bytes(content[28:32], 'little')
    if content[32:32 + size]:  # compressed: the CRC is of the uncompressed records, left 0
        return
    records_len = int.from_bytes(content[32 + size:40 + size], 'little')
    records = content[40 + size:40 + size + records_len]
    handle.seek(start + CRC_OFFSET)
    handle.write(zlib.crc32(records).to_bytes(4, 'little'))


def _crc_of_range(handle, end):
    handle.seek(0)
    crc, left = 0, end
    while left:
        block = handle.read(min(left, 1 << 20))
        crc, left = zlib.crc32(block, crc), left - len(block)
    return crc
