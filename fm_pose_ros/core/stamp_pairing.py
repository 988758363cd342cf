# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Pair a colour frame with the aligned depth frame of (nearly) the same stamp. No ROS here.

The depth frames arrive on their own topic, earlier or later than the colour frame they
belong to. ``StampPairer`` keeps the last few (any payload, keyed by header stamp in integer
ns); ``match(stamp)`` returns the one nearest to the colour stamp within ``tolerance_ns``.
When none is there yet but the depth stream is live (a frame arrived within ``live_s``) and
a matching one can still come (no buffered frame is already past the tolerance window), it
waits for at most ``wait_s``. Outcomes (``Pairing.status``): ``paired``; ``missing`` (no
depth stream: returned at once); ``late`` (waited, nothing came); ``out_of_tolerance`` (depth
frames are arriving, but none within the tolerance of this stamp).
Thread-safe: ``add`` runs on the executor thread, ``match`` on the worker thread.
"""

from collections import deque
from dataclasses import dataclass
import threading
import time

PAIRED, MISSING, LATE, OUT_OF_TOLERANCE = 'paired', 'missing', 'late', 'out_of_tolerance'


@dataclass
class Pairing:
    """The depth payload paired with a colour stamp (None unless ``status`` is ``paired``)."""

    status: str
    payload: object = None
    offset_ns: int = 0  # depth stamp - colour stamp


class StampPairer:
    """Last ``capacity`` depth frames by stamp; pairs colour stamps with them."""

    def __init__(self, tolerance_ns, wait_s, capacity=8, live_s=1.0, clock=time.monotonic):
        self.tolerance_ns, self.wait_s = int(tolerance_ns), float(wait_s)
        self.live_s, self.clock = float(live_s), clock
        self._frames = deque(maxlen=int(capacity))  # (stamp_ns, payload), arrival order
        self._last_arrival = None
        self._changed = threading.Condition()

    def add(self, stamp_ns, payload):
        """Keep one depth frame (executor thread); wakes a waiting ``match``."""
        with self._changed:
            self._frames.append((int(stamp_ns), payload))
            self._last_arrival = self.clock()
            self._changed.notify_all()

    def live(self):
        """Whether a depth frame arrived within the last ``live_s`` seconds."""
        return self._last_arrival is not None and self.clock() - self._last_arrival < self.live_s

    def _nearest(self, stamp_ns):
        best = min(self._frames, key=lambda f: abs(f[0] - stamp_ns), default=None)
        if best is not None and abs(best[0] - stamp_ns) <= self.tolerance_ns:
            return Pairing(PAIRED, best[1], best[0] - stamp_ns)
        return None

    def _passed(self, stamp_ns):
        """Whether a buffered frame is already later than the tolerance window."""
        return any(s > stamp_ns + self.tolerance_ns for s, _ in self._frames)

    def match(self, stamp_ns):
        """Return the Pairing of colour stamp ``stamp_ns`` (waits at most ``wait_s``)."""
        deadline = self.clock() + self.wait_s
        with self._changed:
            if not self.live():
                return self._nearest(stamp_ns) or Pairing(MISSING)
            while True:
                found = self._nearest(stamp_ns)
                if found is not None:
                    return found
                if self._passed(stamp_ns):
                    return Pairing(OUT_OF_TOLERANCE)
                remaining = deadline - self.clock()
                if remaining <= 0:
                    return Pairing(LATE)
                self._changed.wait(remaining)
