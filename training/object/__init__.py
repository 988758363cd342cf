# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object task: meshes, object datasets and the object training data.

Datasets: the built-in sim-to-real benchmark and BOP-format folders.
"""
