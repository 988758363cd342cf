# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Evaluation: metrics of both tasks, rosbag2 files, bag replay and reports.

``replay_eval`` replays a bag into a node and scores it; reports are JSON, plots and
Markdown. The only user of rosbags and matplotlib in the runtime package.
"""
