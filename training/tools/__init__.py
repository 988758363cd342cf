# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Command-line tools that the library never imports.

The demo, sample pictures and the benchmarks (each writes its table under docs/results/).
"""
