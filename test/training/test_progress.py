# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Training progress: a bar only on a terminal, steps per second and the time left."""

import io

from training.progress import bar, clock_text, on_terminal, Rate


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run_bar(monkeypatch, stream, **kwargs):
    """Output of a 10-step bar written while stderr is ``stream``."""
    monkeypatch.setattr('sys.stderr', stream)
    progress = bar(10, desc='steps', **kwargs)
    for _ in range(10):
        progress.update(1)
    progress.close()
    return stream.getvalue()


def test_the_bar_shows_only_on_a_terminal(monkeypatch):
    assert on_terminal(Terminal()) and not on_terminal(io.StringIO())
    assert 'steps' in run_bar(monkeypatch, Terminal()) and '10/10' in run_bar(
        monkeypatch, Terminal())
    assert run_bar(monkeypatch, io.StringIO()) == ''              # a log file
    assert run_bar(monkeypatch, Terminal(), show=False) == ''     # DDP ranks other than 0


def test_rate_counts_from_the_first_step_of_this_process():
    seconds = [100.0]
    rate = Rate(total=1000, start=200, clock=lambda: seconds[0])
    seconds[0] += 40.0                               # 200 steps in 40 s: 5 steps/s
    steps_left = 1000 - 400
    assert rate.text(400) == f'5.00 steps/s, ETA {clock_text(steps_left / 5.0)}'
    assert clock_text(steps_left / 5.0) == '0:02:00'
    assert clock_text(3725.4) == '1:02:05' and clock_text(None) == '?'
    assert Rate(10, clock=lambda: 0.0).text(0).endswith('ETA ?')
