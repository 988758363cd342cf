# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Prepared training pairs: node-identical crops, twins on the same transform, cache; the
hand locator's training frames and its training."""

import numpy as np
import torch

from fm_pose_ros.core.hand_codec import HandCodec, HandCropSettings
from fm_pose_ros.core.hand_com import centre_of_mass, locate_hand
from fm_pose_ros.core.hand_joints import PALM_CENTRE
from fm_pose_ros.core.hand_locator import hand_mask
from fm_pose_ros.core.networks import HAND_LOCATOR, Locator
from training.hand.data import cached, locator_frames, prepare_pairs, transforms_of
from training.hand.datasets import real_like_frames
from training.locator import hand_batches, locator_loss, train_locator


def test_pairs_use_the_node_crop_and_the_same_transform_for_twins():
    records = list(real_like_frames(np.random.default_rng(0), 4))
    settings = HandCropSettings()
    pairs = prepare_pairs(records, settings)
    kept = len(pairs['real'])
    assert kept + int(pairs['skipped']) == 4
    codec = HandCodec(settings)
    for i, transform in enumerate(transforms_of(pairs, settings)):
        depth, K = records[i]['depth'], records[i]['K']
        sample = codec.encode(depth, K, locate_hand(depth, K, settings))
        np.testing.assert_array_equal(pairs['real'][i, 0], sample['crop'])
        back = transform.denormalise_joints(pairs['target'][i])
        np.testing.assert_allclose(back, records[i]['joints'], atol=1e-3)


def test_cache_builds_once(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return {'x': np.arange(3)}
    first = cached(str(tmp_path), 'n', {'a': 1}, build)
    second = cached(str(tmp_path), 'n', {'a': 1}, build)
    cached(str(tmp_path), 'n', {'a': 2}, build)
    np.testing.assert_array_equal(first['x'], second['x'])
    assert len(calls) == 2


def test_pairs_are_cropped_where_the_locator_points():
    records = list(real_like_frames(np.random.default_rng(1), 3))
    palms = [r['joints'][PALM_CENTRE] for r in records]
    answers = iter([palms[0], None, palms[2]])          # no hand found in the second frame
    pairs = prepare_pairs(records, HandCropSettings(), lambda depth, K: next(answers))
    assert int(pairs['skipped']) == 1 and len(pairs['real']) == 2
    np.testing.assert_allclose(pairs['com'], [palms[0], palms[2]], atol=1e-3)
    # the reference centre: centre of mass of the visible hand pixels
    perfect = prepare_pairs(records, HandCropSettings(), lambda depth, K: centre_of_mass(
        depth, hand_mask(depth, next(r['twin'] for r in records if r['depth'] is depth)), K))
    np.testing.assert_allclose(perfect['hand_centre'], perfect['com'], atol=1e-3)
    assert np.linalg.norm(pairs['hand_centre'] - pairs['com'], axis=1).min() > 1.0


def test_locator_targets_cover_the_hand_not_the_forearm_or_the_wall():
    records = list(real_like_frames(np.random.default_rng(2), 4))
    frames = locator_frames(records, HAND_LOCATOR)
    assert frames['input'].shape == (4, 120, 160) and frames['cells'].shape == (4, 30, 40)
    for record, cells in zip(records, frames['cells'].astype(np.float32)):
        hand = hand_mask(record['depth'], record['twin'])
        scene = (record['depth'] > 0).sum()
        assert 0 < hand.sum() < 0.5 * scene
        assert abs(cells.sum() * 16 * 16 - hand.sum()) < 0.05 * hand.sum()


def test_hand_locator_training_reduces_its_loss():
    records = list(real_like_frames(np.random.default_rng(3), 8))
    frames = locator_frames(records, HAND_LOCATOR)
    torch.manual_seed(0)
    locator = Locator(HAND_LOCATOR)

    def loss_on_all():
        x = torch.from_numpy(frames['input'].astype(np.float32)[:, None])
        cells = torch.from_numpy(frames['cells'].astype(np.float32)[:, None])
        with torch.no_grad():
            return locator_loss(locator.eval()(x), cells).item()
    before = loss_on_all()
    train_locator(locator, hand_batches(frames['input'], frames['cells'], 8), 60, lr=3e-3)
    assert loss_on_all() < 0.5 * before
