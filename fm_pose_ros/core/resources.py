# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Find the package's installed files (shipped models, config) with or without an ament index."""

import os
import sys

PACKAGE = 'fm_pose_ros'
DEFAULT_HAND_WEIGHTS = 'hand_fm.safetensors'
DEFAULT_OBJECT_WEIGHTS = 'object_fm.safetensors'


def share_dir():
    """Return the package's share directory.

    Order: the ament index (a colcon/apt install with AMENT_PREFIX_PATH set), then the
    source tree (editable install), then ``<sys.prefix>/share/fm_pose_ros`` (pip install).
    """
    try:
        from ament_index_python.packages import get_package_share_directory
        return get_package_share_directory(PACKAGE)
    except (ImportError, LookupError, OSError, ValueError):
        pass
    candidates = (os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                  os.path.join(sys.prefix, 'share', PACKAGE))
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, 'package.xml')):
            return folder
    raise FileNotFoundError(f'cannot find the share directory of {PACKAGE}')


def share_path(*parts):
    """Path of a file in the package's share directory."""
    return os.path.join(share_dir(), *parts)


def default_hand_weights():
    """Return the path of the shipped hand model."""
    return share_path('models', DEFAULT_HAND_WEIGHTS)


def default_object_weights():
    """Return the path of the shipped object model."""
    return share_path('models', DEFAULT_OBJECT_WEIGHTS)
