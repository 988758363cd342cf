# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Temporal smoothing and depth fitting on the ``make demo`` motion: error, jitter, lag, time.

``python -m training.tools.smoothing_eval [--frames 90] [--seed 7] [--fit-iterations 0,3]
[--filters 1.0,0.0,1.0 ...] [--weights W]``

Renders the demo's motion (``training/tools/demo.py``: the same seed, frames, 30 Hz and
16UC1 millimetre rounding as its bag), runs ``HandEstimator`` on every frame in order (the
node's path, in this process, one thread) with each ``--fit-iterations`` value (interleaved
frame by frame, so that all see the same machine load), then applies
each One Euro filter ``min_cutoff,beta,d_cutoff`` (``none``: no filter) to the joint tracks
with the frames' stamps. For every combination it prints one Markdown row: mean joint error
(mm), jitter (mean frame-to-frame acceleration error against the truth, mm/frame^2), lag
(the shift of the truth that best fits the track, ms; ``metrics.track_lag_s``) and the
estimator's CPU time per frame (p50 of this thread's time, ms; fitting included), which a
busy machine inflates less than the wall-clock time.
"""

import argparse
import sys
import time

import numpy as np
import torch

from fm_pose_ros.core.hand_estimator import HandEstimator, NoHandError
from fm_pose_ros.core.image_codec import mm_to_depth_array
from fm_pose_ros.core.joint_filter import OneEuroFilter
from fm_pose_ros.core.resources import default_hand_weights
from fm_pose_ros.evaluation.metrics import track_jitter_mm, track_lag_s
from training.hand.datasets import pose_sequence, real_like_frames

RATE_HZ = 30.0


def demo_frames(seed, count):
    """Return the demo's frames: depth (H, W) mm as its 16UC1 bag holds it, K, true joints."""
    rng = np.random.default_rng(seed)
    frames = real_like_frames(rng, count, label_noise=False, poses=pose_sequence(rng, count))
    return [(mm_to_depth_array(f['depth'], '16UC1').astype(np.float32), f['K'],
             f['joints_true']) for f in frames]


def raw_tracks(estimators, frames):
    """Joint tracks of several estimators over the same frames, interleaved frame by frame.

    Returns, per estimator, joints ``(T, 14, 3)`` mm (NaN: no hand) and the CPU time of
    every estimate (ms); interleaving gives every estimator the same machine load.
    """
    joints = [[] for _ in estimators]
    times = [[] for _ in estimators]
    for depth, K, _ in frames:
        for k, estimator in enumerate(estimators):
            start = time.thread_time()
            try:
                estimate = estimator.estimate(depth, K)
            except NoHandError:
                joints[k].append(np.full((14, 3), np.nan))
                continue
            times[k].append((time.thread_time() - start) * 1e3)
            joints[k].append(estimate.joints_mm)
    return [(np.asarray(j, np.float64), np.asarray(t)) for j, t in zip(joints, times)]


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
        estimators = [HandEstimator(args.weights or default_hand_weights(), 'cpu', 'onnxruntime',
                                    threads=1, fit_iterations=fit) for fit in fits]
    except ValueError as exc:
        print(f'smoothing_eval: {exc}', file=sys.stderr)
        return 2
    frames = demo_frames(args.seed, args.frames)
    truth = np.asarray([f[2] for f in frames], np.float64)
    print('| fit_iterations | filter (min_cutoff, beta, d_cutoff) | mean error (mm) | '
          'jitter (mm/frame^2) | lag (ms) | estimate CPU p50 (ms) |')
    print('|---|---|---|---|---|---|')
    for fit, (track, times) in zip(fits, raw_tracks(estimators, frames)):
        for settings in filters:
            print(row(fit, settings, smooth(track, settings), truth, times), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
