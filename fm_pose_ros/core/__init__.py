# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""ROS-free inference core: images, camera geometry, codecs, networks and weights.

Backends, locators, estimators and the frame worker live here too. Imports neither rclpy
nor ROS messages (``test/test_boundaries.py``); nodes, evaluation and training build on it.
"""
