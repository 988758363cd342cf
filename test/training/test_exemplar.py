# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Exemplar index: exact nearest neighbour across chunks."""

import numpy as np

from training.exemplar import ExemplarIndex


def test_query_returns_the_nearest_exemplar_across_chunks():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(1000, 16)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    targets = np.arange(1000, dtype=np.float32)[:, None].repeat(42, 1)
    index = ExemplarIndex(features, targets)
    queries = features[[3, 500, 999]] + 0.01
    found = index.query(queries, chunk=128)
    np.testing.assert_array_equal(found[:, 0], [3, 500, 999])
    brute = targets[np.argmax(queries @ features.T, axis=1)]
    np.testing.assert_array_equal(found, brute)
