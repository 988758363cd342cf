# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""A one-slot, newest-frame-wins worker thread with drop and latency accounting. No ROS.

The subscription callback only calls ``submit(frame)``: it never waits for inference and
does no conversion (the nodes hand over the serialized message; the worker thread decodes it,
so a dropped frame costs one counter update and a reference swap). If
the worker is still busy with an older frame, the waiting frame is replaced by the newer one
and counted as dropped, so latency stays bounded when frames come faster than the network.
"""

from collections import Counter, deque
import logging
import threading
import time

import numpy as np

LOGGER = logging.getLogger(__name__)


class FrameStats:
    """Counters (frames in/out, drops, skip reasons) and recent processing times in ms."""

    def __init__(self, window=1000):
        self.counts = Counter()
        self.latency_ms = deque(maxlen=window)
        self.lock = threading.Lock()

    def count(self, key, n=1):
        """Add ``n`` to counter ``key``."""
        with self.lock:
            self.counts[key] += n

    def add_latency(self, ms):
        """Record one processing time in ms."""
        with self.lock:
            self.latency_ms.append(ms)

    def summary(self):
        """Counters plus p50/p95/p99/max of the recent processing times (ms)."""
        with self.lock:
            counts = dict(self.counts)
            latencies = np.array(self.latency_ms, dtype=np.float64)
        if latencies.size:
            for q in (50, 95, 99):
                counts[f'p{q}_ms'] = round(float(np.percentile(latencies, q)), 3)
            counts['max_ms'] = round(float(latencies.max()), 3)
        return counts


class FrameWorker:
    """Runs ``process(frame, received_at)`` on a background thread, newest frame first."""

    def __init__(self, process, stats=None):
        self.process = process
        self.stats = stats or FrameStats()
        self._pending = None
        self.last_received = None  # time.perf_counter() of the newest submitted frame
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name='frame_worker', daemon=True)
        self._thread.start()

    def submit(self, frame):
        """Hand a frame to the worker; replaces (and counts as dropped) a waiting one."""
        received = self.last_received = time.perf_counter()
        self.stats.count('frames_in')
        with self._cond:
            if self._pending is not None:
                self.stats.count('dropped')
            self._pending = (frame, received)
            self._cond.notify()

    def _loop(self):
        while True:
            with self._cond:
                while self._pending is None and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                frame, received = self._pending
                self._pending = None
            try:
                self.process(frame, received)
            except Exception:  # keep serving: one bad frame must not end the worker
                self.stats.count('errors')
                LOGGER.exception('frame processing failed')

    def stop(self, timeout=2.0):
        """Stop the thread after the frame in progress (a waiting frame is discarded)."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout)
