# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: DDS isolation, a hand-like depth frame, a real weights file."""

import os
import random
import shutil
import sys

# Keep test traffic on this machine and off other runs' DDS domains (set before rclpy loads).
os.environ.setdefault('ROS_DOMAIN_ID', str(random.Random(os.getpid()).randint(1, 100)))
# loopback only (ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST lost frames between processes here)
os.environ.setdefault('ROS_LOCALHOST_ONLY', '1')
os.environ.setdefault('RCUTILS_COLORIZED_OUTPUT', '0')
# as launch/hand.launch.py does: shared memory + TCP for large images (DESIGN.md section 5)
os.environ.setdefault('FASTDDS_BUILTIN_TRANSPORTS', 'LARGE_DATA')
# ONNX exports of test weights go to a throw-away cache, not the user's ~/.cache.
os.environ['XDG_CACHE_HOME'] = os.path.join(
    os.environ.get('TMPDIR', '/tmp'), f'fm_pose_ros_test_cache_{os.getpid()}')

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from training.init_weights import write_untrained  # noqa: E402

K_VGA = np.array([[475.0, 0.0, 319.5], [0.0, 475.0, 239.5], [0.0, 0.0, 1.0]])


def console_script(name):
    """Path of an installed console script: beside this Python first, then on PATH."""
    return (shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name))


def blob_frame(centre_mm=(30.0, -20.0, 550.0), K=K_VGA, size=(480, 640), radius_mm=45.0,
               wall_mm=2500.0):
    """Render a depth map (mm) with a hand-sized sphere (palm) and 4 finger spheres, wall behind.

    Returns ``(depth_mm (H, W) float32, K (3, 3), centre_mm (3,))``.
    """
    height, width = size
    v, u = np.mgrid[:height, :width].astype(np.float64)
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1)
    depth = np.full(size, wall_mm, np.float64)
    centre = np.asarray(centre_mm, np.float64)
    spheres = [(centre, radius_mm)] + [
        (centre + np.array([dx, -70.0, 0.0]), 12.0) for dx in (-36.0, -12.0, 12.0, 36.0)]
    for c, r in spheres:
        # ray t*d hits sphere |t*d - c| = r; depth = z = t (since d_z = 1)
        a = (rays ** 2).sum(-1)
        b = (rays @ c)
        disc = b ** 2 - a * (c @ c - r ** 2)
        t = (b - np.sqrt(np.maximum(disc, 0.0))) / a
        hit = (disc > 0) & (t < depth)
        depth[hit] = t[hit]
    return depth.astype(np.float32), K.copy(), centre


_DOMAINS = iter(range(10**6))


@pytest.fixture(autouse=True)
def _own_dds_domain():
    """Give every test a fresh ROS_DOMAIN_ID (inherited by the processes it starts).

    Loopback-only discovery is slow and sometimes misses peers when many participants share a
    domain; one domain per test keeps each test's participants to the few it starts.
    """
    base = random.Random(os.getpid()).randint(0, 99)
    os.environ['ROS_DOMAIN_ID'] = str((base + next(_DOMAINS)) % 100 + 1)
    yield


@pytest.fixture(scope='session', autouse=True)
def _remove_onnx_cache():
    yield
    shutil.rmtree(os.environ['XDG_CACHE_HOME'], ignore_errors=True)


@pytest.fixture(scope='session')
def weights_path(tmp_path_factory):
    """Write a real, untrained weights file written once per session."""
    return str(write_untrained(tmp_path_factory.mktemp('weights') / 'hand.safetensors', seed=3))
