# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Signals and a bounded exit for the node processes. Imports nothing heavy on purpose.

SIGINT, SIGTERM and SIGHUP (a closed terminal) are handled alike. The first one raises
KeyboardInterrupt in the main thread once ``arm`` was called (so start-up, e.g. a weights file
being loaded, is interrupted too) and sets ``STOP``; later ones only set it, so a second signal
can never interrupt the shutdown that the first one started. Once the teardown begins
(``watchdog``) the signals are ignored outright: Python's own finalization would otherwise
restore their default action, and a signal then would kill the process. Python runs signal
handlers in the main thread between bytecodes only, so a signal that comes while a native
library loads (torch, onnxruntime: seconds on a loaded machine) would wait for it: until
``started``, a guard thread woken by the interpreter's wakeup fd ends the process
``STARTUP_GRACE_S`` after the first signal if the main thread has not ended it by then.
``watchdog`` ends the process with ``os._exit`` if the middleware teardown blocks; ``exit_now``
ends it once the teardown is done, skipping the interpreter's finalization (the middleware's
and the inference libraries' destructors: about a second, and nothing left to save).
"""

import os
import signal
import sys
import threading
import time

STOP = threading.Event()  # set by the first signal (or by the shutdown itself)
TEARDOWN_LIMIT_S = 3.0     # the process ends this long after teardown began, whatever blocks
STARTUP_GRACE_S = 2.0      # ... and this long after a signal during start-up
_STARTED = threading.Event()  # set once the node serves (``started``)
_ARMED = threading.Event()    # the first signal raises KeyboardInterrupt (``arm``)
_GUARD = []                # the start-up guard thread, started by the first ``install``
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _on_signal(signum, frame):
    first = not STOP.is_set()
    STOP.set()
    if first and _ARMED.is_set():
        raise KeyboardInterrupt(signal.Signals(signum).name)


def arm():
    """Let the first signal raise KeyboardInterrupt from now on; raise it now if it came.

    Call it inside the ``try`` that handles that KeyboardInterrupt: a signal between
    ``install`` and that ``try`` would otherwise escape as a traceback.
    """
    _ARMED.set()
    if STOP.is_set():
        raise KeyboardInterrupt('a signal during start-up')


def interrupted(exc):
    """Return True if ``exc`` ends start-up because of a signal.

    That is the first signal's KeyboardInterrupt, or any error raised after a signal: a native
    import it interrupts can re-raise it as its own error (onnxruntime: ImportError).
    """
    return isinstance(exc, KeyboardInterrupt) or STOP.is_set()


def install():
    """Route SIGNALS to ``_on_signal`` (also in a background job's ignored SIGINT).

    The first call also starts the start-up guard (main thread only, as signal handlers).
    """
    for signum in SIGNALS:
        signal.signal(signum, _on_signal)
    if not _GUARD:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        _GUARD.append(threading.Thread(target=_guard_start_up, args=(read_fd,),
                                       name='start_up_guard', daemon=True))
        _GUARD[0].start()


def started():
    """Start-up is over: a signal now ends the process through the node's own teardown."""
    _STARTED.set()


def _guard_start_up(read_fd):
    """Guard thread: the first signal before ``started`` ends the process within the grace."""
    while not _STARTED.is_set():
        if os.read(read_fd, 1) and not _STARTED.wait(STARTUP_GRACE_S):
            exit_now(0)


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
        import ctypes
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
