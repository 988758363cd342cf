# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Signals and a bounded exit for the node processes. Imports nothing heavy on purpose.

SIGINT, SIGTERM and SIGHUP (a closed terminal) are handled alike. The first one raises
KeyboardInterrupt in the main thread (so start-up, e.g. a weights file being loaded, is
interrupted too) and sets ``STOP``; later ones only set it, so a second signal can never
interrupt the shutdown that the first one started. Once the teardown begins (``watchdog``)
the signals are ignored outright: Python's own finalization would otherwise restore their
default action, and a signal then would kill the process. ``watchdog`` ends the process
with ``os._exit`` if the middleware teardown blocks; ``exit_now`` ends it once the teardown
is done, skipping the interpreter's finalization (the middleware's and the inference
libraries' destructors: about a second, and nothing left to save).
"""

import ctypes
import os
import signal
import sys
import threading
import time

STOP = threading.Event()  # set by the first signal (or by the shutdown itself)
TEARDOWN_LIMIT_S = 3.0     # the process ends this long after teardown began, whatever blocks
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


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
    """Route SIGNALS to ``_on_signal`` (also in a background job's ignored SIGINT)."""
    for signum in SIGNALS:
        signal.signal(signum, _on_signal)


def ignore():
    """Ignore SIGNALS from now on (the teardown has begun; STOP is set)."""
    STOP.set()
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def exit_now(code):
    """Flush Python's and C's output streams, then end the process with ``code``."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        ctypes.CDLL(None).fflush(None)  # rcutils logs through C stdio
    except (OSError, AttributeError):
        pass
    os._exit(code)


def _expire(code, limit_s):
    time.sleep(limit_s)
    exit_now(code)


def watchdog(code=0, limit_s=TEARDOWN_LIMIT_S):
    """Ignore further signals; start a daemon thread that exits with ``code`` after ``limit_s``.

    Call it from the main thread (signal handlers can only be set there).
    """
    ignore()
    thread = threading.Thread(target=_expire, args=(code, limit_s), name='exit_watchdog',
                              daemon=True)
    thread.start()
    return thread
