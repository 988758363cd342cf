# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Outputs that are not numbers (NaN or inf) are an error, never a published pose.

``number_in`` and ``integer_in`` check settings read from files the same way: a NaN, an
infinity or a huge number is out of range, whatever the range.
"""

import math
import numbers

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


def number_in(value, low, high):
    """Whether ``value`` is a real number (not a bool) with ``low <= value <= high``.

    NaN, inf and integers too large for a float are outside every range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value) and low <= value <= high
    except OverflowError:
        return False


def integer_in(value, low, high):
    """Whether ``value`` is an integer (not a bool; numpy integers count) in ``[low, high]``."""
    return (isinstance(value, numbers.Integral) and not isinstance(value, bool)
            and low <= value <= high)
