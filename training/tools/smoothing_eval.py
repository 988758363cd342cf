# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Temporal smoothing and depth fitting on the ``make demo`` motion: error, jitter, lag, time.

``python -m training.tools.smoothing_eval [--frames 90] [--seed 7] [--fit-iterations 0,3]
[--filters 1.0,0.0,1.0 ...] [--weights W]``

Renders the demo's motion (``training/tools/demo.py``: the same seed, frames, 30 Hz and
16UC1 millimetre rounding as its bag), runs ``HandEstimator`` on every frame in order (the
node's path, in this process, one thread), once per ``--fit-iterations`` value, then applies
each One Euro filter ``min_cutoff,beta,d_cutoff`` (``none``: no filter) to the joint tracks
with the frames' stamps. For every combination it prints one Markdown row: mean joint error
(mm), jitter (mean frame-to-frame acceleration error against the truth, mm/frame^2), lag
(the shift of the truth that best fits the track, ms; ``metrics.track_lag_s``) and the
estimator's time per frame (p50, ms; fitting included).
"""

import argparse
import sys

import numpy as np
import torch

from fm_pose_ros.core.hand_estimator import HandEstimator, NoHandError
from fm_pose_ros.core.image_codec import mm_to_depth_array
from fm_pose_ros.core.joint_filter import OneEuroFilter
from fm_pose_ros.core.resources import default_weights
from fm_pose_ros.evaluation.metrics import track_jitter_mm, track_lag_s
from training.hand.datasets import pose_sequence, real_like_frames

RATE_HZ = 30.0


def demo_frames(seed, count):
    """The demo's frames: depth (H, W) mm as its 16UC1 bag holds it, K, true joints."""
    rng = np.random.default_rng(seed)
    frames = real_like_frames(rng, count, label_noise=False, poses=pose_sequence(rng, count))
    return [(mm_to_depth_array(f['depth'], '16UC1').astype(np.float32), f['K'],
             f['joints_true']) for f in frames]


def raw_tracks(estimator, frames):
    """Joints ``(T, 14, 3)`` mm per frame (NaN: no hand) and the time per frame (ms)."""
    joints, times = [], []
    for depth, K, _ in frames:
        try:
            estimate = estimator.estimate(depth, K)
        except NoHandError:
            joints.append(np.full((14, 3), np.nan))
            continue
        joints.append(estimate.joints_mm)
        times.append(sum(estimate.timings_ms.values()))
    return np.asarray(joints, np.float64), np.asarray(times)


def smooth(track, settings):
    """Apply a One Euro filter (``(min_cutoff, beta, d_cutoff)``) to a track at 30 Hz."""
    if settings is None:
        return track
    smoother = OneEuroFilter(*settings)
    out = np.full_like(track, np.nan)
    for i, joints in enumerate(track):
        if np.isfinite(joints).all():
            out[i] = smoother(joints, i / RATE_HZ)
        else:
            smoother.reset()
    return out


def row(fit, settings, track, truth, times):
    """One Markdown table row."""
    found = np.isfinite(track).all(axis=(1, 2))
    error = np.linalg.norm(track[found] - truth[found], axis=-1).mean()
    label = 'off' if settings is None else ', '.join(f'{v:g}' for v in settings)
    return (f'| {fit} | {label} | {error:.2f} | {track_jitter_mm(track, truth):.2f} | '
            f'{track_lag_s(track, truth, 1.0 / RATE_HZ) * 1e3:.0f} | '
            f'{np.median(times):.2f} |')


def parse_filter(text):
    """``none`` -> None; ``a,b,c`` -> (min_cutoff, beta, d_cutoff)."""
    if text == 'none':
        return None
    values = tuple(float(v) for v in text.split(','))
    if len(values) != 3:
        raise ValueError(f'a filter is min_cutoff,beta,d_cutoff or none, got {text!r}')
    OneEuroFilter(*values)                      # a bad value fails here, in one line
    return values


def main(argv=None):
    """Print the table of every fitting count and filter on the demo motion."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=90)
    parser.add_argument('--seed', type=int, default=7)
    parser.add_argument('--fit-iterations', default='0', help='comma-separated counts')
    parser.add_argument('--filters', nargs='+', default=['none', '1.0,0.0,1.0'])
    parser.add_argument('--weights', help='default: the shipped hand model')
    args = parser.parse_args(argv)
    try:
        filters = [parse_filter(text) for text in args.filters]
        fits = [int(v) for v in args.fit_iterations.split(',')]
        torch.set_num_threads(1)
        estimator = HandEstimator(args.weights or default_weights(), 'cpu', 'onnxruntime',
                                  threads=1)
        for fit in fits:
            estimator.set_fit_iterations(fit)
    except ValueError as exc:
        print(f'smoothing_eval: {exc}', file=sys.stderr)
        return 2
    frames = demo_frames(args.seed, args.frames)
    truth = np.asarray([f[2] for f in frames], np.float64)
    print('| fit_iterations | filter (min_cutoff, beta, d_cutoff) | mean error (mm) | '
          'jitter (mm/frame^2) | lag (ms) | estimate p50 (ms) |')
    print('|---|---|---|---|---|---|')
    for fit in fits:
        estimator.set_fit_iterations(fit)
        estimator.reset_tracking()
        track, times = raw_tracks(estimator, frames)
        for settings in filters:
            print(row(fit, settings, smooth(track, settings), truth, times), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
