# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""ROS 2 side: the pose node base, the hand and object nodes, parameters, messages.

Thin nodes over ``fm_pose_ros.core``: they convert messages to arrays and back.
"""
