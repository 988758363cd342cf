# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: DDS isolation, a hand-like depth frame, real hand and object weights files."""

import os
import random
import shutil

# Keep test traffic on this machine and off other runs' DDS domains (set before rclpy loads).
os.environ.setdefault('ROS_DOMAIN_ID', str(random.Random(os.getpid()).randint(1, 100)))
# loopback only (ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST lost frames between processes here)
os.environ.setdefault('ROS_LOCALHOST_ONLY', '1')
os.environ.setdefault('RCUTILS_COLORIZED_OUTPUT', '0')
# ONNX exports of test weights go to a throw-away cache, not the user's ~/.cache.
os.environ['XDG_CACHE_HOME'] = os.path.join(
    os.environ.get('TMPDIR', '/tmp'), f'fm_pose_ros_test_cache_{os.getpid()}')

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from fm_pose_ros.core.hand_codec import HandCropSettings  # noqa: E402
from fm_pose_ros.core.letterbox import letterbox  # noqa: E402
from fm_pose_ros.core.networks import (  # noqa: E402
    FeatureMappingNet, HAND_LOCATOR, HAND_NET, Locator, OBJECT_LOCATOR, OBJECT_NET)
from fm_pose_ros.core.object_codec import (  # noqa: E402
    encode_corners, ObjectCropSettings, project_points)
from fm_pose_ros.core.object_locator import box_from_mask  # noqa: E402
from fm_pose_ros.core.weights import (  # noqa: E402
    hand_metadata, object_metadata, save_weights, weight_modules)

# A tiny hand training config (--set items): 32 px crops, a few frames and steps.
TINY_HAND = ['net.in_size=32', 'crop.crop_size=32', 'net.stage_channels=[4, 8, 8, 16]',
             'net.feature_dim=32', 'net.dropout=0.0', 'data.num_real_train=24',
             'data.num_real_test=8', 'data.num_real_val=6', 'optim.batch_size=8',
             'optim.stage1_steps=12', 'optim.stage2_steps=12', 'eval_every=1000', 'ckpt_every=5',
             'log_every=1000', 'threads=1', 'optim.lr=0.002', 'data.locator_steps=0']

K_VGA = np.array([[475.0, 0.0, 319.5], [0.0, 475.0, 239.5], [0.0, 0.0, 1.0]])

# Deterministic object weights (write_object_weights): real files with two layers set by hand
# so the output is known. The locator sees the object everywhere (box = the whole image) and
# the corner head always predicts the box corners of OBJECT_R, OBJECT_T in a (H, W) =
# OBJECT_SIZE image seen through K_VGA (with refine_steps 0, that box is the only crop).
OBJECT_SIZE = (480, 640)  # (H, W) of the test images
CUBE_M = 0.06
OBJECT_R = cv2.Rodrigues(np.array([0.4, -0.3, 0.2]))[0]
OBJECT_T = np.array([0.03, -0.02, 0.45])
OBJECT_EVERYWHERE, OBJECT_NOWHERE = 10.0, -10.0  # locator logits


@pytest.fixture(scope='module')
def ros():
    """Initialise rclpy for a module's in-process nodes; shut it down after them."""
    import rclpy
    rclpy.init()
    yield
    rclpy.shutdown()


def write_untrained(path, seed=0, net_cfg=HAND_NET, crop=HandCropSettings()):
    """Write a seeded, untrained hand model (metadata ``trained: false``) to ``path``."""
    torch.manual_seed(seed)
    model = FeatureMappingNet(net_cfg)
    save_weights(path, model, hand_metadata(net_cfg, crop, trained=False,
                                            training={'seed': seed, 'steps': 0}))
    return path


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


def random_pose(rng):
    """Return a random object pose ``(R (3, 3), t (3,) m)`` in front of the camera."""
    from scipy.spatial.transform import Rotation
    R = Rotation.random(random_state=int(rng.integers(1 << 30))).as_matrix()
    return R, np.array([rng.uniform(-0.1, 0.1), rng.uniform(-0.1, 0.1), rng.uniform(0.4, 0.9)])


def cube_corners(side):
    """``(8, 3)`` m, corner i = bits (i & 1, i >> 1 & 1, i >> 2 & 1) -> min/max of x, y, z."""
    bits = np.array([[i & 1, i >> 1 & 1, i >> 2 & 1] for i in range(8)], np.float64)
    return (bits - 0.5) * side


def whole_image_box(cfg, settings):
    """Return the BoxCrop the locator gives when every cell is the object (box_from_mask)."""
    _, scale = letterbox(np.zeros((*OBJECT_SIZE, 3), np.uint8), cfg.width, cfg.height)
    cells = np.ones((cfg.height // cfg.stride, cfg.width // cfg.stride))
    return box_from_mask(cells, scale, cfg.stride, settings)


def write_object_weights(path, locator_logit=OBJECT_EVERYWHERE, name='test_box', points_m=None):
    """Write the deterministic object weights (see OBJECT_SIZE) to ``path``; return it (str).

    ``points_m``: the model point sample ``(P, 3)`` m (default: the 8 cube corners).
    """
    net = FeatureMappingNet(OBJECT_NET)
    locator = constant_locator(OBJECT_LOCATOR, locator_logit)
    settings, corners = ObjectCropSettings(), cube_corners(CUBE_M)
    box = whole_image_box(locator.cfg, settings)
    targets = encode_corners(project_points(corners, OBJECT_R, OBJECT_T, K_VGA), box)
    with torch.no_grad():
        net.h.weight.zero_()
        net.h.bias.copy_(torch.from_numpy(targets))
    info = {'name': name, 'corners_m': corners.tolist(),
            'diameter_m': CUBE_M * 3 ** 0.5, 'symmetric': False,
            'points_m': (corners if points_m is None else np.asarray(points_m)).tolist()}
    metadata = object_metadata(OBJECT_NET, locator.cfg, settings, info, trained=False)
    # float32 on disk: the predicted corners are exactly the encoded ones
    save_weights(path, weight_modules(net, locator), metadata, dtype=torch.float32)
    return str(path)


def constant_locator(cfg, logit):
    """Build a real Locator whose every cell has logit ``logit`` (last layer weights zero)."""
    locator = Locator(cfg)
    with torch.no_grad():
        locator.body[-1].weight.zero_()
        locator.body[-1].bias.fill_(logit)
    return locator


def write_hand_weights_with_locator(path, locator_logit, seed=3):
    """Write an untrained hand network with a constant locator (every cell hand, or none)."""
    torch.manual_seed(seed)
    net, locator = FeatureMappingNet(HAND_NET), constant_locator(HAND_LOCATOR, locator_logit)
    metadata = hand_metadata(HAND_NET, HandCropSettings(), trained=False, locator_cfg=locator.cfg)
    save_weights(path, weight_modules(net, locator), metadata, dtype=torch.float32)
    return str(path)


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


@pytest.fixture(scope='session')
def object_weights(tmp_path_factory):
    """Write the deterministic object weights (write_object_weights) once per session."""
    return write_object_weights(tmp_path_factory.mktemp('object_weights') / 'object.safetensors')
