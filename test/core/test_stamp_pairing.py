# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Pairing colour and depth frames by stamp: missing, early, late, out of tolerance."""

import threading
import time

from fm_pose_ros.core.stamp_pairing import (
    LATE, MISSING, OUT_OF_TOLERANCE, PAIRED, StampPairer)

MS = 1_000_000  # ns
STAMP = 1_700_000_000 * 10**9


def pairer(wait_s=0.2, tolerance_ms=10):
    return StampPairer(tolerance_ms * MS, wait_s)


def test_depth_missing_returns_at_once():
    start = time.monotonic()
    pairing = pairer(wait_s=1.0).match(STAMP)
    assert pairing.status == MISSING and pairing.payload is None
    assert time.monotonic() - start < 0.1


def test_depth_early_is_paired_with_the_nearest_stamp():
    p = pairer()
    p.add(STAMP - 40 * MS, 'previous')
    p.add(STAMP - 3 * MS, 'this')
    pairing = p.match(STAMP)
    assert (pairing.status, pairing.payload, pairing.offset_ns) == (PAIRED, 'this', -3 * MS)


def test_depth_late_is_waited_for():
    p = pairer(wait_s=2.0)
    p.add(STAMP - 33 * MS, 'previous')  # the stream is live
    later = threading.Timer(0.05, lambda: p.add(STAMP + 2 * MS, 'this'))
    later.start()
    start = time.monotonic()
    pairing = p.match(STAMP)
    later.join()
    assert (pairing.status, pairing.payload) == (PAIRED, 'this')
    assert 0.03 < time.monotonic() - start < 1.0


def test_depth_too_late_gives_up_after_the_wait():
    p = pairer(wait_s=0.1)
    p.add(STAMP - 33 * MS, 'previous')
    start = time.monotonic()
    pairing = p.match(STAMP)
    assert pairing.status == LATE
    assert 0.09 < time.monotonic() - start < 0.5


def test_out_of_tolerance_when_the_stream_has_moved_past():
    p = pairer(wait_s=1.0)
    p.add(STAMP - 40 * MS, 'before')
    p.add(STAMP + 25 * MS, 'after')
    start = time.monotonic()
    assert p.match(STAMP).status == OUT_OF_TOLERANCE
    assert time.monotonic() - start < 0.1


def test_a_stale_stream_is_missing_but_a_kept_frame_still_pairs():
    clock = [0.0]
    p = StampPairer(10 * MS, 0.5, live_s=1.0, clock=lambda: clock[0])
    p.add(STAMP, 'kept')
    clock[0] = 5.0  # no depth for 5 s: not live
    assert p.match(STAMP + 1 * MS).payload == 'kept'
    assert p.match(STAMP + 100 * MS).status == MISSING


def test_capacity_keeps_the_newest_frames():
    p = StampPairer(1 * MS, 0.0, capacity=2)
    for i in range(4):
        p.add(STAMP + i * 33 * MS, i)
    assert p.match(STAMP).status != PAIRED
    assert p.match(STAMP + 99 * MS).payload == 3
