# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""fm_pose_ros: Feature Mapping (Rad, Oberweger & Lepetit, CVPR 2018) pose estimation for ROS 2.

Layers (docs/architecture.md): ``core`` (ROS-free inference), ``ros`` (the nodes) and
``evaluation`` (bags, replay, metrics, reports).
"""

__version__ = '0.7.0'
