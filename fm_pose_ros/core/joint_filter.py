# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Temporal smoothing of joint tracks: the One Euro filter (Casiez, Roussel, Vogel, CHI 2012).

Each coordinate is low-pass filtered with a cutoff that rises with its speed: slow motion is
smoothed hard (little jitter), fast motion lightly (little lag). Per frame, with ``dt`` the
time since the previous frame (s):

- speed ``dx = (x - x_prev) / dt``, itself low-passed with cutoff ``d_cutoff`` (Hz);
- cutoff ``f = min_cutoff + beta * |dx|`` (Hz; ``|dx|`` in mm/s, so ``beta`` is 1/mm);
- ``x_hat = x_hat_prev + alpha (x - x_hat_prev)``, ``alpha = 1 / (1 + 1 / (2 pi f dt))``.

The speed used is that of the whole joint (the norm of its 3D velocity), so a joint's three
coordinates share one cutoff. The filter starts over (the first frame passes unchanged) after
``reset()``, when a stamp goes backwards or repeats, and when more than ``max_gap_s`` passed
since the previous frame.
"""

import math

import numpy as np

MAX_GAP_S = 0.5     # a longer gap between frames: start over (the hand may have moved anywhere)


def smoothing_factor(cutoff_hz, dt_s):
    """Exponential smoothing factor ``alpha`` in (0, 1] of a first-order low-pass filter."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz, np.float64))
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """One Euro filter over arrays of points ``(J, 3)`` (any unit; mm in this package)."""

    def __init__(self, min_cutoff=1.0, beta=0.0, d_cutoff=1.0, max_gap_s=MAX_GAP_S):
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0 or max_gap_s <= 0:
            raise ValueError('need min_cutoff > 0, d_cutoff > 0, beta >= 0 and max_gap_s > 0, '
                             f'got {min_cutoff}, {d_cutoff}, {beta} and {max_gap_s}')
        self.min_cutoff, self.beta, self.d_cutoff = float(min_cutoff), float(beta), float(d_cutoff)
        self.max_gap_s = float(max_gap_s)
        self.reset()

    def reset(self):
        """Forget the track: the next frame passes unchanged."""
        self._last_t = None
        self._x = None      # filtered points (J, 3)
        self._dx = None     # filtered velocity (J, 3), units per second

    def __call__(self, points, stamp_s):
        """Return the filtered ``points`` (same shape) at time ``stamp_s`` (seconds)."""
        points = np.asarray(points, np.float64)
        dt = None if self._last_t is None else stamp_s - self._last_t
        if dt is None or dt <= 0.0 or dt > self.max_gap_s or self._x is None or (
                self._x.shape != points.shape):
            self._last_t, self._x, self._dx = stamp_s, points.copy(), np.zeros_like(points)
            return points.copy()
        velocity = (points - self._x) / dt
        self._dx = self._dx + smoothing_factor(self.d_cutoff, dt) * (velocity - self._dx)
        speed = np.linalg.norm(self._dx, axis=-1, keepdims=True)
        alpha = smoothing_factor(self.min_cutoff + self.beta * speed, dt)
        self._x = self._x + alpha * (points - self._x)
        self._last_t = stamp_s
        return self._x.copy()
