# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""depth_sweep: variants of the depth refinement's settings, read from the command line."""

import pytest

from fm_pose_ros.core.depth_refine import RefineSettings
from training.tools.depth_sweep import DEFAULT_VARIANTS, main, parse_variant


def test_variants_change_only_the_named_settings():
    name, settings = parse_variant('strict:min_inlier_fraction=0.8,iterations=5')
    assert name == 'strict'
    assert (settings.min_inlier_fraction, settings.iterations) == (0.8, 5)
    assert isinstance(settings.iterations, int)
    assert settings.restart_deg == RefineSettings().restart_deg
    assert parse_variant('defaults:')[1] == RefineSettings()
    assert len({parse_variant(v)[1] for v in DEFAULT_VARIANTS}) == len(DEFAULT_VARIANTS)


@pytest.mark.parametrize('text, message', [('x:no_such=1', "no setting 'no_such'"),
                                           ('x:min_inlier_fraction=0', 'min_inlier_fraction')])
def test_bad_variants_are_one_line_errors(text, message, capsys, tmp_path):
    with pytest.raises(ValueError, match=message):
        parse_variant(text)
    assert main(['--weights', str(tmp_path / 'none.safetensors'), '--variant', text]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0 and message in err
