# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Atomic file writes: a temporary file in the same folder, then a rename."""

import os
import tempfile


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then rename onto ``path``; never leaves a partial file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', dir=folder)
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


def atomic_write_text(path, text):
    """Write a text file atomically (UTF-8)."""
    def write(tmp):
        with open(tmp, 'w', encoding='utf-8') as handle:
            handle.write(text)
    atomic_write(path, write)
