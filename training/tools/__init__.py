# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Command-line tools of the training side that the library never imports.

The demo, sample pictures, studies and the training-side benchmarks (renderers, training
step, exemplar); each writes its table under docs/results/. The nodes' runtime benchmarks are in
``benchmarks/``.
"""

from fm_pose_ros.core.fileio import atomic_write_text


def publish_table(lines, path):
    """Print the markdown ``lines`` and write them to ``path`` atomically; return 0."""
    text = '\n'.join(lines) + '\n'
    print(text)
    atomic_write_text(path, text)
    return 0
