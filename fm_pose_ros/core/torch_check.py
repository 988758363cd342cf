# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The installed torch is new enough for the nodes: checked before torch is imported.

Some distributions' rosdep key ``python3-torch`` resolves to an older torch (1.13 on Debian
bookworm) than the code needs (``MIN_TORCH``, as setup.py's ``torch>=2.2``). The version is
read from the package metadata, which costs milliseconds; torch itself is imported only where
no metadata is found.
"""

import importlib.metadata
import importlib.util
import re

from fm_pose_ros.core.text import printable

MIN_TORCH = (2, 2)
INSTALL = ("pip install 'torch>={0}.{1}' (CPU-only wheel: add --index-url "
           'https://download.pytorch.org/whl/cpu)').format(*MIN_TORCH)


def parse_version(text):
    """Return (major, minor) of a version string ('2.13.0+cpu' -> (2, 13)), or None."""
    match = re.match(r'\s*(\d+)\.(\d+)', text or '')
    return (int(match.group(1)), int(match.group(2))) if match else None


def installed_torch_version():
    """Return the installed torch's version string, or None when torch is not installed."""
    try:
        return importlib.metadata.version('torch')
    except importlib.metadata.PackageNotFoundError:
        pass
    if importlib.util.find_spec('torch') is None:
        return None
    import torch  # no metadata (a source tree on PYTHONPATH): ask the module itself
    return str(torch.__version__)


def torch_problem(version):
    """Return one line saying why torch ``version`` cannot run the nodes, or None if it can.

    ``version``: the installed torch's version string, None when torch is not installed.
    A version string that does not parse is let through (the import will tell).
    """
    if version is None:
        return f'torch is not installed: {INSTALL}'
    parsed = parse_version(version)
    if parsed is not None and parsed < MIN_TORCH:
        return ('torch {0} is installed, but fm_pose_ros needs torch >= {1}.{2} '
                '(rosdep python3-torch is older on some distributions): {3}'
                .format(printable(version), *MIN_TORCH, INSTALL))
    return None
