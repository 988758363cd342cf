# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""atomic_write after a kill: the killed writer's hidden temporary file is removed next time."""

import os
import subprocess
import sys
import textwrap

from fm_pose_ros.core.fileio import atomic_write, atomic_write_text

# a writer that writes 1 MiB into its temporary file, says so, then waits to be killed
WRITER = textwrap.dedent('''
    import sys
    from fm_pose_ros.core.fileio import atomic_write

    def write(tmp):
        with open(tmp, 'wb') as handle:
            handle.write(b'x' * 2**20)
        print('written', flush=True)
        sys.stdin.read()
    atomic_write(sys.argv[1], write)
''')


def start_writer(target):
    writer = subprocess.Popen([sys.executable, '-c', WRITER, str(target)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == 'written'
    return writer


def hidden(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith('.'))


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / 'resume.safetensors'
    writer = start_writer(target)
    assert len(hidden(tmp_path)) == 1
    writer.kill()
    writer.wait()
    assert len(hidden(tmp_path)) == 1 and not target.exists()   # the litter of a kill
    atomic_write_text(target, 'new')
    assert target.read_text() == 'new' and hidden(tmp_path) == []


def test_a_running_writers_temporary_file_is_kept(tmp_path):
    target = tmp_path / 'resume.safetensors'
    writer = start_writer(target)
    try:
        busy = hidden(tmp_path)
        atomic_write_text(target, 'mine')
        assert hidden(tmp_path) == busy and target.read_text() == 'mine'
    finally:
        writer.kill()
        writer.wait()


def test_other_targets_temporary_files_are_not_touched(tmp_path):
    other = tmp_path / '.other.bin.1.abc'
    other.write_text('keep')
    atomic_write(tmp_path / 'out.bin', lambda tmp: open(tmp, 'w').close())
    assert other.read_text() == 'keep'
