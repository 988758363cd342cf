# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared pieces of the node benchmarks: start hand_node, a VGA depth frame, doc sections.

Times are ``time.monotonic()`` seconds; depth is float mm (0 = invalid).
"""

import os

import numpy as np

from fm_pose_ros.core.fileio import atomic_write_text
from fm_pose_ros.evaluation.node_process import NodeNotFound, NodeProcess

K_VGA = np.array([[475.0, 0.0, 319.5], [0.0, 475.0, 239.5], [0.0, 0.0, 1.0]])


def hand_frame(centre_mm=(30.0, -20.0, 550.0), K=K_VGA, size=(480, 640), radius_mm=45.0):
    """VGA depth (mm, float32): a hand-sized sphere in front of a wall at 2.5 m."""
    height, width = size
    v, u = np.mgrid[:height, :width].astype(np.float64)
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1)
    centre = np.asarray(centre_mm, np.float64)
    a, b = (rays ** 2).sum(-1), rays @ centre
    disc = b ** 2 - a * (centre @ centre - radius_mm ** 2)
    t = (b - np.sqrt(np.maximum(disc, 0.0))) / a
    return np.where(disc > 0, t, 2500.0).astype(np.float32)


def start_hand_node(ros_args, env=None, timeout=120.0):
    """Start ``hand_node`` (its console script) and wait for its start-up line.

    Returns the NodeProcess; raises SystemExit with one line when the node is not installed,
    exits or takes longer than ``timeout`` s.
    """
    try:
        node = NodeProcess('hand', ros_args, env)
    except NodeNotFound as exc:
        raise SystemExit(str(exc)) from None
    if not node.wait_started(timeout):
        node.stop()
        raise SystemExit(f'hand_node did not start: {node.last_line()}')
    return node


def replace_section(path, name, text):
    """Put ``text`` between ``<!-- name -->`` markers in ``path``: replaced, else appended."""
    begin, end = f'<!-- {name} -->', f'<!-- end {name} -->'
    block = f'{begin}\n{text.rstrip()}\n{end}\n'
    old = open(path, encoding='utf-8').read() if os.path.exists(path) else ''
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + block + rest.split(end, 1)[1].lstrip('\n')
    else:
        new = old.rstrip('\n') + ('\n\n' if old else '') + block
    atomic_write_text(path, new)
