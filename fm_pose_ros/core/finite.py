# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Outputs that are not numbers (NaN or inf) are an error, never a published pose."""

import numpy as np


class NonFiniteOutput(ValueError):
    """The network or the geometry produced NaN or inf for this frame."""


def require_finite(what, *arrays):
    """Raise NonFiniteOutput unless every value of ``arrays`` is finite."""
    for array in arrays:
        values = np.asarray(array, dtype=np.float64)
        if not np.isfinite(values).all():
            bad = int((~np.isfinite(values)).sum())
            raise NonFiniteOutput(f'{what}: {bad} of {values.size} values are NaN or inf')
