# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Offline side of fm_pose_ros: rendering, sensor simulation, datasets, training, export.

Imports the runtime package ``fm_pose_ros`` (codecs, networks, checkpoints); the runtime
package never imports this one.
"""
