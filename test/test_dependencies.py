# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Every import under fm_pose_ros/ is declared: package.xml (rosdep) and setup.py (pip).

Third-party modules: a rosdep key in package.xml (or, where rosdistro has none, named in
package.xml's pip-only comment) and a distribution in setup.py (install_requires for core/
and ros/, install_requires or extras_require['evaluation'] for evaluation/). ROS packages:
an exec_depend of the same name and a ``ros-<name>`` wheel in requirements.txt.
"""

import ast
import os
import re
import sys
import xml.etree.ElementTree as ElementTree

import pytest
from test_lint import REPO

# import name -> (pip distribution, rosdep key or None = no key: named in the pip-only comment)
THIRD_PARTY = {
    'cv2': ('opencv-python-headless', 'python3-opencv'),
    'numpy': ('numpy', 'python3-numpy'),
    'scipy': ('scipy', 'python3-scipy'),
    'yaml': ('pyyaml', 'python3-yaml'),
    'torch': ('torch', 'python3-torch'),
    'onnxruntime': ('onnxruntime', 'python3-onnxruntime-pip'),
    'safetensors': ('safetensors', None),
    'rosbags': ('rosbags', 'python3-rosbags-pip'),
    'mcap': ('mcap', None),
    'matplotlib': ('matplotlib', 'python3-matplotlib'),
    'tqdm': ('tqdm', 'python3-tqdm'),
}
ROS_PACKAGES = {'rclpy', 'rcl_interfaces', 'builtin_interfaces', 'std_msgs', 'sensor_msgs',
                'geometry_msgs', 'visualization_msgs', 'diagnostic_msgs', 'ament_index_python'}
# ROS packages with no wheel (the launch API): an exec_depend, imported inside functions only
LAUNCH_PACKAGES = {'launch', 'launch_ros'}


def imports_by_part():
    """{part ('core', 'ros', 'evaluation'): top-level modules imported there (not stdlib)}."""
    found = {}
    package = os.path.join(REPO, 'fm_pose_ros')
    for root, _, files in os.walk(package):
        part = os.path.relpath(root, package).split(os.sep)[0]
        for name in (f for f in files if f.endswith('.py')):
            with open(os.path.join(root, name), encoding='utf-8') as handle:
                tree = ast.parse(handle.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    modules = [node.module]
                else:
                    continue
                found.setdefault(part, set()).update(
                    m.split('.')[0] for m in modules
                    if m.split('.')[0] not in sys.stdlib_module_names | {'fm_pose_ros'})
    return found


def setup_requirements():
    """(install_requires names, {extra: names}) read from setup.py's literals."""
    with open(os.path.join(REPO, 'setup.py'), encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, 'id', '') == 'setup')
    keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords
                if k.arg in ('install_requires', 'extras_require')}

    def names(requirements):
        return {re.split(r'[<>=!~\[ ;]', r)[0].lower() for r in requirements}
    return (names(keywords['install_requires']),
            {extra: names(reqs) for extra, reqs in keywords['extras_require'].items()})


def package_xml():
    """(exec_depend keys, text of the comments) of package.xml."""
    path = os.path.join(REPO, 'package.xml')
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    keys = {e.text for e in ElementTree.fromstring(text.split('?>', 2)[-1]).iter('exec_depend')}
    return keys, ' '.join(re.findall(r'<!--(.*?)-->', text, re.S))


IMPORTS = imports_by_part()
ALL = sorted(set().union(*IMPORTS.values()))


def test_every_import_is_known():
    unknown = set(ALL) - set(THIRD_PARTY) - ROS_PACKAGES - LAUNCH_PACKAGES
    assert not unknown, f'add these to THIRD_PARTY or ROS_PACKAGES and declare them: {unknown}'


@pytest.mark.parametrize('module', sorted(set(ALL) & set(THIRD_PARTY)))
def test_third_party_import_is_declared_in_package_xml_and_setup(module):
    distribution, key = THIRD_PARTY[module]
    keys, comments = package_xml()
    if key is None:
        assert re.search(rf'pip only[^>]*\b{re.escape(distribution)}\b', comments), module
    else:
        assert key in keys, f'{module}: <exec_depend>{key}</exec_depend> missing'
    required, extras = setup_requirements()
    runtime = any(module in IMPORTS.get(part, ()) for part in ('core', 'ros'))
    allowed = required if runtime else required | extras.get('evaluation', set())
    assert distribution in allowed, f'{module}: {distribution} missing from setup.py'


@pytest.mark.parametrize('module', sorted(set(ALL) & ROS_PACKAGES))
def test_ros_import_is_an_exec_depend_and_a_wheel(module):
    assert module in package_xml()[0], f'<exec_depend>{module}</exec_depend> missing'
    with open(os.path.join(REPO, 'requirements.txt'), encoding='utf-8') as handle:
        wheels = {line.split('#')[0].strip() for line in handle}
    assert 'ros-' + module.replace('_', '-') in wheels, module


@pytest.mark.parametrize('module', sorted(set(ALL) & LAUNCH_PACKAGES))
def test_launch_api_is_an_exec_depend_imported_inside_functions(module):
    assert module in package_xml()[0], f'<exec_depend>{module}</exec_depend> missing'
    package = os.path.join(REPO, 'fm_pose_ros')
    for root, _, files in os.walk(package):
        for name in (f for f in files if f.endswith('.py')):
            with open(os.path.join(root, name), encoding='utf-8') as handle:
                body = ast.parse(handle.read()).body
            top = {n.module for n in body if isinstance(n, ast.ImportFrom) and n.module}
            top |= {a.name for n in body if isinstance(n, ast.Import) for a in n.names}
            assert not {m for m in top if m.split('.')[0] == module}, (name, module)
