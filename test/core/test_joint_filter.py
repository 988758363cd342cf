# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""One Euro filter: less jitter at a bounded lag on a noisy track; starting over."""

import numpy as np
import pytest

from fm_pose_ros.core.joint_filter import OneEuroFilter
from fm_pose_ros.evaluation.metrics import track_jitter_mm, track_lag_s

RATE_HZ = 30.0


def noisy_track(speed_mm_s=150.0, noise_mm=3.0, frames=120, seed=0):
    """A joint set moving at constant velocity (x), seen with Gaussian noise: (T, 14, 3)."""
    t = np.arange(frames) / RATE_HZ
    truth = np.zeros((frames, 14, 3)) + np.arange(14)[None, :, None] * 10.0
    truth[..., 0] += speed_mm_s * t[:, None]
    noise = np.random.default_rng(seed).normal(0.0, noise_mm, truth.shape)
    return truth, truth + noise


def run(smoother, track):
    return np.stack([smoother(points, i / RATE_HZ) for i, points in enumerate(track)])


def test_filter_cuts_jitter_with_a_bounded_lag():
    truth, seen = noisy_track()
    raw_jitter = track_jitter_mm(seen, truth)
    slow = run(OneEuroFilter(min_cutoff=1.0, beta=0.0), seen)
    assert track_jitter_mm(slow, truth) < raw_jitter / 5
    # a first-order low-pass lags a ramp by 1 / (2 pi f_c): 159 ms at 1 Hz
    assert 0.12 < track_lag_s(slow, truth, 1 / RATE_HZ) < 0.2
    quick = run(OneEuroFilter(min_cutoff=1.0, beta=0.02), seen)
    assert track_jitter_mm(quick, truth) < raw_jitter / 2
    assert track_lag_s(quick, truth, 1 / RATE_HZ) < 0.08      # speed raises the cutoff
    assert abs(track_lag_s(seen, truth, 1 / RATE_HZ)) < 0.01


def test_first_frame_passes_and_the_filter_starts_over():
    truth, seen = noisy_track(frames=5)
    smoother = OneEuroFilter(min_cutoff=0.5)
    np.testing.assert_array_equal(smoother(seen[0], 10.0), seen[0])
    assert not np.allclose(smoother(seen[1], 10.0 + 1 / RATE_HZ), seen[1])
    np.testing.assert_array_equal(smoother(seen[2], 9.0), seen[2])        # stamp went back
    np.testing.assert_array_equal(smoother(seen[3], 9.0), seen[3])        # repeated stamp
    np.testing.assert_array_equal(smoother(seen[4], 20.0), seen[4])       # gap > 0.5 s
    smoother(seen[0], 20.03)
    smoother.reset()
    np.testing.assert_array_equal(smoother(seen[1], 20.06), seen[1])


def test_bad_settings_are_refused():
    for kwargs in ({'min_cutoff': 0.0}, {'beta': -1.0}, {'d_cutoff': 0.0}, {'max_gap_s': 0}):
        with pytest.raises(ValueError, match='min_cutoff > 0'):
            OneEuroFilter(**kwargs)
