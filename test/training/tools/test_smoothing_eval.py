# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The smoothing and fitting table on the demo motion: a tiny run, filters, bad arguments."""

import numpy as np
import pytest

from training.tools.smoothing_eval import main, parse_filter, smooth


def test_a_tiny_run_prints_a_row_per_fit_and_filter(weights_path, capsys):
    assert main(['--frames', '6', '--weights', weights_path, '--fit-iterations', '0,1',
                 '--filters', 'none', '1,0.05,1']) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith('| ')]
    assert len(rows) == 1 + 4                                   # header + 2 fits x 2 filters
    assert rows[1].startswith('| 0 | off |') and rows[4].startswith('| 1 | 1, 0.05, 1 |')


def test_filters_start_over_at_frames_without_a_hand():
    track = np.random.default_rng(0).normal(0.0, 5.0, (6, 14, 3))
    assert smooth(track, None) is track
    track[3] = np.nan
    out = smooth(track, (1.0, 0.0, 1.0))
    assert np.isnan(out[3]).all()
    np.testing.assert_array_equal(out[4], track[4])            # first frame after the gap
    assert not np.allclose(out[5], track[5])


@pytest.mark.parametrize('text', ['1,2', 'x', '0,0,1'])
def test_bad_filters_are_one_readable_error(text, capsys):
    with pytest.raises(ValueError):
        parse_filter(text)
    assert main(['--filters', text]) == 2
    assert capsys.readouterr().err.startswith('smoothing_eval: ')
