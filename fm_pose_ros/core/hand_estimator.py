# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand pose from one depth map: localise, crop, ``h(g(f(crop)))``, decode. No ROS here.

The node, the bag evaluation and the offline evaluation all call ``HandEstimator.estimate``.

Localisers: the learned locator if the weights carry one (``hand_locator``), else the
closest object's centre of mass (``hand_com``). Tracking (weights with a learned locator,
``locator_every`` > 1, ``hand_tracking``): while the hand is found, the next frame's centre is
the last one refined on the new frame, and the locator runs at least every ``locator_every``
frames. ``last_source`` says which one gave the centre.

Depth fitting (``fit_iterations`` > 0): the decoded joints are refined by fitting the hand
model to the crop's depth (``hand_fit``). Smoothing (a ``joint_filter.OneEuroFilter`` given as
``smoother``): frames estimated with a ``stamp_s`` are filtered over time; a frame without a
hand starts the filter over.
"""

from dataclasses import dataclass, replace
import time

import numpy as np
import torch

from fm_pose_ros.core.backends import make_backend, resolve_backend, resolve_device
from fm_pose_ros.core.camera import check_intrinsics
from fm_pose_ros.core.finite import require_finite
from fm_pose_ros.core.hand_codec import HandCodec
from fm_pose_ros.core.hand_com import locate_hand
from fm_pose_ros.core.hand_fit import FitSettings, refine_joints
from fm_pose_ros.core.hand_locator import HandLocator
from fm_pose_ros.core.hand_tracking import HandTracker
from fm_pose_ros.core.weights import load_hand_parts


@dataclass
class HandEstimate:
    """Result for one frame."""

    joints_mm: np.ndarray   # (14, 3) mm, camera optical frame, hand_joints order
    com_mm: np.ndarray      # (3,) crop centre, mm, camera frame
    crop: np.ndarray        # (S, S) network input in [-1, 1]
    transform: object       # hand_codec.HandCropTransform
    timings_ms: dict        # {'preprocess', 'network', 'decode', 'fit'} ms (fit: 0 when off)


class NoHandError(ValueError):
    """Nothing hand-sized in the depth range of this frame."""


class HandEstimator:
    """Load a weights file once, then estimate hand joints frame by frame."""

    def __init__(self, weights, device='auto', backend='auto', crop_overrides=None,
                 threads=None, locator_every=1, fit_iterations=0, smoother=None):
        self.device = resolve_device(device)
        self.locator_every = int(locator_every)  # 1 = run the locator on every frame
        self.tracker = HandTracker()
        self.set_fit_iterations(fit_iterations)
        self.smoother = smoother                 # joint_filter.OneEuroFilter or None
        self.reset_tracking()
        backend = resolve_backend(backend, self.device)
        if threads:
            torch.set_num_threads(int(threads))
        model, locator, self.metadata, crop = load_hand_parts(weights, device=self.device)
        self.trained_crop = crop
        self._locator = None if locator is None else (
            make_backend(locator, weights, backend, self.device, threads), locator.cfg)
        self.set_crop_overrides(crop_overrides)
        self.in_size = model.cfg.in_size
        if self.crop_settings.crop_size != self.in_size:
            raise ValueError(
                f'crop_size {self.crop_settings.crop_size} differs from the network input '
                f'{self.in_size}')
        self.run_network = make_backend(model, weights, backend, self.device, threads)
        self.backend_name = self.run_network.name  # torch when no ONNX export could be written

    def set_crop_overrides(self, overrides):
        """Change crop settings (e.g. depth range) relative to the ones in the weights."""
        self.crop_settings = replace(self.trained_crop, **(overrides or {})).validate()
        self.codec = HandCodec(self.crop_settings)
        self.locate = (None if self._locator is None
                       else HandLocator(*self._locator, self.crop_settings))

    def set_fit_iterations(self, iterations):
        """Depth-fitting steps per frame (0 = decoded joints as they are); ValueError if bad."""
        self.fit_settings = FitSettings(iterations=int(iterations)).validate()

    def reset_tracking(self):
        """Forget the tracked hand: the next frame runs the locator."""
        self.tracker.reset()
        self.last_source = None  # 'locator', 'tracked' or 'given' for the last estimate

    @property
    def trained(self):
        """False for the clearly labelled untrained placeholder weights."""
        return bool(self.metadata.get('trained'))

    def find_hand(self, depth_mm, K):
        """Return the hand centre ``(3,)`` mm, camera frame, or None if no hand is found.

        The learned locator if the weights carry one, else the closest object's centre of mass.
        """
        K = check_intrinsics(K)
        if self.locate is not None:
            return self.locate(depth_mm, K)
        return locate_hand(depth_mm, K, self.crop_settings)

    def _localise(self, depth_mm, K, com):
        """Return the centre for this frame (given, tracked or located); update the tracking."""
        if com is not None:
            self.last_source = 'given'
            return com
        K = check_intrinsics(K)
        tracking = self.locate is not None and self.locator_every > 1
        tracked = (self.tracker.follow(depth_mm, K, self.crop_settings, self.locator_every)
                   if tracking else None)
        if tracked is not None:
            self.last_source, com = 'tracked', tracked
        else:
            self.last_source, com = 'locator', self.find_hand(depth_mm, K)
        if com is None:
            self.tracker.reset()
        elif tracking:
            self.tracker.update(depth_mm, K, com, self.crop_settings, tracked is not None)
        return com

    def estimate(self, depth_mm, K, com=None, stamp_s=None):
        """Return a HandEstimate for a float mm depth map ``(H, W)``; NoHandError if none.

        ``K`` is the (3, 3) intrinsics of the depth image; ``com`` (mm) skips localisation
        (``find_hand``) and tracking; ``stamp_s`` (the frame's time, s) feeds the smoother.
        Intrinsics implausible for the depth map's size raise camera.IntrinsicsError.
        """
        start = time.perf_counter()
        K = check_intrinsics(K, np.shape(depth_mm))
        com = self._localise(depth_mm, K, com)
        if com is None:
            if self.smoother is not None:
                self.smoother.reset()
            raise NoHandError('no hand found within the depth range')
        sample = self.codec.encode(depth_mm, K, com=com)
        after_pre = time.perf_counter()
        output = self.run_network(sample['crop'][None, None])[0]
        after_net = time.perf_counter()
        joints = self.codec.decode(output, sample['transform'])
        require_finite('hand joints', joints)
        after_decode = time.perf_counter()
        if self.fit_settings.iterations > 0:
            joints = refine_joints(joints, sample['crop'], sample['transform'],
                                   self.fit_settings).joints_mm
            require_finite('fitted hand joints', joints)
        if self.smoother is not None and stamp_s is not None:
            joints = self.smoother(joints, stamp_s).astype(np.float32)
        end = time.perf_counter()
        timings = {'preprocess': (after_pre - start) * 1e3,
                   'network': (after_net - after_pre) * 1e3,
                   'decode': (after_decode - after_net) * 1e3,
                   'fit': (end - after_decode) * 1e3}
        return HandEstimate(joints_mm=joints, com_mm=sample['transform'].com,
                            crop=sample['crop'], transform=sample['transform'],
                            timings_ms=timings)
