# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The architecture's boundaries (docs/architecture.md), checked on every import statement.

Function-level (lazy) imports count too: a boundary holds for the whole module.
"""

import ast
import os

import pytest
from test_lint import REPO

# modules that need a ROS graph or ROS message definitions
ROS_MODULES = ('rclpy', 'rcl_interfaces', 'builtin_interfaces', 'std_msgs', 'sensor_msgs',
               'geometry_msgs', 'visualization_msgs', 'diagnostic_msgs', 'launch',
               'launch_ros')
EVALUATION_ONLY = ('rosbags', 'matplotlib')


def module_name(path):
    """``fm_pose_ros/core/weights.py`` -> ``fm_pose_ros.core.weights``."""
    rel = os.path.relpath(path, REPO)[:-len('.py')].replace(os.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def modules(package):
    """``{module name: set of imported module names}`` of every module under ``package``."""
    found = {}
    for root, _, names in os.walk(os.path.join(REPO, *package.split('.'))):
        for name in names:
            if name.endswith('.py'):
                path = os.path.join(root, name)
                with open(path, encoding='utf-8') as handle:
                    tree = ast.parse(handle.read(), path)
                found[module_name(path)] = imported(tree)
    return found


def imported(tree):
    """Absolute module names imported anywhere in ``tree``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def offenders(package, forbidden):
    """``[(module, import)]`` where a module of ``package`` imports a ``forbidden`` prefix."""
    return sorted((module, name) for module, names in modules(package).items()
                  for name in names
                  if any(name == f or name.startswith(f + '.') for f in forbidden))


def test_module_walk_sees_imports():
    graph = modules('fm_pose_ros.ros')
    assert 'rclpy' in graph['fm_pose_ros.ros.pose_node']
    assert offenders('fm_pose_ros.ros', ROS_MODULES), 'the check would pass vacuously'
    runtime_tools = modules('benchmarks')
    assert 'fm_pose_ros.ros.hand_messages' in runtime_tools['benchmarks.soak']
    assert 'fm_pose_ros.evaluation.node_process' in runtime_tools['benchmarks.node_bench_common']


def test_core_imports_no_ros_and_no_upper_layer():
    forbidden = ROS_MODULES + EVALUATION_ONLY + (
        'fm_pose_ros.ros', 'fm_pose_ros.evaluation', 'training')
    assert offenders('fm_pose_ros.core', forbidden) == []


def test_runtime_package_never_imports_training():
    assert offenders('fm_pose_ros', ('training', 'benchmarks')) == []


def test_training_never_imports_the_nodes():
    """The nodes' side (fm_pose_ros.ros, ROS graphs, the runtime benchmarks) is not training's."""
    assert offenders('training', ('fm_pose_ros.ros', 'benchmarks') + ROS_MODULES) == []


def test_nodes_do_not_import_evaluation():
    assert offenders('fm_pose_ros.ros', ('fm_pose_ros.evaluation',) + EVALUATION_ONLY) == []


@pytest.mark.parametrize('package', ['fm_pose_ros.core', 'fm_pose_ros.ros', 'training',
                                     'benchmarks'])
def test_only_evaluation_reads_bags_and_plots(package):
    assert offenders(package, EVALUATION_ONLY) == []


def test_task_modules_import_downward_only():
    upper = ('training.train', 'training.evaluate', 'training.compare', 'training.tasks',
             'training.tools')
    for package in ('training.hand', 'training.object', 'training.render'):
        assert offenders(package, upper) == [], package


def test_no_import_cycles():
    graph = {**modules('fm_pose_ros'), **modules('training'), **modules('benchmarks')}
    graph = {module: {n for n in names if n in graph} for module, names in graph.items()}
    state = {}

    def visit(module, path):
        if state.get(module) == 'done':
            return
        assert state.get(module) != 'open', ' -> '.join(path + [module])
        state[module] = 'open'
        for name in graph[module]:
            visit(name, path + [module])
        state[module] = 'done'

    for module in graph:
        visit(module, [])


def test_architecture_lists_every_core_module():
    with open(os.path.join(REPO, 'docs', 'architecture.md'), encoding='utf-8') as handle:
        text = handle.read()
    table = text.split('### `fm_pose_ros/core/`')[1].split('\n### ')[0]
    listed = {line.split('`')[1] for line in table.splitlines() if line.startswith('| `')}
    present = {name for name in os.listdir(os.path.join(REPO, 'fm_pose_ros', 'core'))
               if name.endswith('.py') and name != '__init__.py'}
    assert listed == present, f'only in the docs: {listed - present}, only in the tree: ' \
                              f'{present - listed}'
