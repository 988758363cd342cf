# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The training tasks: what a task's data offers the trainer, and the factory of each task.

``train``, ``evaluate`` and ``compare`` import this module; the task modules
(``training/hand/data.py``, ``training/object/data.py``) never import those three.
"""

from typing import Any, Optional, Protocol

import numpy as np

from training.hand.data import HandTrainingData
from training.object.data import ObjectTrainingData


class TaskData(Protocol):
    """The data of one task, as the trainer uses it.

    Arrays are float32 crops ``(n, C, S, S)`` in [-1, 1] and normalised targets
    ``(n, num_outputs)`` (the task's codec).
    """

    headline: str                 # the metric reported in logs and weights metadata
    val: Optional[Any]            # the validation split, or None when the task has none

    def synthetic_batch(self, rng: np.random.Generator, n: int):
        """``(crops, targets)`` of ``n`` fresh synthetic renders."""

    def paired_batch(self, rng: np.random.Generator, n: int):
        """``(real crops, their synthetic twins, targets)`` of ``n`` labelled real frames."""

    def evaluate(self, predict, split: str = 'test') -> dict:
        """Metrics of ``predict`` (crops -> outputs) on the test (or val) frames."""

    def export(self, path: str, model, training: dict, metrics: dict) -> None:
        """Write the task's weights file."""


def make_training_data(cfg, train=True, locator=None) -> TaskData:
    """Return the training data of ``cfg.task`` (``locator``: hands only, a trained locator)."""
    if cfg.task == 'object':
        return ObjectTrainingData(cfg, train)
    return HandTrainingData(cfg, train, locator)
