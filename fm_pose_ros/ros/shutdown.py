# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Signals and a bounded exit for the node processes. Imports nothing heavy on purpose.

The first SIGINT/SIGTERM raises KeyboardInterrupt in the main thread (so start-up, e.g. a
weights file being loaded, is interrupted too) and sets ``STOP``; later ones only set it, so
a second signal can never interrupt the shutdown that the first one started. ``watchdog``
ends the process with ``os._exit`` if the middleware teardown blocks.
"""

import os
import signal
import sys
import threading
import time

STOP = threading.Event()  # set by the first signal (or by the shutdown itself)
TEARDOWN_LIMIT_S = 3.0     # the process ends this long after teardown began, whatever blocks


def _on_signal(signum, frame):
    first = not STOP.is_set()
    STOP.set()
    if first:
        raise KeyboardInterrupt(signal.Signals(signum).name)


def interrupted(exc):
    """Return True if ``exc`` ends start-up because of a signal.

    That is the first signal's KeyboardInterrupt, or any error raised after a signal: a native
    import it interrupts can re-raise it as its own error (onnxruntime: ImportError).
    """
    return isinstance(exc, KeyboardInterrupt) or STOP.is_set()


def install():
    """Route SIGINT and SIGTERM to ``_on_signal`` (also in a background job's ignored SIGINT)."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)


def _expire(code, limit_s):
    time.sleep(limit_s)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def watchdog(code=0, limit_s=TEARDOWN_LIMIT_S):
    """Start a daemon thread that exits the process with ``code`` after ``limit_s``."""
    STOP.set()
    thread = threading.Thread(target=_expire, args=(code, limit_s), name='exit_watchdog',
                              daemon=True)
    thread.start()
    return thread
