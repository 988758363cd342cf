# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Prepared training pairs: node-identical crops, twins on the same transform, cache."""

import numpy as np

from fm_pose_ros.hand_codec import CropSettings, HandCodec
from training.datasets import real_like_frames
from training.hand_data import cached, prepare_pairs, transforms_of


def test_pairs_use_the_node_crop_and_the_same_transform_for_twins():
    records = list(real_like_frames(np.random.default_rng(0), 4))
    settings = CropSettings()
    pairs = prepare_pairs(records, settings)
    kept = len(pairs['real'])
    assert kept + int(pairs['skipped']) == 4
    codec = HandCodec(settings)
    for i, transform in enumerate(transforms_of(pairs, settings)):
        sample = codec.encode(records[i]['depth'], records[i]['K'])
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
