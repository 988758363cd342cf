# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object 6-DoF pose from one RGB image: locate, crop, ``h(g(f(crop)))``, PnP. No ROS here.

Steps: the locator (coarse segmentation, BB8's first stage) gives a square box; the corner
network predicts the 8 box-corner projections in the crop; ``refine_steps`` times the crop
is moved to the centre of the predicted corners' box (its side stays the locator's) and the
network runs again; PnP with the camera K turns the corners into (R, t). The side is kept
because predicted corners are pulled towards the crop centre (regression to the mean): a box
around them is ~15 % too small, and re-cropping to it compounds the error each pass, while the
locator's side is within a few per cent (docs/results_object.md, "Refinement").
``rotation_deg`` > 0 runs every crop also turned by +- that angle in the image plane (one
batch of 3) and averages the 3 corner predictions in full-image pixels (test-time
augmentation). With an aligned depth image the PnP pose is then refined by ICP of the
model's visible points against the depth (``core/depth_refine.py``); a poor fit leaves the RGB
pose. The node, the offline evaluation and the comparison all call ``ObjectEstimator.estimate``.
"""

from dataclasses import dataclass, replace
import time

import numpy as np
import torch

from fm_pose_ros.core.backends import make_backend, resolve_backend, resolve_device
from fm_pose_ros.core.camera import check_intrinsics
from fm_pose_ros.core.depth_refine import DepthRefiner
from fm_pose_ros.core.finite import require_finite
from fm_pose_ros.core.letterbox import letterbox
from fm_pose_ros.core.object_codec import (
    box_around, BoxCrop, crop_image, decode_corners, normalise_rgb)
from fm_pose_ros.core.object_locator import box_from_mask
from fm_pose_ros.core.pnp import solve_pnp
from fm_pose_ros.core.weights import load_object_model


@dataclass
class ObjectEstimate:
    """Result for one frame."""

    R: np.ndarray            # (3, 3) model -> camera rotation
    t: np.ndarray            # (3,) metres, camera optical frame
    corners_px: np.ndarray   # (8, 2) predicted corner projections, full-image pixels
    box: object              # object_codec.BoxCrop of the last crop
    timings_ms: dict         # {'locate', 'network', 'pnp'} (+ 'depth' with a depth image)
    depth_fit: object = None  # depth_refine.DepthFit when a depth image was given


def recentred(box, corners_px, settings):
    """``box`` moved to the centre of the box around ``corners_px`` ``(8, 2)``; same side."""
    return BoxCrop(centre=box_around(corners_px, settings).centre, side=box.side,
                   crop_size=box.crop_size)


class NoObjectError(ValueError):
    """The locator found no object, or PnP found no pose."""


class ObjectEstimator:
    """Load an object weights file once, then estimate its pose frame by frame."""

    def __init__(self, weights, device='auto', backend='auto', threads=None, refine_steps=1,
                 threshold=0.5, rotation_deg=0.0):
        self.device = resolve_device(device)
        self.backend_name = resolve_backend(backend, self.device)
        if threads:
            torch.set_num_threads(int(threads))
        net, locator, metadata, settings = load_object_model(weights, self.device)
        self._setup(make_backend(net, weights, self.backend_name, self.device, threads),
                    locator, settings, metadata, refine_steps, threshold, rotation_deg)
        self.backend_name = self.run_network.name  # torch when no ONNX export could be written

    @classmethod
    def from_parts(cls, run_network, locator, settings, metadata, refine_steps=1,
                   threshold=0.5, rotation_deg=0.0):
        """Build an estimator over in-memory parts (training evaluation): same code as the node.

        ``run_network`` maps crops ``(B, 3, S, S)`` to outputs ``(B, 16)`` (numpy).
        """
        self = cls.__new__(cls)
        self.device = next(locator.parameters()).device
        self.backend_name = 'in-memory'
        self._setup(run_network, locator, settings, metadata, refine_steps, threshold,
                    rotation_deg)
        return self

    def _setup(self, run_network, locator, settings, metadata, refine_steps, threshold,
               rotation_deg):
        self.run_network, self.locator = run_network, locator.eval()
        self.settings, self.metadata = settings, metadata
        self.corners = np.asarray(metadata['object']['corners_m'], np.float64)  # (8, 3) m
        self.refine_steps = int(refine_steps)
        self.threshold = float(threshold)
        angle = float(rotation_deg)
        self.angles_deg = (0.0, angle, -angle) if angle else (0.0,)
        self._depth_refiner = None

    @property
    def depth_refiner(self):
        """The DepthRefiner of this object (its ``points_m`` and ``diameter_m``), built once."""
        if self._depth_refiner is None:
            info = self.metadata['object']
            self._depth_refiner = DepthRefiner(info['points_m'], info['diameter_m'])
        return self._depth_refiner

    @property
    def trained(self):
        """False for untrained placeholder weights."""
        return bool(self.metadata.get('trained'))

    def locate(self, rgb):
        """Square BoxCrop around the object in ``rgb`` ``(H, W, 3)`` uint8, or None."""
        cfg = self.locator.cfg
        canvas, scale = letterbox(rgb, cfg.width, cfg.height)
        batch = torch.from_numpy(normalise_rgb(canvas)[None]).to(self.device)
        with torch.inference_mode():
            probability = torch.sigmoid(self.locator(batch))[0, 0].float().cpu().numpy()
        return box_from_mask(probability, scale, cfg.stride, self.settings, self.threshold)

    def corners_in(self, rgb, box):
        """Predicted corner projections ``(8, 2)`` full-image px for one crop box.

        The mean over the crop turned by each of ``angles_deg``, mapped back to the image.
        """
        boxes = [replace(box, angle_deg=angle) for angle in self.angles_deg]
        outputs = self.run_network(np.stack([normalise_rgb(crop_image(rgb, b)) for b in boxes]))
        corners = np.mean([decode_corners(out, b) for out, b in zip(outputs, boxes)], axis=0)
        require_finite('object corners', corners)
        return corners

    def estimate(self, rgb, K, box=None, depth_m=None):
        """Return an ObjectEstimate for ``rgb`` ``(H, W, 3)`` uint8 RGB and ``K`` (3, 3).

        ``box`` (a BoxCrop) skips the locator. ``depth_m`` ``(H, W)`` float32 metres (0 or
        NaN = none), registered to ``rgb``: the pose is refined against it (``refine``).
        Raises NoObjectError, or camera.IntrinsicsError for intrinsics implausible for the
        image's size.
        """
        start = time.perf_counter()
        K = check_intrinsics(K, np.shape(rgb))
        box = box or self.locate(rgb)
        if box is None:
            raise NoObjectError('the locator found no object')
        after_locate = time.perf_counter()
        corners_px = self.corners_in(rgb, box)
        for _ in range(self.refine_steps):
            box = recentred(box, corners_px, self.settings)
            corners_px = self.corners_in(rgb, box)
        after_net = time.perf_counter()
        pose = solve_pnp(self.corners, corners_px, K,
                         self.settings.pnp_threshold * box.side)
        if pose is None:
            raise NoObjectError('PnP found no pose in front of the camera')
        require_finite('object pose', *pose)
        end = time.perf_counter()
        timings = {'locate': (after_locate - start) * 1e3,
                   'network': (after_net - after_locate) * 1e3, 'pnp': (end - after_net) * 1e3}
        estimate = ObjectEstimate(R=pose[0], t=pose[1], corners_px=corners_px, box=box,
                                  timings_ms=timings)
        return estimate if depth_m is None else self.refine(estimate, depth_m, K)

    def refine(self, estimate, depth_m, K):
        """Refine ``estimate`` against ``depth_m`` ``(H, W)`` m; return it with ``depth_fit``.

        ``R``, ``t`` become the depth fit's when the fit passes its gate, else stay PnP's.
        """
        fit = self.depth_refiner.refine(estimate.R, estimate.t, depth_m, K)
        estimate.R, estimate.t, estimate.depth_fit = fit.R, fit.t, fit
        estimate.timings_ms['depth'] = fit.ms
        return estimate
