# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Exemplar baseline: nearest synthetic exemplar in f's feature space gives the pose.

The approach the paper compared against: render many exemplars with known poses, describe
each with ``f`` (trained on synthetic images), and answer a real image with the pose of the
exemplar whose features are closest (cosine similarity). Accuracy is bounded by how densely
the exemplars cover pose space; query time grows with their number.
"""

import numpy as np
import torch


def describe(model, crops, device='cpu', batch_size=256):
    """L2-normalised features ``(N, D)`` float32 of crops ``(N, C, S, S)`` through f.

    A dense head's maps ``(C', s, s)`` are flattened to ``D = C' s s``.
    """
    model.eval()
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(crops), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(crops[start:start + batch_size]))
            features = model.f(batch.to(device)).flatten(1)
            chunks.append(torch.nn.functional.normalize(features, dim=1).cpu().numpy())
    return np.concatenate(chunks).astype(np.float32)


class ExemplarIndex:
    """Exemplar features ``(N, D)`` with their normalised targets ``(N, 42)``."""

    def __init__(self, features, targets):
        self.features = torch.from_numpy(np.ascontiguousarray(features, np.float32))
        self.targets = np.asarray(targets, np.float32)

    def __len__(self):
        return len(self.targets)

    def query(self, features, chunk=4096):
        """Targets ``(Q, 42)`` of the most similar exemplar of each query ``(Q, D)``."""
        queries = torch.from_numpy(np.ascontiguousarray(features, np.float32))
        best_score = torch.full((len(queries),), -np.inf)
        best_index = torch.zeros(len(queries), dtype=torch.long)
        for start in range(0, len(self.features), chunk):
            scores = queries @ self.features[start:start + chunk].T   # (Q, chunk)
            score, index = scores.max(dim=1)
            better = score > best_score
            best_score[better] = score[better]
            best_index[better] = index[better] + start
        return self.targets[best_index.numpy()]


def build_index(model, data, count, seed=1234, batch=512):
    """Render ``count`` synthetic exemplars through ``data`` and index their features."""
    rng = np.random.default_rng(seed)
    features, targets = [], []
    for start in range(0, count, batch):
        crops, target = data.synthetic_batch(rng, min(batch, count - start))
        features.append(describe(model, crops))
        targets.append(target if target.ndim == 2 else target[:, 0])  # symmetries: the box's
    return ExemplarIndex(np.concatenate(features), np.concatenate(targets))
