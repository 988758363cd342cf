# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""A pose node as its own process, started through its console script, stopped within a bound.

``NodeProcess('hand', ['-p', 'weights:=W'])`` runs ``hand_node --ros-args -p weights:=W``
(``object`` runs ``object_node``), reads its output (stdout and stderr together) on a thread
so the pipe never fills, and parses the node's ``final stats`` JSON line. ``stop`` sends
SIGINT (or the given signals), waits up to a bound and kills the process after it. Used by
``replay_eval --start-node``, the runtime benchmarks (``benchmarks/``) and the ROS tests.

The console script is the executable users run: it installs the signal handlers before the
node's heavy imports (``fm_pose_ros/ros/main.py``), which ``python -m`` of the node module
would bypass.
"""

from collections import deque
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

PACKAGE = 'fm_pose_ros'
EXECUTABLES = {'hand': 'hand_node', 'object': 'object_node'}
FINAL_STATS = 'final stats: '  # PoseNode.log_final_stats: this mark, then one JSON object
STARTED = 'listening on'       # the node's start-up line once it serves its inputs
STOP_TIMEOUT_S = 30.0          # after the signals: then SIGKILL
LINES_KEPT = 2000              # the node's last log lines
_COLOUR = re.compile(r'\x1b\[[0-9;]*m')


class NodeNotFound(RuntimeError):
    """The node's console script is not installed where ``console_script`` looks."""


def script_folders(env=None):
    """Folders searched for a console script, in order.

    ``PATH``, then the folder of the running Python (a virtual environment that is not
    activated), then ``<prefix>/lib/fm_pose_ros`` for each prefix in ``AMENT_PREFIX_PATH``
    (a colcon or apt install, where ``ros2 run`` finds the executables).
    """
    env = os.environ if env is None else env
    folders = [f for f in env.get('PATH', '').split(os.pathsep) if f]
    folders.append(os.path.dirname(sys.executable))
    folders += [os.path.join(prefix, 'lib', PACKAGE)
                for prefix in env.get('AMENT_PREFIX_PATH', '').split(os.pathsep) if prefix]
    return folders


def console_script(name, env=None):
    """Return the path of the executable ``name`` in ``script_folders(env)``, else None."""
    for folder in script_folders(env):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def parse_final_stats(line):
    """Return the dict of a ``final stats`` log line, or None for any other line."""
    if FINAL_STATS not in line:
        return None
    try:
        stats = json.loads(line.split(FINAL_STATS, 1)[1])
    except json.JSONDecodeError:
        return None
    return stats if isinstance(stats, dict) else None


class NodeProcess:
    """``hand_node`` or ``object_node`` as a subprocess with its output collected.

    ``task`` is 'hand' or 'object'; ``ros_args`` follow ``--ros-args`` (remaps ``-r``,
    parameters ``-p``, ``--params-file``); ``env`` is the process environment (default:
    this one's); ``executable`` replaces the console script (a path). Raises NodeNotFound
    when the console script is not installed. Use it as a context manager to be sure the
    process is gone afterwards.
    """

    def __init__(self, task, ros_args=(), env=None, executable=None):
        name = EXECUTABLES[task]
        executable = executable or console_script(name, env)
        if executable is None:
            raise NodeNotFound(f'{name} is not installed (pip install -e . or a colcon '
                               'install with AMENT_PREFIX_PATH set)')
        self.name = name
        self.final_stats = None
        self.exit_s = None  # seconds from the first signal of stop() to the exit
        self._lines = deque(maxlen=LINES_KEPT)
        self._lock = threading.Lock()
        self.process = subprocess.Popen([executable, '--ros-args', *ros_args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, env=env)
        self._reader = threading.Thread(target=self._read, name=f'{name}_output', daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            line = _COLOUR.sub('', line).rstrip()
            stats = parse_final_stats(line)
            if stats is not None:
                self.final_stats = stats
            if line.strip():
                with self._lock:
                    self._lines.append(line)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Kill the node if it still runs (after ``stop`` it does not); collect its output."""
        if self.alive():
            self.process.kill()
            self.process.wait()
        self._reader.join(5.0)

    @property
    def pid(self):
        """The node's process id."""
        return self.process.pid

    @property
    def returncode(self):
        """Exit status (negative: killed by that signal); None while it runs."""
        return self.process.poll()

    @property
    def lines(self):
        """Return the node's last non-empty output lines, oldest first (no colour codes)."""
        with self._lock:
            return list(self._lines)

    @property
    def output(self):
        """The node's last output lines as one text."""
        return '\n'.join(self.lines)

    def alive(self):
        """Whether the node is still running."""
        return self.process.poll() is None

    def last_line(self):
        """Return the node's last log line ('' if none)."""
        lines = self.lines
        return lines[-1] if lines else ''

    def wait_for(self, text, timeout=60.0):
        """Wait until a line holds ``text``; False when the node exited or ``timeout`` s passed."""
        end = time.monotonic() + timeout
        while True:
            if any(text in line for line in self.lines):
                return True
            if not self.alive():  # its last lines may still be on their way
                self._reader.join(5.0)
                return any(text in line for line in self.lines)
            if time.monotonic() >= end:
                return False
            time.sleep(0.05)

    def wait_started(self, timeout=120.0):
        """Wait for the node's start-up line; False if it exited or took too long."""
        return self.wait_for(STARTED, timeout)

    def wait(self, timeout=60.0):
        """Wait for the node to exit by itself; return its status (TimeoutExpired after)."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(5.0)
        return code

    def stop(self, signals=(signal.SIGINT,), timeout=STOP_TIMEOUT_S, gap_s=0.0):
        """Send ``signals`` (``gap_s`` s apart) while it runs; kill it after ``timeout`` s.

        Returns the final stats dict ({} if the node logged none). ``exit_s`` holds the
        seconds from the first signal to the exit (inf when it had to be killed).
        """
        start = time.monotonic()
        for number in signals:
            if self.alive():
                self.process.send_signal(number)
            if gap_s:
                time.sleep(gap_s)
        try:
            self.process.wait(timeout=timeout)
            self.exit_s = time.monotonic() - start
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self.exit_s = float('inf')
        self._reader.join(5.0)
        return self.final_stats or {}
