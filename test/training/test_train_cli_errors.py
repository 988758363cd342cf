# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``python -m training.train`` on bad inputs: exit non-zero with one line naming the cause.

Real subprocesses on real (damaged) files with the tiny hand settings of conftest.py.
"""

import json
import os
import subprocess
import sys

from conftest import TINY_HAND
import pytest
from safetensors.torch import save_file
import torch

TINY = TINY_HAND + ['optim.stage1_steps=3', 'optim.stage2_steps=3', 'ckpt_every=2']
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def train(tmp_path, *args, sets=()):
    """Run the trainer CLI on one run; return (exit code, stderr lines without log lines)."""
    plain = tmp_path / 'plain.yaml'
    plain.write_text('task: hand\n')
    command = [sys.executable, '-m', 'training.train', '--config', str(plain), '--method',
               'synthetic', '--out', str(tmp_path / 'run'),
               '--set', f'data.cache_dir={tmp_path / "cache"}']
    for value in [*TINY, *sets]:
        command += ['--set', value]
    result = subprocess.run(command + list(args), capture_output=True, text=True, cwd=ROOT,
                            timeout=600, env={**os.environ, 'PYTHONWARNINGS': 'ignore'})
    return result.returncode, result.stderr.strip().splitlines()


def one_line(code, lines, *words):
    assert code != 0 and len(lines) == 1 and lines[0].startswith('training.train: '), lines
    assert all(word in lines[0] for word in words), lines


def test_missing_data_source(tmp_path):
    code, lines = train(tmp_path, sets=['data.source=/nonexistent'])
    one_line(code, lines, '/nonexistent')


def test_corrupt_nyu_joint_data(tmp_path):
    root = tmp_path / 'nyu'
    for split in ('train', 'test'):
        (root / split).mkdir(parents=True)
        (root / split / 'joint_data.mat').write_bytes(b'MATLAB 5.0 MAT-file' + os.urandom(400))
    code, lines = train(tmp_path, sets=[f'data.source={root}'])
    one_line(code, lines, 'joint_data.mat')


def make_resume(tmp_path):
    code, lines = train(tmp_path, sets=['optim.stage1_steps=2', 'optim.stage2_steps=0'])
    assert code == 0, lines
    return tmp_path / 'run' / 'resume.safetensors'


def test_truncated_resume_file(tmp_path):
    resume = make_resume(tmp_path)
    resume.write_bytes(resume.read_bytes()[:len(resume.read_bytes()) // 2])
    code, lines = train(tmp_path, '--resume')
    one_line(code, lines, 'resume.safetensors')


def test_resume_with_another_architecture(tmp_path):
    make_resume(tmp_path)
    code, lines = train(tmp_path, '--resume', sets=['net.feature_dim=48'])
    one_line(code, lines, 'resume.safetensors', 'architecture')


def test_truncated_cache_file_is_rebuilt_with_one_warning(tmp_path):
    code, lines = train(tmp_path, sets=['optim.stage1_steps=1', 'optim.stage2_steps=0'])
    assert code == 0, lines
    caches = sorted((tmp_path / 'cache').glob('*.npz'))
    assert caches
    for cache in caches:
        cache.write_bytes(cache.read_bytes()[:100])
    code, lines = train(tmp_path, sets=['optim.stage1_steps=1', 'optim.stage2_steps=0'])
    assert code == 0, lines
    warnings = [line for line in lines if 'rebuilding' in line]
    assert len(warnings) == len(caches) and all(str(tmp_path) in w for w in warnings), lines
    assert not any('Traceback' in line for line in lines), lines
    for cache in caches:
        assert cache.stat().st_size > 100


@pytest.mark.parametrize('text', ['[1, 2]', '{"format": 3}'])
def test_init_weights_with_metadata_of_the_wrong_shape(tmp_path, text):
    weights = tmp_path / 'init.safetensors'
    torch.manual_seed(0)
    save_file({'w': torch.zeros(2)}, weights, metadata={'fm_pose_ros': text})
    code, lines = train(tmp_path, '--init', str(weights))
    one_line(code, lines, 'init.safetensors')
    assert json.loads(text) is not None


@pytest.mark.parametrize('text', ['[' * 100_000 + ']' * 100_000,
                                  '{"format": "fm_pose_ros.weights", "x": ' + '9' * 5000 + '}'])
def test_init_weights_with_hostile_metadata(tmp_path, text):
    weights = tmp_path / 'hostile.safetensors'
    save_file({'w': torch.zeros(2)}, weights, metadata={'fm_pose_ros': text})
    code, lines = train(tmp_path, '--init', str(weights))
    one_line(code, lines, 'hostile.safetensors', 'metadata')
