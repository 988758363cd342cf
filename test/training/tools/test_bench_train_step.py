# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The training-step benchmark measures object variants from their config files."""

import pytest

pytest.importorskip('moderngl')


def test_object_variants_come_from_config_files(tmp_path):
    from training.tools import bench_train_step
    config = tmp_path / 'tiny_dense.yaml'
    config.write_text('task: object\nnet: {head: dense, stage_channels: [8, 16, 16]}\n')
    out = tmp_path / 'table.md'
    assert bench_train_step.main(['--task', 'object', '--configs', str(config),
                                  '--steps', '1', '--threads', '1', '--out', str(out)]) == 0
    row = out.read_text().strip().splitlines()[-1]
    assert row.startswith('| tiny_dense |')
    assert 'render 32 synthetic crops (ms)' in out.read_text()


def test_object_task_needs_config_files():
    from training.tools import bench_train_step
    with pytest.raises(SystemExit):
        bench_train_step.main(['--task', 'object'])


def test_hand_variants_come_from_config_files_with_their_layout(tmp_path):
    from training.tools import bench_train_step
    config = tmp_path / 'tiny_group.yaml'
    config.write_text('task: hand\nchannels_last: true\ncrop: {crop_size: 32}\n'
                      'net: {in_size: 32, head: dense, norm: group, stage_channels: [8, 16]}\n')
    name, net, _, channels_last = bench_train_step.config_variant('hand', str(config))
    assert (name, net.norm, net.in_size, channels_last) == ('tiny_group', 'group', 32, True)
    out = tmp_path / 'table.md'
    assert bench_train_step.main(['--configs', str(config), '--steps', '1', '--threads', '1',
                                  '--out', str(out)]) == 0
    assert out.read_text().strip().splitlines()[-1].startswith('| tiny_group |')


def test_built_in_variants_state_their_layout_whatever_their_name(monkeypatch):
    from training.tools import bench_train_step
    assert all(isinstance(variant['channels_last'], bool)
               for variant in bench_train_step.VARIANTS.values())
    net = {'in_size': 32, 'stage_channels': [4, 8, 8, 16], 'feature_dim': 32}
    monkeypatch.setattr(bench_train_step, 'VARIANTS', {
        'nhwc': {'net': net, 'channels_last': True},
        'channels_last in the name only': {'net': net, 'channels_last': False}})
    found = bench_train_step.variants('hand', [])
    assert [(name, layout) for name, _, _, layout in found] == [
        ('nhwc', True), ('channels_last in the name only', False)]
