# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Training tensors for an object: synthetic crops (online), real/twin pairs, a test set.

The same interface as ``training.hand.data.HandTrainingData``, so the trainer, the
comparison and the exemplar baseline serve both tasks: ``synthetic_batch``,
``paired_batch``, ``evaluate``, ``export`` and ``headline``.

- Synthetic crops: a pose on the view hemisphere, the crop box around its projected 3D
  box (with centre/side noise, as a locator would give), rendered straight into the crop
  camera (``BoxCrop.camera``) under the synthetic light on a synthetic background.
- Real pairs: real-like full frames (object_datasets) cropped like the node crops (same
  box noise); the twin is rendered into the SAME crop camera with the synthetic look. With
  ``object.augment`` both are stored as larger margin crops and every draw warps them anew
  (training/object/augment.py).
- Or real frames of a BOP dataset (``object.bop_root``: LINEMOD, LM-O...), twins rendered at
  their annotated poses with their own K.
- Test: real-like full frames with other background photos (or the BOP test split),
  evaluated end to end exactly as the node runs (locator, crop, network, re-centring, PnP)
  via ObjectEstimator. The built-in test and validation frames come with aligned depth
  (training/object/depth_sensor.py), BOP frames with their ``depth/`` images when present:
  the evaluation scores the RGB pose and, under ``rgbd``, the pose refined against the depth
  (core/depth_refine.py), as the node does with an aligned depth topic.
- Validation (for tuning; built-in benchmark only): real-like frames over a third set of
  backgrounds (``VAL_PHOTOS``), other poses; same end-to-end evaluation.
- The locator (coarse segmentation) is trained once per data config on synthetic low-
  resolution renders and the real-like training frames, cached, and shared by all methods.
