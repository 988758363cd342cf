# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Renderers: hand depth maps (numba ray casting) and object RGB (moderngl).

Also the reference renderers (pybullet, moderngl capsules) they are benchmarked against.
"""
