# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared pieces of the node benchmarks: start hand_node, a VGA depth frame, doc sections.

Times are ``time.monotonic()`` seconds; depth is float mm (0 = invalid).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np

from fm_pose_ros.core.fileio import atomic_write_text

K_VGA = np.array([[475.0, 0.0, 319.5], [0.0, 475.0, 239.5], [0.0, 0.0, 1.0]])
FINAL_MARK = 'final stats: '


def hand_frame(centre_mm=(30.0, -20.0, 550.0), K=K_VGA, size=(480, 640), radius_mm=45.0):
    """VGA depth (mm, float32): a hand-sized sphere in front of a wall at 2.5 m."""
    height, width = size
    v, u = np.mgrid[:height, :width].astype(np.float64)
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1)
    centre = np.asarray(centre_mm, np.float64)
    a, b = (rays ** 2).sum(-1), rays @ centre
    disc = b ** 2 - a * (centre @ centre - radius_mm ** 2)
    t = (b - np.sqrt(np.maximum(disc, 0.0))) / a
    return np.where(disc > 0, t, 2500.0).astype(np.float32)


def console_script(name):
    """Path of an installed console script: beside this Python first, then on PATH."""
    return shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)


class NodeProcess:
    """``hand_node`` as its console script; its output is collected; ``stop`` is bounded."""

    def __init__(self, ros_args, env=None):
        executable = console_script('hand_node')
        if executable is None:
            raise SystemExit('hand_node is not installed (pip install -e .)')
        self.process = subprocess.Popen([executable, '--ros-args', *ros_args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, env=env)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_started(self, timeout=120.0):
        """Wait for the start-up line; False if the node died or took too long."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.process.poll() is None:
            if any('listening on' in line for line in self.lines):
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout=15.0):
        """SIGINT, then SIGKILL after ``timeout``; return the final stats dict ({} if none)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(5.0)
        for line in self.lines:
            if FINAL_MARK in line:
                return json.loads(line.split(FINAL_MARK, 1)[1])
        return {}


def replace_section(path, name, text):
    """Put ``text`` between ``<!-- name -->`` markers in ``path``: replaced, else appended."""
    begin, end = f'<!-- {name} -->', f'<!-- end {name} -->'
    block = f'{begin}\n{text.rstrip()}\n{end}\n'
    old = open(path, encoding='utf-8').read() if os.path.exists(path) else ''
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + block + rest.split(end, 1)[1].lstrip('\n')
    else:
        new = old.rstrip('\n') + ('\n\n' if old else '') + block
    atomic_write_text(path, new)
