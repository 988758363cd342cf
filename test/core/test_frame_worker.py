# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""FrameWorker: newest frame wins, drops and errors are counted, the worker survives."""

import threading
import time

from fm_pose_ros.core.frame_worker import FrameWorker


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.005)
    return predicate()


def test_newest_frame_wins_while_busy():
    release = threading.Event()
    seen = []

    def process(frame, _received):
        seen.append(frame)
        if frame == 0:
            release.wait(5.0)
    worker = FrameWorker(process)
    worker.submit(0)
    assert wait_for(lambda: seen == [0])
    for frame in range(1, 6):
        worker.submit(frame)
    release.set()
    assert wait_for(lambda: seen == [0, 5])
    summary = worker.stats.summary()
    assert summary['frames_in'] == 6 and summary['dropped'] == 4
    worker.stop()


def test_exception_is_counted_and_worker_keeps_serving():
    seen = []

    def process(frame, _received):
        if frame == 'bad':
            raise RuntimeError('boom')
        seen.append(frame)
    worker = FrameWorker(process)
    worker.submit('bad')
    assert wait_for(lambda: worker.stats.summary().get('errors') == 1)
    worker.submit('good')
    assert wait_for(lambda: seen == ['good'])
    worker.stop()


def test_latency_percentiles():
    worker = FrameWorker(lambda *_: None)
    for ms in range(1, 101):
        worker.stats.add_latency(float(ms))
    summary = worker.stats.summary()
    assert summary['p50_ms'] == 50.5 and 99.0 < summary['p99_ms'] <= 100.0
    worker.stop()
