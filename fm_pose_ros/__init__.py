# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""fm_pose_ros: Feature Mapping (Rad, Oberweger & Lepetit, CVPR 2018) pose estimation for ROS 2.

The runtime package is ROS-free except for the ``*_node`` modules and the bag tools:
image_codec -> hand_codec -> networks -> hand_estimator -> hand_node.
"""

__version__ = '0.4.0'
