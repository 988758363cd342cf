# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Command-line tools of the training side that the library never imports.

The demo, sample pictures, studies and the training-side benchmarks (renderers, training
step, exemplar); each writes its table under docs/results/. The nodes' runtime benchmarks are in
``benchmarks/``.
"""
