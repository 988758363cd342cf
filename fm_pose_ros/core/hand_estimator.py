# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand pose from one depth map: localise, crop, ``h(g(f(crop)))``, decode. No ROS here.

The node, the bag evaluation and the offline evaluation all call ``HandEstimator.estimate``.

Tracking (weights with a learned locator, ``locator_every`` > 1): while the hand is found,
the next frame's centre is the last centre refined by one centre-of-mass-in-the-cube step
(``hand_codec``); the locator runs again when that fails (too few pixels in the cube), when
the cube lost more than half its pixels or the centre jumped by more than ``TRACK_JUMP_MM``,
and at least every ``locator_every`` frames. ``last_source`` says which one gave the centre.

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
from fm_pose_ros.core.hand_codec import (
    centre_of_mass_in_cube, count_in_cube, HandCodec, locate_hand)
from fm_pose_ros.core.hand_fit import FitSettings, refine_joints
from fm_pose_ros.core.hand_locator import HandLocator
from fm_pose_ros.core.weights import load_hand_parts


@dataclass
class HandEstimate:
    """Result for one frame."""

    joints_mm: np.ndarray   # (14, 3) mm, camera optical frame, hand_joints order
    com_mm: np.ndarray      # (3,) crop centre, mm, camera frame
    crop: np.ndarray        # (S, S) network input in [-1, 1]
    transform: object       # hand_codec.CropTransform
    timings_ms: dict        # {'preprocess', 'network', 'decode', 'fit'} ms (fit: 0 when off)


TRACK_JUMP_MM = 80.0        # tracked centre moving farther than this in one frame: re-locate
TRACK_KEEP_FRACTION = 0.5   # pixels in the cube falling below this share: re-locate


class NoHandError(ValueError):
    """Nothing hand-sized in the depth range of this frame."""


class HandEstimator:
    """Load a weights file once, then estimate hand joints frame by frame."""

    def __init__(self, weights, device='auto', backend='auto', crop_overrides=None,
                 threads=None, locator_every=1, fit_iterations=0, smoother=None):
        self.device = resolve_device(device)
        self.locator_every = int(locator_every)  # 1 = run the locator on every frame
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
        self.backend_name = backend
        self.run_network = make_backend(model, weights, backend, self.device, threads)

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
        self._track = None  # (centre mm (3,), pixels in its cube, frames since the locator)
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

    def _tracked_centre(self, depth_mm, K):
        """Return the last centre refined on this frame, or None when the locator must run."""
        if self._track is None or self.locate is None or self.locator_every <= 1:
            return None
        com, pixels, age = self._track
        if age + 1 >= self.locator_every:
            return None
        depth = np.asarray(depth_mm, np.float32)
        refined = centre_of_mass_in_cube(depth, com, K, self.crop_settings)
        if refined is None or np.linalg.norm(refined - com) > TRACK_JUMP_MM:
            return None
        if count_in_cube(depth, refined, K, self.crop_settings) < TRACK_KEEP_FRACTION * pixels:
            return None
        return refined

    def _localise(self, depth_mm, K, com):
        """Return the centre for this frame (given, tracked or located); update the tracking."""
        if com is not None:
            self.last_source = 'given'
            return com
        K = check_intrinsics(K)
        tracked = self._tracked_centre(depth_mm, K)
        if tracked is not None:
            self.last_source, age = 'tracked', self._track[2] + 1
            com = tracked
        else:
            self.last_source, age = 'locator', 0
            com = self.find_hand(depth_mm, K)
        if com is None:
            self._track = None
            return None
        if self.locate is not None and self.locator_every > 1:
            pixels = count_in_cube(np.asarray(depth_mm, np.float32), com, K, self.crop_settings)
            self._track = (np.asarray(com, np.float64), pixels, age)
        return com

    def estimate(self, depth_mm, K, com=None, stamp_s=None):
        """Return a HandEstimate for a float mm depth map ``(H, W)``; NoHandError if none.

        ``K`` is the (3, 3) intrinsics of the depth image; ``com`` (mm) skips localisation
        (``find_hand``) and tracking; ``stamp_s`` (the frame's time, s) feeds the smoother.
        """
        start = time.perf_counter()
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