"""

import logging
import time

import cv2
import numpy as np

from fm_pose_ros.core.letterbox import letterbox
from fm_pose_ros.core.networks import Locator, OBJECT_LOCATOR
from fm_pose_ros.core.object_codec import (
    box_around, BoxCrop, crop_image, normalise_rgb)
from fm_pose_ros.core.object_estimator import NoObjectError, ObjectEstimator
from fm_pose_ros.core.rotations import axis_symmetries, transform_points
from fm_pose_ros.core.weights import object_metadata, save_weights, weight_modules
from fm_pose_ros.evaluation.metrics import latency_stats, object_metrics
from training.object.augment import augmented_pair, margin_box
from training.object.datasets import (
    composite, K_LINEMOD, load_photos, real_frames, sample_poses, synthetic_background,
    synthetic_lighting, TEST_PHOTOS, TRAIN_PHOTOS, UP_AXES, VAL_PHOTOS)
from training.object.meshes import load_mesh

LOGGER = logging.getLogger(__name__)
DEPTH_STREAM = 7  # seed suffix of the aligned depth's noise (the colour frames keep theirs)


def jittered_box(rng, uv, settings, shift, scale):
    """Crop box around corner pixels ``(8, 2)`` with centre and side noise (a locator's)."""
    box = box_around(uv, settings)
    side = box.side * (1.0 + rng.uniform(-scale, scale))
    centre = box.centre + rng.uniform(-shift, shift, 2) * box.side
    return BoxCrop(centre=centre, side=side, crop_size=settings.crop_size)


def builtin_symmetries(ocfg):
    """Return the built-in mesh's symmetries (``symmetry_order`` turns about up) or None."""
    if ocfg.symmetry_order == 1:
        return None
    return axis_symmetries(UP_AXES[ocfg.up_axis], ocfg.symmetry_order)


def bop_symmetries(info, order):
    """Return a BOP object's symmetries ``(S, 4, 4)`` (continuous: ``order`` turns) or None.

    The identity, the discrete ones, then the turns of each continuous axis (not their
    products); ``order`` 1: None (the targets ignore symmetry).
    """
    if order == 1 or not info.symmetric:
        return None
    turns = [axis_symmetries(axis, order, offset)[1:]
             for axis, offset in info.symmetries_continuous]
    return np.concatenate([np.eye(4)[None], info.symmetries_discrete, *turns])


def encode_sets(uv_sets, box):
    """Corner pixels per symmetry ``(S, 8, 2)`` -> targets ``(16,)`` (S = 1) or ``(S, 16)``.

    ``object_codec.encode_corners`` of each set, in one array operation.
    """
    half = box.crop_size / 2.0
    targets = ((box.to_crop(uv_sets) - (box.crop_size - 1) / 2.0) / half).astype(
        np.float32).reshape(len(uv_sets), -1)
    return targets[0] if len(targets) == 1 else targets


def to_uint8(rgb):
    """Float [0, 1] image -> uint8 (the camera's quantisation)."""
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


class ObjectTrainingData:
    """The streams the training loop asks for, for one object mesh."""

    headline = 'add_acc'

    def __init__(self, cfg, train=True):
        self.cfg, self.ocfg = cfg, cfg.object
        self.settings = self.ocfg.crop
        self._renderer = None
        seed, data = cfg.data.seed, cfg.data
        self.val = None         # BOP sets: tune on their own held-out scenes
        if self.ocfg.bop_root:
            self.mesh = self._bop_mesh()
            self.test = self._bop_frames(self.ocfg.bop_test_split, data.num_real_test)
        else:
            self.mesh = load_mesh(self.ocfg.mesh, self.ocfg.units, self.ocfg.scale,
                                  self.ocfg.symmetric, symmetries=builtin_symmetries(self.ocfg))
            self.test = self._builtin_frames([seed, 2], data.num_real_test, TEST_PHOTOS)
            if data.num_real_val:
                self.val = self._builtin_frames([seed, 3], data.num_real_val, VAL_PHOTOS)
        self.info = self.mesh.info()
        self.train = self._prepare_train(np.random.default_rng([seed, 1])) if train else None
        self._locator = None

    def _builtin_frames(self, seed, count, photos):
        """Real-like frames with aligned depth (its noise from a stream of its own)."""
        return list(real_frames(self.renderer, self.mesh, np.random.default_rng(seed), count,
                                load_photos(photos), self.ocfg.up_axis, self.ocfg.distance_m,
                                depth_rng=np.random.default_rng([*seed, DEPTH_STREAM])))

    def _bop_mesh(self):
        from training.object.bop import load_models_info
        info = load_models_info(self.ocfg.bop_root)[self.ocfg.bop_obj_id]
        return load_mesh(info.mesh_path, 'mm', 1.0, info.symmetric,
                         symmetries=bop_symmetries(info, self.ocfg.symmetry_order))

    def _bop_frames(self, split, count):
        """BOP instances as frames; a missing mask is rendered at the true pose."""
        from training.object.bop import BopSource
        frames = []
        source = BopSource(self.ocfg.bop_root, split, self.ocfg.bop_obj_id, max_frames=count)
        for record in source.records():
            if record['mask'] is None:
                height, width = record['rgb'].shape[:2]
                record['mask'] = self.renderer.render(record['R'][None], record['t'][None],
                                                      record['K'], width, height)['mask'][0]
            frame = {key: record[key] for key in ('rgb', 'mask', 'R', 't', 'K')}
            if record['depth_m'] is not None:
                frame['depth_mm'] = np.round(record['depth_m'] * 1000.0).astype(np.uint16)
            frames.append(frame)
        return frames

    def _train_frames(self, rng):
        if self.ocfg.bop_root:
            return self._bop_frames(self.ocfg.bop_train_split, self.cfg.data.num_real_train)
        return list(real_frames(self.renderer, self.mesh, rng, self.cfg.data.num_real_train,
                                load_photos(TRAIN_PHOTOS), self.ocfg.up_axis,
                                self.ocfg.distance_m))

    @property
    def locator(self):
        """The shared locator: trained on first use (cached per data config)."""
        if self._locator is None:
            self._locator = self._load_or_train_locator()
        return self._locator

    @property
    def renderer(self):
        """The GL renderer of the mesh (created on first use, one per process)."""
        if self._renderer is None:
            from training.render.rgb import MeshRenderer
            self._renderer = MeshRenderer(self.mesh, cull_back_faces=self.ocfg.cull_back_faces)
        return self._renderer

    def _boxes(self, rng, uv):
        return [jittered_box(rng, corners, self.settings, self.ocfg.box_shift,
                             self.ocfg.box_scale) for corners in uv]

    def render_crops(self, rng, R, t, boxes, K=None):
        """Synthetic-look crops ``(n, S, S, 3)`` uint8 of poses R, t in the given boxes.

        ``S``: the boxes' ``crop_size`` (the node's, or the margin crops' with augmentation).

        ``K``: ``(n, 3, 3)`` full-image intrinsics (default: the benchmark's camera).
        """
        size = boxes[0].crop_size
        K = np.broadcast_to(K_LINEMOD, (len(R), 3, 3)) if K is None else K
        views = self.renderer.render(R, t, np.stack([b.camera(k) for b, k in zip(boxes, K)]),
                                     size, size, lights=synthetic_lighting(rng, len(R)))
        return np.stack([to_uint8(composite({'rgb': rgb, 'mask': mask},
                                            synthetic_background(rng, size, size)))
                         for rgb, mask in zip(views['rgb'], views['mask'])])

    def corner_sets(self, R, t, K):
        """Corner pixels ``(n, S, 8, 2)`` of poses ``(n, 3, 3)``, ``(n, 3)``, ``K`` ``(n, 3, 3)``.

        One set per symmetry of the mesh (``S = 1`` without): the box turned by the symmetry,
        seen at the pose; set 0 is the box itself.
        """
        boxes = transform_points(self.mesh.symmetries, self.mesh.corners())
        camera = np.einsum('nij,spj->nspi', R, boxes) + np.asarray(t)[:, None, None]
        uvw = np.einsum('nij,nspj->nspi', np.asarray(K, np.float64), camera)
        return uvw[..., :2] / uvw[..., 2:3]

    def synthetic_batch(self, rng, n):
        """Online synthetic crops ``(n, 3, S, S)`` and targets ``(n, 16)`` (``(n, S, 16)``)."""
        R, t = sample_poses(rng, n, self.mesh, self.ocfg.up_axis, self.ocfg.distance_m)
        uv = self.corner_sets(R, t, np.broadcast_to(K_LINEMOD, (n, 3, 3)))
        boxes = self._boxes(rng, uv[:, 0])
        crops = self.render_crops(rng, R, t, boxes)
        targets = np.stack([encode_sets(c, b) for c, b in zip(uv, boxes)])
        return np.stack([normalise_rgb(c) for c in crops]), targets

    def _prepare_train(self, rng, batch=32):
        out = {key: [] for key in ('real', 'twin', 'target', 'locator_in', 'locator_target')}
        frames = self._train_frames(rng)
        for start in range(0, len(frames), batch):
            chunk = frames[start:start + batch]
            R, t = np.stack([f['R'] for f in chunk]), np.stack([f['t'] for f in chunk])
            K = np.stack([f['K'] for f in chunk])
            uv = self.corner_sets(R, t, K)
            boxes = self._train_boxes(rng, uv[:, 0])
            out['twin'] += list(self.render_crops(rng, R, t, boxes, K))
            for frame, corners, box in zip(chunk, uv, boxes):
                out['real'].append(crop_image(frame['rgb'], box))
                # augmentation: corners in margin-crop pixels, targets drawn with each warp
                out['target'].append(self._margin_corners(corners, box)
                                     if self.ocfg.augment else encode_sets(corners, box))
                image, cells = self.locator_sample(frame['rgb'], frame['mask'])
                out['locator_in'].append(image)
                out['locator_target'].append(cells)
        return {key: np.stack(values) for key, values in out.items()}

    @staticmethod
    def _margin_corners(uv_sets, box):
        """Corner pixels ``(S, 8, 2)`` -> margin-crop pixels, ``(8, 2)`` when S = 1."""
        corners = box.to_crop(uv_sets).astype(np.float32)
        return corners[0] if len(corners) == 1 else corners

    def _train_boxes(self, rng, uv):
        """Return fixed jittered crop boxes, or margin boxes to draw augmented crops from."""
        if self.ocfg.augment:
            return [margin_box(corners, self.settings, self.ocfg.augment_margin)
                    for corners in uv]
        return self._boxes(rng, uv)

    def locator_sample(self, rgb, mask):
        """Letterboxed image ``(h, w, 3)`` uint8 and per-cell object fraction ``(h/4, w/4)``."""
        cfg = OBJECT_LOCATOR
        image, _ = letterbox(rgb, cfg.width, cfg.height)
        fraction, _ = letterbox(np.repeat(mask[..., None], 3, 2).astype(np.uint8) * 255,
                                cfg.width, cfg.height)
        cells = cv2.resize(fraction[..., 0].astype(np.float32) / 255.0,
                           (cfg.width // cfg.stride, cfg.height // cfg.stride),
                           interpolation=cv2.INTER_AREA)
        return image, cells

    def paired_batch(self, rng, n):
        """Real crops, their twins ``(n, 3, S, S)``, targets ``(n, 16)`` or ``(n, S, 16)``."""
        index = rng.integers(0, len(self.train['real']), n)
        if self.ocfg.augment:
            real, twin, target = zip(*(augmented_pair(
                rng, self.train['real'][i], self.train['twin'][i], self.train['target'][i],
                self.settings.crop_size, self.ocfg) for i in index))
        else:
            real, twin, target = (self.train[key][index] for key in ('real', 'twin', 'target'))
        return (np.stack([normalise_rgb(c) for c in real]),
                np.stack([normalise_rgb(c) for c in twin]), np.stack(target))

    def _load_or_train_locator(self):
        from training.locator import cached_locator, object_batches, train_locator

        def train(locator):
            if self.train is None:
                raise RuntimeError('no cached locator for this data config: run training first')
            train_locator(locator, object_batches(self, self.ocfg.locator_batch),
                          self.ocfg.locator_steps)
        # the crops' augmentation does not change the locator's data: not part of the key
        key = {'object': {k: v for k, v in self.ocfg.__dict__.items()
                          if not k.startswith('augment')},
               'data': self.cfg.data.__dict__, 'version': 2}
        return cached_locator(self.cfg.data.cache_dir, 'locator', key, Locator(OBJECT_LOCATOR),
                              train)

    def estimator(self, predict):
        """Build an ObjectEstimator over ``predict`` (crops -> outputs) and the shared locator."""
        return ObjectEstimator.from_parts(predict, self.locator, self.settings,
                                          {'object': self.info}, self.ocfg.refine_steps,
                                          rotation_deg=self.ocfg.test_rotation_deg)

    def evaluate(self, predict, split='test'):
        """End-to-end metrics of ``predict`` (crops -> outputs) with the shared locator."""
        self.frames(split)
        return self.evaluate_estimator(self.estimator(predict), split)

    def frames(self, split):
        """Return the test (or ``'val'``) frames; ValueError if there are no validation frames."""
        if split == 'val' and self.val is None:
            raise ValueError('no validation frames here (data.num_real_val=0 or a BOP set)')
        return self.val if split == 'val' else self.test

    def evaluate_estimator(self, estimator, split='test'):
        """End-to-end metrics of an ObjectEstimator on the test (or ``'val'``) frames.

        Frames with aligned depth (``depth_mm``) are also scored with the pose refined
        against it: ``rgbd`` holds those metrics, ``refined`` (share of frames whose fit passed
        the gate), ``refine_ms`` and the gate's ``reasons``.
        """
        frames = self.frames(split)
        missing = (np.full((3, 3), np.nan), np.full(3, np.nan))
        rgb, rgbd, latency, fits = [], [], [], []
        for frame in frames:
            start = time.perf_counter()
            try:
                estimate = estimator.estimate(frame['rgb'], frame['K'])
                rgb.append((estimate.R, estimate.t))
            except NoObjectError:
                estimate = None
                rgb.append(missing)
            latency.append((time.perf_counter() - start) * 1e3)
            if frame.get('depth_mm') is not None:
                fit = None if estimate is None else estimator.depth_refiner.refine(
                    estimate.R, estimate.t, frame['depth_mm'] * np.float32(1e-3), frame['K'])
                fits.append(fit)
                rgbd.append(missing if fit is None else (fit.R, fit.t))
        report = {'task': 'object', 'frames_in': len(frames), **self.pose_metrics(frames, rgb),
                  'latency_ms': latency_stats(latency), 'fps': float('nan'),
                  'estimate_ms_per_frame': float(np.mean(latency))}
        if fits:
            report['rgbd'] = self._rgbd_report([f for f in frames
                                                if f.get('depth_mm') is not None], rgbd, fits)
        return report

    def pose_metrics(self, frames, poses):
        """object_metrics of ``poses`` [(R, t)] (NaN = not found) against the frames' truth."""
        pred_R, pred_t = np.array([R for R, _ in poses]), np.array([t for _, t in poses])
        metrics = object_metrics(pred_R, pred_t, [f['R'] for f in frames],
                                 [f['t'] for f in frames], [f['K'] for f in frames],
                                 np.asarray(self.info['points_m']), self.info['diameter_m'],
                                 self.mesh.symmetric, self.info.get('symmetries'))
        found = int(np.isfinite(pred_t).all(axis=1).sum())
        return {'frames_out': found, **metrics}

    def _rgbd_report(self, frames, poses, fits):
        """Metrics of the depth-refined poses, with the refinement's acceptance and time."""
        ran = [f for f in fits if f is not None]
        reasons = {}
        for fit in ran:
            reasons[fit.reason] = reasons.get(fit.reason, 0) + 1
        return {**self.pose_metrics(frames, poses), 'depth_frames': len(frames),
                'refined': float(np.mean([f.accepted for f in ran])) if ran else float('nan'),
                'refine_ms': latency_stats([f.ms for f in ran]), 'reasons': reasons}

    def export(self, path, model, training, metrics):
        """Write the object weights file (corner network + locator + object geometry)."""
        meta = object_metadata(self.cfg.net, self.locator.cfg, self.settings, self.info,
                               trained=True, training=training, metrics=metrics)
        save_weights(path, weight_modules(model, self.locator), meta)
