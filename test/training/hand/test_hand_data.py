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
from training.config import load_config
from training.hand.data import (
    cached, HandTrainingData, locator_frames, mirror_crops, mirrored, prepare_pairs,
    training_pass, transforms_of)
from training.hand.datasets import real_like_frames, SimRealSource
from training.locator import hand_batches, locator_loss, state_digest, train_locator


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
    # data.test_crops: hand crops there whatever the locator says
    at_hand = prepare_pairs(records, HandCropSettings(), lambda depth, K: None, at_hand=True)
    assert int(at_hand['skipped']) == 0
    np.testing.assert_allclose(at_hand['com'], perfect['com'], atol=1e-3)


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


def test_one_pass_crops_at_the_visible_hand_and_keeps_the_locator_frames():
    records = list(real_like_frames(np.random.default_rng(4), 6))
    settings = HandCropSettings()
    arrays = training_pass(records, settings, HAND_LOCATOR, np.random.default_rng(0), 0.0)
    frames = locator_frames(records, HAND_LOCATOR)
    np.testing.assert_array_equal(arrays['locator_input'], frames['input'])
    np.testing.assert_array_equal(arrays['locator_cells'], frames['cells'])
    assert len(arrays['real']) + int(arrays['skipped']) == 6
    np.testing.assert_allclose(arrays['com'], arrays['hand_centre'], atol=1e-3)
    jittered = training_pass(records, settings, HAND_LOCATOR, np.random.default_rng(0), 10.0)
    offset = np.linalg.norm(jittered['com'] - jittered['hand_centre'], axis=1)
    assert 3.0 < offset.mean() < 35.0
    np.testing.assert_array_equal(jittered['twin'].shape, jittered['real'].shape)


def test_one_pass_data_makes_the_training_frames_once(tmp_path, monkeypatch):
    calls = []
    original = SimRealSource.train_records

    def counted(source):
        calls.append(1)
        return original(source)
    monkeypatch.setattr(SimRealSource, 'train_records', counted)
    items = ['data.num_real_train=6', 'data.num_real_test=2', 'data.num_real_val=0',
             'data.locator_steps=2', 'data.locator_batch=2', f'data.cache_dir={tmp_path}']
    data = HandTrainingData(load_config(None, items + ['data.train_crops=hand']))
    assert len(calls) == 1 and len(data.train['real']) > 0 and data.locator is not None
    assert 'locator_input' not in data.train
    assert data.locator.cfg == HAND_LOCATOR
    # a wider locator is trained on the same cached frames (no new pass), cached apart
    # (test crops at the hand: two steps of training find no hand in the test frames)
    wide = HandTrainingData(load_config(None, items + [
        'data.train_crops=hand', 'data.locator_channels=[8, 8, 8, 8, 8]',
        'data.locator_dilations=[2, 4, 8]', 'data.test_crops=hand']))
    assert len(calls) == 1 and wide.locator.cfg.dilations == (2, 4, 8)
    assert wide.locator.cfg.channels == (8, 8, 8, 8, 8)
    assert state_digest(wide.locator) != state_digest(data.locator)
    HandTrainingData(load_config(None, items))
    assert len(calls) == 3                    # the locator's pass and the cropping pass


def test_mirrored_frames_are_the_mirror_image_with_mirrored_labels():
    record = next(real_like_frames(np.random.default_rng(5), 1))
    flipped = next(mirrored([record]))
    width = record['depth'].shape[1]
    np.testing.assert_array_equal(flipped['depth'], record['depth'][:, ::-1])
    np.testing.assert_array_equal(flipped['twin'], record['twin'][:, ::-1])

    def columns(joints, K):
        return K[0, 0] * joints[:, 0] / joints[:, 2] + K[0, 2]
    np.testing.assert_allclose(columns(flipped['joints'], flipped['K']),
                               width - 1 - columns(record['joints'], record['K']), atol=1e-9)
    np.testing.assert_array_equal(flipped['joints'][:, 1:], record['joints'][:, 1:])


def test_a_mirrored_crop_is_the_crop_of_the_mirrored_frame_with_its_target():
    records = list(real_like_frames(np.random.default_rng(6), 3))
    settings = HandCropSettings()

    def palm(depth, K):  # the crop centre, mirrored with the frame (x -> -x)
        return next(r['joints'][PALM_CENTRE] for r in records + flipped if r['depth'] is depth)
    flipped = list(mirrored(records))
    plain, other = (prepare_pairs(r, settings, palm) for r in (records, flipped))
    (real, twin), target = mirror_crops(np.random.default_rng(0), 1.0,
                                        [plain['real'], plain['twin']], plain['target'])
    np.testing.assert_allclose(real, other['real'], atol=1e-5)
    np.testing.assert_allclose(twin, other['twin'], atol=1e-5)
    np.testing.assert_allclose(target, other['target'], atol=1e-5)
    (kept,), same = mirror_crops(np.random.default_rng(0), 0.0, [plain['real']],
                                 plain['target'])
    np.testing.assert_array_equal(kept, plain['real'])
    np.testing.assert_array_equal(same, plain['target'])


def test_mirror_train_mirrors_about_its_share_of_every_batch(tmp_path):
    crops = np.arange(2000 * 4, dtype=np.float32).reshape(2000, 1, 2, 2)
    targets = np.ones((2000, 42), np.float32)
    (out,), flipped = mirror_crops(np.random.default_rng(1), 0.3, [crops], targets)
    mirrored_rows = flipped[:, 0] < 0
    assert 0.27 < mirrored_rows.mean() < 0.33
    np.testing.assert_array_equal(out[mirrored_rows], crops[mirrored_rows][..., ::-1])
    np.testing.assert_array_equal(flipped[:, 1::3], 1.0)  # y and z unchanged
    assert (targets == 1.0).all()                          # the input is left alone
