# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The four ROS 2 package lint checks: flake8 (99 columns), pep257, copyright, package.xml."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIRS = ('fm_pose_ros', 'training', 'benchmarks', 'test', 'launch')
# ament_pep257's default ignore list
PEP257_IGNORE = 'D100,D101,D102,D103,D104,D105,D106,D107,D203,D212,D404'


def python_files():
    files = ['setup.py']
    for folder in SOURCE_DIRS:
        for root, _, names in os.walk(os.path.join(REPO, folder)):
            files += [os.path.relpath(os.path.join(root, n), REPO)
                      for n in names if n.endswith('.py')]
    return sorted(files)


def run(*command):
    return subprocess.run([sys.executable, '-m', *command], cwd=REPO, capture_output=True,
                          text=True)


@pytest.mark.linter
def test_flake8():
    result = run('flake8', '--max-line-length=99', *python_files())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.linter
def test_flake8_import_order_plugin_is_active():
    # setup.cfg asks for import-order-style = google: without the plugin that rule is off
    result = run('flake8', '--version')
    assert 'import_order' in result.stdout.replace('-', '_'), result.stdout


@pytest.mark.linter
def test_pep257():
    result = run('pydocstyle', f'--add-ignore={PEP257_IGNORE}', *python_files())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.linter
def test_copyright():
    missing = []
    for path in python_files():
        with open(os.path.join(REPO, path), encoding='utf-8') as handle:
            head = handle.read(300)
        if 'Copyright' not in head or 'SPDX-License-Identifier: Apache-2.0' not in head:
            missing.append(path)
    assert not missing, f'files without the copyright/licence header: {missing}'


@pytest.mark.linter
def test_package_xml():
    root = ET.parse(os.path.join(REPO, 'package.xml')).getroot()
    assert root.tag == 'package' and root.get('format') == '3'
    for tag in ('name', 'version', 'description', 'maintainer', 'license'):
        assert root.find(tag) is not None and root.find(tag).text.strip(), tag
    assert root.find('name').text == 'fm_pose_ros'
    assert root.find('export/build_type').text == 'ament_python'
    with open(os.path.join(REPO, 'setup.py'), encoding='utf-8') as handle:
        assert f"version='{root.find('version').text}'" in handle.read()
