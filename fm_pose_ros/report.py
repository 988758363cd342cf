# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Evaluation report folder: report.json, PNG plots and summary.md (offline and bag paths)."""

import json
import os

import matplotlib
import numpy as np

from fm_pose_ros.checkpoint import atomic_write, atomic_write_text

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def _save(figure, path):
    atomic_write(path, lambda tmp: figure.savefig(tmp, format='png', dpi=100))
    plt.close(figure)


def plot_curve(report, path):
    """Fraction of frames with all joints within D mm (the standard hand-pose plot)."""
    curve = report['within_curve']
    figure, axis = plt.subplots(figsize=(5, 4))
    axis.plot(curve['thresholds_mm'], np.array(curve['fraction']) * 100, marker='.')
    axis.set(xlabel='D (mm)', ylabel='frames with all joints within D (%)', ylim=(0, 100),
             title='worst-joint error curve')
    axis.grid(True)
    _save(figure, path)


def plot_per_joint(report, path):
    """Bar chart of the mean error of each joint."""
    names = list(report['per_joint_error_mm'])
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.bar(range(len(names)), [report['per_joint_error_mm'][n] for n in names])
    axis.set_xticks(range(len(names)), names, rotation=60, ha='right')
    axis.set(ylabel='mean 3D error (mm)', title='per-joint error')
    figure.tight_layout()
    _save(figure, path)


def plot_latency(latency_ms, path):
    """Latency histogram and latency over the frames."""
    figure, (hist, series) = plt.subplots(1, 2, figsize=(9, 3.5))
    hist.hist(latency_ms, bins=40)
    hist.set(xlabel='latency (ms)', ylabel='frames', title='latency histogram')
    series.plot(latency_ms, linewidth=0.8)
    series.set(xlabel='frame', ylabel='latency (ms)', title='latency over time')
    figure.tight_layout()
    _save(figure, path)


def summary_markdown(report, title, plots):
    """Write a short Markdown summary of the key numbers and the plots."""
    latency = report['latency_ms']
    lines = [f'# {title}', '',
             f"- frames in / out (matched): {report['frames_in']} / {report['frames_out']}",
             f"- mean 3D joint error: {report['mean_joint_error_mm']:.2f} mm",
             f"- latency p50 / p95 / p99 / max: {latency['p50']:.2f} / {latency['p95']:.2f} / "
             f"{latency['p99']:.2f} / {latency['max']:.2f} ms",
             f"- output rate: {report['fps']:.1f} frames/s", '']
    for key in ('notes', 'problems'):
        for note in report.get(key, []):
            lines.append(f'- {key[:-1]}: {note}')
    lines += [f'![{name}]({name})' for name in plots]
    return '\n'.join(lines) + '\n'


def write_report(folder, report, title, latency_ms=None):
    """Write report.json, the plots and summary.md into ``folder``; return the JSON path."""
    os.makedirs(folder, exist_ok=True)
    plots = []
    if report['frames_out']:
        plot_curve(report, os.path.join(folder, 'error_curve.png'))
        plot_per_joint(report, os.path.join(folder, 'per_joint_error.png'))
        plots += ['error_curve.png', 'per_joint_error.png']
    if latency_ms is not None and len(latency_ms):
        plot_latency(latency_ms, os.path.join(folder, 'latency.png'))
        plots.append('latency.png')
    atomic_write_text(os.path.join(folder, 'summary.md'), summary_markdown(report, title, plots))
    path = os.path.join(folder, 'report.json')
    atomic_write_text(path, json.dumps(report, indent=1, sort_keys=True))
    return path
