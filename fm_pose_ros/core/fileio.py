# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Atomic file writes: a temporary file in the same folder, then a rename.

The temporary file is ``.<name>.<pid>.<random>``: a writer killed mid-write leaves it behind,
and the next write of the same target removes it once that process is gone.
"""

import os
import re
import tempfile
import time


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then rename onto ``path``; never leaves a partial file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f'.{os.path.basename(path)}.{os.getpid()}.', dir=folder)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def remove_stale_temporaries(path):
    """Remove the temporary files of ``path`` left by writers that no longer run.

    Also the ones of older versions (``.<name>.<random>``, no process id), which are an hour
    old. Returns the removed paths.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(rf'\.{re.escape(os.path.basename(path))}\.(?:(\d+)\.)?[a-z0-9_]{{8}}')
    removed = []
    for name in os.listdir(folder):
        match = pattern.fullmatch(name)
        if match and _stale(os.path.join(folder, name), match.group(1)):
            try:
                os.remove(os.path.join(folder, name))
                removed.append(os.path.join(folder, name))
            except OSError:  # gone meanwhile, or not ours to remove
                pass
    return removed


def _stale(tmp, pid):
    if pid is None:
        try:
            return os.path.getmtime(tmp) < time.time() - 3600
        except OSError:
            return False
    return int(pid) != os.getpid() and not _running(int(pid))


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def atomic_write_text(path, text):
    """Write a text file atomically (UTF-8)."""
    def write(tmp):
        with open(tmp, 'w', encoding='utf-8') as handle:
            handle.write(text)
    atomic_write(path, write)
