# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Training tensors for the hand: synthetic crops (online), real/twin pairs, a test set.

Real frames are cropped exactly as the node does (a localiser, then ``HandCodec.encode``: crop,
normalise); the twin of a real frame is cropped with the SAME crop transform, so that f sees
the same hand geometry in both domains. The prepared real set is cached as a plain ``.npz``
(no pickle) keyed by the data config, so the five methods share one preparation.
"""

from dataclasses import replace
import hashlib
import json
import logging
import os

import numpy as np
import torch

from fm_pose_ros.core.backends import TorchBackend
from fm_pose_ros.core.camera import check_intrinsics
from fm_pose_ros.core.fileio import atomic_write
from fm_pose_ros.core.hand_codec import crop_hand, HandCodec, HandCropTransform
from fm_pose_ros.core.hand_com import centre_of_mass, locate_hand
from fm_pose_ros.core.hand_joints import NUM_JOINTS
from fm_pose_ros.core.hand_locator import hand_cells, hand_mask, HandLocator, locator_input
from fm_pose_ros.core.networks import HAND_LOCATOR, Locator
from fm_pose_ros.core.weights import hand_metadata, save_weights, weight_modules
from fm_pose_ros.evaluation.metrics import joint_errors_mm
from training.hand.datasets import fit_label_poses, SimRealSource, synthetic_poses
from training.hand.heldout import HeldOutSource
from training.hand.heldout_ego import HeldOutEgoSource
from training.hand.model import HandPose, joints
from training.hand.nyu import NyuSource
from training.hand.robot_view import stream_crops
from training.locator import (
    cached_locator, hand_batches, POSITIVE_WEIGHT, state_digest, train_locator)
from training.predict import evaluate_hand_outputs, predict_normalised

LOGGER = logging.getLogger(__name__)
# data settings that change neither the real training nor the test frames: outside their
# cache keys (the validation set adds num_real_val to its own key)
OUTSIDE_KEY = ('cache_dir', 'num_real_val', 'label_poses', 'label_pose_sigma_deg',
               'label_pose_turn_deg', 'synthetic_ego', 'synthetic_grasp', 'mirror_train',
               'locator_channels', 'locator_dilations', 'locator_positive_weight',
               'test_crops')
# the robot views' shares change the real training frames only through robot copies: without
# copies they stay out of the key (as do robot_copies = 0 and train_crops = locator), so
# configs that use neither keep the cache keys they have always had
ROBOT_KEY = ('robot_ego', 'robot_grasp', 'robot_second_hand', 'robot_contact', 'robot_border')


def data_key(data_cfg):
    """Return the data settings that change the prepared real frames (cache keys)."""
    key = {k: v for k, v in data_cfg.__dict__.items() if k not in OUTSIDE_KEY}
    if not data_cfg.robot_copies:
        for name in ROBOT_KEY + ('robot_copies',):
            key.pop(name)
    if data_cfg.train_crops == 'locator':
        key.pop('train_crops')
    if not data_cfg.mirror_test:
        key.pop('mirror_test')
    return key


def hand_locator_config(data_cfg):
    """Return the hand locator's LocatorConfig: ``HAND_LOCATOR`` with the data's layers."""
    return replace(HAND_LOCATOR, channels=tuple(data_cfg.locator_channels),
                   dilations=tuple(data_cfg.locator_dilations)).validate()


def mirrored(records):
    """Yield the records mirrored left-right: image columns reversed, camera x negated.

    A depth map flipped about its columns, with the principal point flipped too, is the
    mirror image of the scene (camera x -> -x): every hand in it is the other hand. Labels
    ``(14, 3)`` mm are mirrored the same way.
    """
    flip = np.array([-1.0, 1.0, 1.0])
    for record in records:
        K = np.array(record['K'], np.float64)
        K[0, 2] = record['depth'].shape[1] - 1 - K[0, 2]
        yield {**record, 'depth': np.ascontiguousarray(record['depth'][:, ::-1]),
               'twin': np.ascontiguousarray(record['twin'][:, ::-1]), 'K': K,
               'joints': record['joints'] * flip, 'joints_true': record['joints_true'] * flip}


def mirror_crops(rng, share, crops, targets):
    """Mirror a random ``share`` of crops left-right (at every draw): the other hand.

    ``crops``: a list of ``(N, 1, S, S)`` arrays mirrored together (a real crop and its twin);
    ``targets`` ``(N, 42)`` cube units. Crop column j of the mirrored scene is column S-1-j
    (crop_matrix samples pixel centres symmetrically), and camera x -> -x negates each
    target's x (targets are offsets from the crop centre). Returns new arrays.
    """
    flip = rng.random(len(targets)) < share
    crops = [np.where(flip[:, None, None, None], c[..., ::-1], c) for c in crops]
    targets = np.array(targets, np.float32)
    targets.reshape(len(targets), -1, 3)[flip, :, 0] *= -1.0
    return crops, targets


def prepare_pairs(records, settings, locate=None, at_hand=False):
    """Crop real frames like the node and their twins with the same transform.

    ``records``: iterable of dict(depth (H, W) mm, twin (H, W) mm, K (3, 3), joints (14, 3)
    mm). ``locate(depth, K) -> centre or None`` is the node's learned locator (None: the
    centre-of-mass localiser); ``at_hand``: crop at the visible hand's centre instead
    (``visible_hand_centre``). Frames without a hand found are skipped (``skipped``).
    Returns arrays: real, twin ``(N, 1, S, S)``, target ``(N, 42)``, joints ``(N, 14, 3)``,
    com ``(N, 3)``, K ``(N, 3, 3)``, M ``(N, 2, 3)``, hand_centre ``(N, 3)`` (centre of mass of
    the visible hand pixels, ``hand_mask``: what the localiser should find; mm), ``skipped``.
    """
    codec = HandCodec(settings)
    if at_hand:
        locate = None                            # _pair: at the visible hand's centre
    else:
        locate = locate or (lambda depth, K: locate_hand(depth, K, settings))
    pairs = [_pair(record, codec, locate) for record in records]
    kept = [pair for pair in pairs if pair is not None]
    if not kept:
        raise ValueError(f'the localiser found no hand in any of the {len(pairs)} real frames')
    arrays = {key: np.stack([pair[key] for pair in kept]) for key in kept[0]}
    arrays['skipped'] = np.array(len(pairs) - len(kept))
    return arrays


def visible_hand_centre(record, settings, hand=None):
    """Centre of mass (mm) of a frame's visible hand pixels (``hand_mask``), or None if few.

    ``hand``: that mask when the caller has it already.
    """
    depth, K = record['depth'], record['K']
    hand = hand_mask(depth, record['twin']) if hand is None else hand
    if hand.sum() < settings.min_hand_pixels:
        return None
    return centre_of_mass(depth, hand, K)


def _pair(record, codec, locate):
    """One prepared real frame (see prepare_pairs) or None when no hand is found.

    ``locate``: ``(depth, K) -> centre or None``; None: at the visible hand's centre.
    """
    depth, K = record['depth'], check_intrinsics(record['K'])
    com = (visible_hand_centre(record, codec.settings) if locate is None
           else locate(depth, K))
    if com is None:
        return None
    sample = codec.encode(depth, K, com, joints_mm=record['joints'])
    transform = sample['transform']
    twin, _ = crop_hand(record['twin'], K, transform.com, codec.settings)
    hand = hand_mask(depth, record['twin'])
    centre = centre_of_mass(depth, hand, transform.K) if hand.any() else np.full(3, np.nan)
    return {'real': sample['crop'][None], 'twin': twin[None],
            'target': sample['target'].ravel(), 'joints': np.float32(record['joints']),
            'com': transform.com, 'K': np.float32(transform.K), 'M': transform.M,
            'hand_centre': np.float32(centre)}


def locator_frames(records, cfg):
    """Locator inputs ``input`` (N, h, w) and hand-cell targets ``cells`` (N, h/4, w/4).

    Hand pixels of a real frame are where it agrees with its clean twin (``hand_mask``).
    """
    inputs, cells = [], []
    for record in records:
        inputs.append(locator_input(record['depth'], cfg)[0].astype(np.float16))
        cells.append(hand_cells(hand_mask(record['depth'], record['twin']), cfg)
                     .astype(np.float16))
    return {'input': np.stack(inputs), 'cells': np.stack(cells)}


def training_pass(records, settings, locator_cfg, rng, jitter_mm):
    """Locator frames and training pairs of ``records`` in one pass over them.

    Each pair is cropped at the centre of mass of the frame's visible hand pixels
    (``hand_mask``) plus Gaussian noise of ``jitter_mm`` per axis (the localiser's error, as
    for synthetic crops), so it needs no trained locator; ``data.train_crops: hand``.
    Returns the ``prepare_pairs`` arrays (``skipped``: frames with too few hand pixels) plus
    ``locator_input`` and ``locator_cells`` (the ``locator_frames`` arrays).
    """
    codec, pairs, inputs, cells = HandCodec(settings), [], [], []
    for record in records:
        depth = record['depth']
        hand = hand_mask(depth, record['twin'])
        inputs.append(locator_input(depth, locator_cfg)[0].astype(np.float16))
        cells.append(hand_cells(hand, locator_cfg).astype(np.float16))
        centre = visible_hand_centre(record, settings, hand)
        if centre is None:
            continue
        centre = centre + rng.normal(0.0, jitter_mm, 3)
        pairs.append(_pair(record, codec, lambda depth_mm, K_: centre))
    if not pairs:
        raise ValueError(f'no hand pixels in any of the {len(inputs)} training frames')
    arrays = {key: np.stack([pair[key] for pair in pairs]) for key in pairs[0]}
    arrays.update(skipped=np.array(len(inputs) - len(pairs)), locator_input=np.stack(inputs),
                  locator_cells=np.stack(cells))
    return arrays


def transforms_of(arrays, settings):
    """Rebuild the HandCropTransform of every prepared frame."""
    cube = np.asarray(settings.cube_mm, np.float32)
    return [HandCropTransform(com=com, cube=cube, K=K.astype(np.float64), M=M,
                              crop_size=settings.crop_size)
            for com, K, M in zip(arrays['com'], arrays['K'], arrays['M'])]


def cached(folder, name, key_dict, build):
    """Load ``<folder>/<name>-<hash>.npz`` or build (dict of arrays) and save it."""
    digest = hashlib.sha256(json.dumps(key_dict, sort_keys=True).encode()).hexdigest()[:12]
    path = os.path.join(folder, f'{name}-{digest}.npz')
    if os.path.exists(path):
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except Exception as exc:  # a truncated or damaged cache: zipfile, OSError, ValueError
            LOGGER.warning('cache %s is damaged (%s: %s): rebuilding it', path,
                           type(exc).__name__, ' '.join(str(exc).split())[:120])
    arrays = build()

    def write(tmp):
        with open(tmp, 'wb') as handle:
            np.savez(handle, **arrays)
    atomic_write(path, write)
    return arrays


class HandTrainingData:
    """The three streams the training loop asks for, from the configured source.

    ``locator``: the learned hand locator that crops the real frames (e.g. the one inside a
    weights file being evaluated); by default the shared one, trained once per data config
    on the labelled real training frames and cached (``data.locator_steps`` = 0: none, the
    centre-of-mass localiser crops).
    """

    headline = 'mean_joint_error_mm'

    def __init__(self, cfg, train=True, locator=None):
        self.cfg = cfg
        self.settings = cfg.crop
        self.jitter = cfg.data.com_jitter_mm
        self.source = source = _make_source(cfg.data)
        self.key = {'data': data_key(cfg.data),
                    'crop': cfg.crop.__dict__, 'source': source.name, 'version': 3}
        folder = cfg.data.cache_dir
        self.train, frames = None, None
        if train and cfg.data.train_crops == 'hand':
            self.train, frames = self._one_pass()
        self.locator = self._shared_locator(frames) if locator is None else locator.eval()
        locate = None if self.locator is None else HandLocator(
            TorchBackend(self.locator, 'cpu'), self.locator.cfg, self.settings)
        key = {**self.key,
               'locator': None if self.locator is None else state_digest(self.locator)}
        at_hand = cfg.data.test_crops == 'hand'    # else where the locator points
        test_key = {**key, 'locator': 'at the hand'} if at_hand else key
        held_out = mirrored if cfg.data.mirror_test else iter
        self.test = cached(folder, f'{source.name}-test', test_key, lambda: prepare_pairs(
            held_out(source.test_records()), self.settings, locate, at_hand))
        if train and self.train is None:
            self.train = cached(folder, f'{source.name}-train', key, lambda: prepare_pairs(
                source.train_records(), self.settings, locate))
        self.val = (cached(folder, f'{source.name}-val',
                           {**test_key, 'val': cfg.data.num_real_val},
                           lambda: prepare_pairs(held_out(source.val_records()),
                                                 self.settings, locate, at_hand))
                    if cfg.data.num_real_val > 0 else None)
        self.pose_pool = (self._label_pose_pool(key)
                          if train and cfg.data.label_poses > 0 else None)
        LOGGER.info('real pairs: %d train, %d val, %d test (localiser missed %s / %s)',
                    0 if self.train is None else len(self.train['real']),
                    0 if self.val is None else len(self.val['real']), len(self.test['real']),
                    None if self.train is None else int(self.train['skipped']),
                    int(self.test['skipped']))

    def _one_pass(self):
        """Training pairs and locator frames from one pass (``data.train_crops: hand``)."""
        rng = np.random.default_rng([self.cfg.data.seed, 9])
        arrays = cached(self.cfg.data.cache_dir, f'{self.source.name}-train-once', self.key,
                        lambda: training_pass(self.source.train_records(), self.settings,
                                              HAND_LOCATOR, rng, self.jitter))
        frames = {'input': arrays.pop('locator_input'), 'cells': arrays.pop('locator_cells')}
        return arrays, frames

    def _shared_locator(self, frames=None):
        """Return the cached hand locator of this data config (trained if needed) or None.

        ``frames``: its training frames (``locator_frames`` arrays) when already made.
        """
        steps, batch = self.cfg.data.locator_steps, self.cfg.data.locator_batch
        if steps <= 0:
            return None
        cfg, weight = hand_locator_config(self.cfg.data), self.cfg.data.locator_positive_weight

        def train(locator):
            nonlocal frames
            if frames is None:
                frames = cached(self.cfg.data.cache_dir, f'{self.source.name}-locator',
                                self.key, lambda: locator_frames(self.source.train_records(),
                                                                 locator.cfg))
            train_locator(locator, hand_batches(frames['input'], frames['cells'], batch), steps,
                          positive_weight=weight)
        with torch.random.fork_rng():
            torch.manual_seed(self.cfg.data.seed)
            locator = Locator(cfg)
        key = {**self.key, 'locator': cfg.to_dict()}
        if weight != POSITIVE_WEIGHT:
            key['positive_weight'] = weight
        return cached_locator(self.cfg.data.cache_dir, 'hand-locator', key, locator, train)

    def _label_pose_pool(self, key):
        """Hand-model poses of the real training labels (IK fits, cached)."""
        arrays = cached(self.cfg.data.cache_dir, f'{self.source.name}-label-poses', key,
                        lambda: fit_label_poses(self.train['joints']).arrays())
        pool = HandPose(**arrays)
        fit = joint_errors_mm(joints(pool), self.train['joints']).mean()
        LOGGER.info('label pose pool: %d poses, IK fit %.2f mm', len(pool), fit)
        return pool

    def synthetic_batch(self, rng, n):
        """Online synthetic crops ``(n, 1, S, S)`` and targets ``(n, 42)``.

        Poses: ``data.label_poses`` of them from the label pose pool with random
        articulations, the rest from the hand-pose prior (``datasets.synthetic_poses``);
        ``data.synthetic_ego`` of them turned to egocentric views and
        ``data.synthetic_grasp`` holding an object (``robot_view``).
        """
        data = self.cfg.data
        poses = synthetic_poses(rng, n, self.pose_pool, data.label_poses,
                                np.radians(data.label_pose_sigma_deg),
                                np.radians(data.label_pose_turn_deg))
        crops, targets = stream_crops(rng, poses, self.settings, self.jitter, data, self.source)
        crops = np.asarray(crops, np.float32).reshape(n, 1, *crops.shape[-2:])
        targets = np.asarray(targets, np.float32).reshape(n, 3 * NUM_JOINTS)
        if data.mirror_train:
            (crops,), targets = mirror_crops(rng, data.mirror_train, [crops], targets)
        return crops, targets

    def paired_batch(self, rng, n):
        """Random real crops, their twins and targets from the fixed real training set."""
        index = rng.integers(0, len(self.train['real']), n)
        real, twin, target = (self.train[k][index] for k in ('real', 'twin', 'target'))
        if self.cfg.data.mirror_train:
            (real, twin), target = mirror_crops(rng, self.cfg.data.mirror_train, [real, twin],
                                                target)
        return real, twin, target

    def test_set(self):
        """Real test crops ``(N, 1, S, S)``, their transforms and true joints ``(N, 14, 3)``."""
        return self._frames(self.test)

    def _split(self, split):
        if split == 'val' and self.val is None:
            raise ValueError('no validation frames: data.num_real_val is 0')
        return self.val if split == 'val' else self.test

    def _frames(self, arrays):
        return {'crops': arrays['real'], 'transforms': transforms_of(arrays, self.settings),
                'joints_mm': arrays['joints'].astype(np.float64)}

    def evaluate(self, predict, split='test', refine=None):
        """Hand report of ``predict`` (crops -> normalised outputs) on the real test set.

        ``split='val'``: on the validation frames instead (for tuning). ``refine``: applied to
        every decoded frame (``predict.evaluate_hand_outputs``). Adds
        ``crop_centre_error_mm``: mean distance from the localiser's crop centre to the
        centre of mass of the visible hand pixels (frames with hand pixels), and
        ``locator_misses``: frames where the localiser found no hand (not in the means).
        """
        arrays = self._split(split)
        report = evaluate_hand_outputs(predict, self._frames(arrays), refine)
        error = np.linalg.norm(arrays['com'] - arrays['hand_centre'], axis=1)
        report['crop_centre_error_mm'] = float(np.nanmean(error))
        report['locator_misses'] = int(arrays['skipped'])
        return report

    def evaluate_twins(self, model, device='cpu', split='test'):
        """Mean joint error (mm) of ``h(f(.))`` on the test (or val) frames' synthetic twins.

        The same poses and crops without the domain gap: what is left is the pose
        regression's own error; the real error minus this one is the gap's share.
        """
        arrays = self._split(split)
        frames = {**self._frames(arrays), 'crops': arrays['twin']}
        report = evaluate_hand_outputs(
            lambda crops: predict_normalised(model, crops, device, synthetic=True), frames)
        return report['mean_joint_error_mm']

    def evaluate_synthetic(self, model, count=400, seed=123, device='cpu'):
        """Mean joint error (mm) of ``h(f(.))`` on ``count`` fresh synthetic crops.

        How well the regression fits its own training distribution (this data config's
        synthetic stream, fixed seed; the prior's poses only when the training frames, and so
        the label pose pool, are not loaded): far below the twin error means the test poses
        are harder than the rendered ones; close to it means the network underfits.
        """
        crops, targets = self.synthetic_batch(np.random.default_rng(seed), count)
        out = predict_normalised(model, crops, device, synthetic=True)
        half_cube = np.asarray(self.settings.cube_mm) / 2.0      # normalised -> mm
        shape = (count, NUM_JOINTS, 3)
        return float(joint_errors_mm(out.reshape(shape) * half_cube,
                                     targets.reshape(shape) * half_cube).mean())

    def export(self, path, model, training, metrics):
        """Write the hand weights file."""
        save_weights(path, weight_modules(model, self.locator), hand_metadata(
            self.cfg.net, self.settings, trained=True, training=training, metrics=metrics,
            locator_cfg=None if self.locator is None else self.locator.cfg))


def _make_source(data_cfg):
    """Return the source named by ``data.source`` (built-in ones by name, else an NYU folder).

    ``simreal``: the built-in benchmark; ``heldout-tof`` and ``heldout-ego``: the held-out
    test domains (a time-of-flight camera; egocentric grasps seen by passive stereo).
    """
    builtin = {'simreal': SimRealSource, 'heldout-tof': HeldOutSource,
               'heldout-ego': HeldOutEgoSource}
    return builtin.get(data_cfg.source, NyuSource)(data_cfg)
