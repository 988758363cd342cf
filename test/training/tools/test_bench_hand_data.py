# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The hand data benchmark measures a config's frames, copies and locator, then extrapolates."""

from training.tools import bench_hand_data


def test_costs_are_measured_and_extrapolated_to_the_config(tmp_path, capsys):
    config = tmp_path / 'tiny.yaml'
    config.write_text('data: {num_real_train: 1000, num_real_test: 100, num_real_val: 0,\n'
                      '       robot_copies: 1, train_crops: hand, synthetic_grasp: 0.5,\n'
                      '       locator_steps: 600}\n')
    assert bench_hand_data.main(['--config', str(config), '--frames', '1',
                                 '--locator-steps', '1']) == 0
    out = capsys.readouterr().out
    assert 'with 0 sensor and 1 robot copies, train_crops hand' in out
    lines = dict(line.split(': ', 1) for line in out.strip().splitlines()[1:])
    parts = [float(lines[name].split()[0]) for name in (
        'training frames', 'test and validation frames',
        'locator training (wall-clock, 2 threads)')]
    total = float(lines['data before the first step'].split()[0])
    assert min(parts) > 0 and abs(sum(parts) - total) <= 0.15


def test_bad_arguments_are_one_line_errors(capsys):
    assert bench_hand_data.main(['--config', 'x.yaml', '--frames', '0']) == 2
    assert 'must be positive' in capsys.readouterr().err
