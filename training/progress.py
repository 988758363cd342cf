# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Progress of a training loop: a tqdm bar on a terminal, plain log lines in a log file.

A bar redrawn many times per second is fine on a terminal and megabytes of carriage-return
lines in a redirected log, so the bar shows only when stderr is a terminal. The loops
(training/train.py, training/locator.py) log one line every N steps either way, with
``Rate.text`` giving its steps per second and time left.
"""

import sys
import time

from tqdm import tqdm


def on_terminal(stream=None):
    """Whether ``stream`` (default: stderr) is an interactive terminal."""
    stream = sys.stderr if stream is None else stream
    return bool(getattr(stream, 'isatty', lambda: False)())


def bar(total, initial=0, desc=None, show=True):
    """Return a tqdm bar of ``total`` steps, silent unless ``show`` and stderr is a terminal."""
    return tqdm(total=total, initial=initial, desc=desc, disable=not (show and on_terminal()))


def clock_text(seconds):
    """``h:mm:ss`` of a duration in seconds (``?`` when unknown)."""
    if seconds is None or seconds != seconds or seconds == float('inf'):
        return '?'
    seconds = int(round(seconds))
    return f'{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'


class Rate:
    """Steps per second since ``start`` (first step of this process) and the time left."""

    def __init__(self, total, start=0, clock=time.monotonic):
        self.total, self.start, self.clock = total, start, clock
        self.started = clock()

    def text(self, step):
        """``'12.3 steps/s, ETA 0:04:10'`` at ``step`` (of ``total``)."""
        elapsed = self.clock() - self.started
        rate = (step - self.start) / elapsed if elapsed > 0 else 0.0
        left = (self.total - step) / rate if rate > 0 else None
        return f'{rate:.2f} steps/s, ETA {clock_text(left)}'
