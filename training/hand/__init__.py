# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand task: hand model, sensor simulation, datasets and the hand training data.

Datasets: the built-in sim-to-real benchmark and NYU-format folders.
"""
