# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""fm_pose_ros/core/torch_check.py: a torch older than 2.2 is refused in one line."""

import ast
import os

import pytest
from test_lint import REPO
import torch

from fm_pose_ros.core import torch_check


@pytest.mark.parametrize('text, expected', [
    ('2.13.0+cpu', (2, 13)), ('1.13.0a0+gitunknown', (1, 13)), ('2.2', (2, 2)),
    ('10.0.1', (10, 0)), ('unknown', None), ('', None), (None, None)])
def test_parse_version(text, expected):
    assert torch_check.parse_version(text) == expected


@pytest.mark.parametrize('version', ['1.13.0', '1.13.0a0+gitunknown', '2.1.2+cu121'])
def test_an_old_torch_is_one_line_saying_how_to_install_a_supported_one(version):
    problem = torch_check.torch_problem(version)
    assert problem.startswith(f'torch {version} is installed, but fm_pose_ros needs torch >= 2.2')
    assert "pip install 'torch>=2.2'" in problem and '\n' not in problem


def test_missing_torch_and_hostile_versions_are_one_line():
    assert torch_check.torch_problem(None).startswith('torch is not installed: pip install')
    problem = torch_check.torch_problem('1.0\x1b[2J\n[FATAL] forged')
    assert '\x1b' not in problem and '\n' not in problem and '\\x1b[2J\\n' in problem


@pytest.mark.parametrize('version', ['2.2.0', '2.13.0+cpu', '3.0.0', 'a-source-build'])
def test_a_supported_or_unreadable_version_passes(version):
    assert torch_check.torch_problem(version) is None


def test_reads_the_installed_torch_and_agrees_with_setup_py():
    assert torch_check.installed_torch_version() == torch.__version__
    with open(os.path.join(REPO, 'setup.py'), encoding='utf-8') as handle:
        strings = {n.value for n in ast.walk(ast.parse(handle.read()))
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert 'torch>={0}.{1}'.format(*torch_check.MIN_TORCH) in strings
