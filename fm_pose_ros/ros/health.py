# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Node health as ``diagnostic_msgs/DiagnosticArray`` on ``/diagnostics`` (docs/interfaces.md).

One DiagnosticStatus per node, named after the node's fully qualified name: input and output
rates (Hz) since the previous report, counters, processing p50/p99 (ms), age of the last
frame (s). Level OK while frames arrive; WARN with ``no input for N s on <topic>`` when
nothing arrived for ``NO_INPUT_WARN_S``; ERROR never (a node that cannot serve exits).
"""

import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

NO_INPUT_WARN_S = 5.0  # no frame for this long (or since start): level WARN


class Health:
    """Turns FrameWorker statistics into rates and a DiagnosticStatus."""

    def __init__(self, name, topic, stats, last_received, started=None):
        self.name, self.topic, self.stats = name, topic, stats
        self.last_received = last_received  # callable -> perf_counter() of the last frame
        self.started = time.perf_counter() if started is None else started
        self._previous = (self.started, 0, 0)  # (time, frames_in, frames_out)

    def silence_s(self, now=None):
        """Seconds since the last frame arrived (or since start when none has)."""
        now = time.perf_counter() if now is None else now
        last = self.last_received()
        return now - (self.started if last is None else last)

    def no_input_message(self, now=None):
        """``no input for N s on <topic>`` when silent for NO_INPUT_WARN_S or more, else None."""
        silence = self.silence_s(now)
        if silence < NO_INPUT_WARN_S:
            return None
        return f'no input for {silence:.0f} s on {self.topic}'

    def status(self, extra=None):
        """Build the status now (also advances the rate window)."""
        now = time.perf_counter()
        summary = self.stats.summary()
        frames_in, frames_out = summary.get('frames_in', 0), summary.get('frames_out', 0)
        then, in_before, out_before = self._previous
        self._previous = (now, frames_in, frames_out)
        span = max(now - then, 1e-6)
        last = self.last_received()
        values = {'input_topic': self.topic,
                  'input_rate_hz': f'{(frames_in - in_before) / span:.2f}',
                  'output_rate_hz': f'{(frames_out - out_before) / span:.2f}',
                  'dropped': str(summary.get('dropped', 0)),
                  'processing_p50_ms': str(summary.get('p50_ms', '')),
                  'processing_p99_ms': str(summary.get('p99_ms', '')),
                  'last_frame_age_s': '' if last is None else f'{now - last:.2f}'}
        values.update({k: str(v) for k, v in summary.items() if k not in values})
        values.update(extra or {})
        problem = self.no_input_message(now)
        level, message = ((DiagnosticStatus.WARN, problem) if problem
                          else (DiagnosticStatus.OK, 'receiving frames'))
        return DiagnosticStatus(level=level, name=self.name, message=message,
                                hardware_id=self.topic,
                                values=[KeyValue(key=k, value=v) for k, v in values.items()])

    def array(self, stamp, extra=None):
        """Build the array with this node's status, header stamp ``stamp`` (builtin Time)."""
        msg = DiagnosticArray(status=[self.status(extra)])
        msg.header.stamp = stamp
        return msg
