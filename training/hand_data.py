# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Training tensors for the hand: synthetic crops (online), real/twin pairs, a test set.

Real frames are cropped exactly as the node does (``HandCodec.encode``: localise, crop,
normalise); the twin of a real frame is cropped with the SAME crop transform, so that f sees
the same hand geometry in both domains. The prepared real set is cached as a plain ``.npz``
(no pickle) keyed by the data config, so the five methods share one preparation.
"""

import hashlib
import json
import logging
import os

import numpy as np

from fm_pose_ros.checkpoint import hand_metadata, save_weights
from fm_pose_ros.hand_codec import crop_hand, CropTransform, HandCodec
from fm_pose_ros.hand_joints import NUM_JOINTS
from training.evaluate import evaluate_hand_outputs

LOGGER = logging.getLogger(__name__)


def prepare_pairs(records, settings):
    """Crop real frames like the node and their twins with the same transform.

    ``records``: iterable of dict(depth (H, W) mm, twin (H, W) mm, K (3, 3), joints (14, 3)
    mm). Frames where the localiser finds no hand are skipped (counted in ``skipped``).
    Returns arrays: real, twin ``(N, 1, S, S)``, target ``(N, 42)``, joints ``(N, 14, 3)``,
    com ``(N, 3)``, K ``(N, 3, 3)``, M ``(N, 2, 3)``, and ``skipped``.
    """
    codec = HandCodec(settings)
    out = {key: [] for key in ('real', 'twin', 'target', 'joints', 'com', 'K', 'M')}
    skipped = 0
    for record in records:
        sample = codec.encode(record['depth'], record['K'], joints_mm=record['joints'])
        if sample is None:
            skipped += 1
            continue
        transform = sample['transform']
        twin, _ = crop_hand(record['twin'], record['K'], transform.com, settings)
        for key, value in (('real', sample['crop'][None]), ('twin', twin[None]),
                           ('target', sample['target'].ravel()), ('joints', record['joints']),
                           ('com', transform.com), ('K', transform.K), ('M', transform.M)):
            out[key].append(np.asarray(value, np.float32 if key != 'M' else np.float64))
    arrays = {key: np.stack(values) for key, values in out.items()}
    arrays['skipped'] = np.array(skipped)
    return arrays


def transforms_of(arrays, settings):
    """Rebuild the CropTransform of every prepared frame."""
    cube = np.asarray(settings.cube_mm, np.float32)
    return [CropTransform(com=com, cube=cube, K=K.astype(np.float64), M=M,
                          crop_size=settings.crop_size)
            for com, K, M in zip(arrays['com'], arrays['K'], arrays['M'])]


def cached(folder, name, key_dict, build):
    """Load ``<folder>/<name>-<hash>.npz`` or build (dict of arrays) and save it."""
    digest = hashlib.sha256(json.dumps(key_dict, sort_keys=True).encode()).hexdigest()[:12]
    path = os.path.join(folder, f'{name}-{digest}.npz')
    if os.path.exists(path):
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    arrays = build()
    os.makedirs(folder, exist_ok=True)
    tmp = path + '.tmp.npz'
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return arrays


class HandTrainingData:
    """The three streams the training loop asks for, from the configured source."""

    headline = 'mean_joint_error_mm'

    def __init__(self, cfg, train=True):
        self.cfg = cfg
        self.settings = cfg.crop
        self.jitter = cfg.data.com_jitter_mm
        source = _make_source(cfg.data)
        key = {'data': {k: v for k, v in cfg.data.__dict__.items() if k != 'cache_dir'},
               'crop': cfg.crop.__dict__, 'source': source.name, 'version': 1}
        folder = cfg.data.cache_dir
        self.test = cached(folder, f'{source.name}-test', key, lambda: prepare_pairs(
            source.test_records(), self.settings))
        self.train = (cached(folder, f'{source.name}-train', key, lambda: prepare_pairs(
            source.train_records(), self.settings)) if train else None)
        self.source = source
        LOGGER.info('real pairs: %d train, %d test (localiser missed %s / %s)',
                    0 if self.train is None else len(self.train['real']),
                    len(self.test['real']),
                    None if self.train is None else int(self.train['skipped']),
                    int(self.test['skipped']))

    def synthetic_batch(self, rng, n):
        """Online synthetic crops ``(n, 1, S, S)`` and targets ``(n, 42)``."""
        crops, targets = self.source.synthetic_crops(rng, n, self.settings, self.jitter)
        return (np.asarray(crops, np.float32).reshape(n, 1, *crops.shape[-2:]),
                np.asarray(targets, np.float32).reshape(n, 3 * NUM_JOINTS))

    def paired_batch(self, rng, n):
        """Random real crops, their twins and targets from the fixed real training set."""
        index = rng.integers(0, len(self.train['real']), n)
        return self.train['real'][index], self.train['twin'][index], self.train['target'][index]

    def test_set(self):
        """Real test crops ``(N, 1, S, S)``, their transforms and true joints ``(N, 14, 3)``."""
        return {'crops': self.test['real'], 'transforms': transforms_of(self.test, self.settings),
                'joints_mm': self.test['joints'].astype(np.float64)}

    def evaluate(self, predict):
        """Hand report of ``predict`` (crops -> normalised outputs) on the real test set."""
        return evaluate_hand_outputs(predict, self.test_set())

    def export(self, path, model, training, metrics):
        """Write the hand weights file."""
        save_weights(path, model, hand_metadata(self.cfg.net, self.settings, trained=True,
                                                training=training, metrics=metrics))


def make_training_data(cfg, train=True):
    """Return the training data of ``cfg.task``: HandTrainingData or ObjectTrainingData."""
    if cfg.task == 'object':
        from training.object_data import ObjectTrainingData
        return ObjectTrainingData(cfg, train)
    return HandTrainingData(cfg, train)


def _make_source(data_cfg):
    if data_cfg.source == 'simreal':
        from training.datasets import SimRealSource
        return SimRealSource(data_cfg)
    from training.nyu import NyuSource
    return NyuSource(data_cfg)
