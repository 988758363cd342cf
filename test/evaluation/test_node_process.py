# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""NodeProcess: finds the console script, reads the output, stops within its bound.

The real nodes run through it in test/ros/test_node_signals.py and the replay tests; here a
small script stands in for the executable so that a process that ignores SIGINT can be
stopped too.
"""

import os
import signal
import sys
import textwrap

import pytest

from fm_pose_ros.evaluation.node_process import (
    console_script, NodeProcess, parse_final_stats, script_folders)

STAND_IN = textwrap.dedent('''\
    import signal, sys, time
    if sys.argv[-1] == 'ignore':
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    print(' '.join(sys.argv[1:]), flush=True)
    print('\\x1b[32m[INFO] [hand_node]: listening on depth/image\\x1b[0m', flush=True)
    print('[INFO] [hand_node]: final stats: {"frames_in": 2, "frames_out": 1}', flush=True)
    time.sleep(60)
''')


def test_script_folders_are_path_then_this_python_then_ament_prefixes():
    env = {'PATH': '/a:/b', 'AMENT_PREFIX_PATH': '/p1:/p2'}
    assert script_folders(env) == ['/a', '/b', os.path.dirname(sys.executable),
                                   '/p1/lib/fm_pose_ros', '/p2/lib/fm_pose_ros']
    assert script_folders({}) == [os.path.dirname(sys.executable)]


def test_console_script_takes_the_first_executable(tmp_path):
    name = 'fm_pose_ros_stand_in'
    for folder, mode in (('bin', 0o644), ('prefix/lib/fm_pose_ros', 0o755)):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / name).write_text('#!/bin/sh\n')
        (tmp_path / folder / name).chmod(mode)
    env = {'PATH': str(tmp_path / 'bin'), 'AMENT_PREFIX_PATH': str(tmp_path / 'prefix')}
    assert console_script(name, env) == str(tmp_path / 'prefix/lib/fm_pose_ros' / name)
    (tmp_path / 'bin' / name).chmod(0o755)
    assert console_script(name, env) == str(tmp_path / 'bin' / name)
    assert console_script(name, {'PATH': ''}) is None


def test_parse_final_stats():
    line = '[INFO] [1.5] [hand_node]: final stats: {"frames_in": 3, "p50_ms": 4.5}'
    assert parse_final_stats(line) == {'frames_in': 3, 'p50_ms': 4.5}
    assert parse_final_stats('[INFO] [hand_node]: stats: {"frames_in": 3}') is None
    assert parse_final_stats('[INFO] [hand_node]: final stats: {"frames_in"') is None
    assert parse_final_stats('[INFO] [hand_node]: final stats: [1, 2]') is None


@pytest.mark.integration  # subprocesses
@pytest.mark.parametrize('mode', ['exit', 'ignore'])
def test_reads_the_output_and_stops_within_the_bound(tmp_path, mode):
    script = tmp_path / 'stand_in'
    script.write_text(f'#!{sys.executable}\n{STAND_IN}')
    script.chmod(0o755)
    with NodeProcess('hand', ['-p', 'threads:=1', mode], executable=str(script)) as node:
        assert node.wait_started(30.0), node.output
        stats = node.stop(timeout=1.0)
    assert stats == {'frames_in': 2, 'frames_out': 1}
    assert node.lines[:2] == [f'--ros-args -p threads:=1 {mode}',
                              '[INFO] [hand_node]: listening on depth/image']
    if mode == 'exit':
        assert node.returncode == 0 and node.exit_s < 1.0
    else:  # SIGINT ignored: killed once the bound passed
        assert node.returncode == -signal.SIGKILL and node.exit_s == float('inf')
    assert not node.alive()
