# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Evaluation report folder: report.json, PNG plots and summary.md (offline and bag paths)."""

import json
import os

import matplotlib
import numpy as np

from fm_pose_ros.core.fileio import atomic_write, atomic_write_text

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402, I100 (after the backend choice)


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


def plot_object_curves(report, path):
    """Accuracy against the threshold: ADD(-S) as a fraction of the diameter, 2D projection."""
    figure, (add, proj) = plt.subplots(1, 2, figsize=(9, 3.5))
    for axis, key, label in ((add, 'add_curve', f"{report['add_metric']} / diameter"),
                             (proj, 'proj2d_curve', '2D projection error (px)')):
        curve = report[key]
        axis.plot(curve['thresholds'], np.array(curve['fraction']) * 100, marker='.')
        axis.set(xlabel=label, ylabel='frames within (%)', ylim=(0, 100))
        axis.grid(True)
    add.axvline(0.1, color='grey', linestyle='--')
    proj.axvline(5.0, color='grey', linestyle='--')
    figure.tight_layout()
    _save(figure, path)


def plot_series(series, path, xlabel, ylabel, log_x=False):
    """Line plot of ``{label: (xs, ys)}`` (e.g. error against labelled frames per method)."""
    figure, axis = plt.subplots(figsize=(5.5, 3.8))
    for label, (xs, ys) in series.items():
        axis.plot(xs, ys, marker='o', label=label)
    if log_x:
        axis.set_xscale('log')
    axis.set(xlabel=xlabel, ylabel=ylabel)
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    _save(figure, path)


PLOT_LINES = {
    'object_curves.png': 'accuracy against the threshold: ADD(-S) / diameter (10 % marked) and '
                         '2D projection error (5 px marked)',
    'error_curve.png': 'fraction of frames whose worst joint is within D mm, D = 0-80 mm',
    'per_joint_error.png': 'mean 3D error of each of the 14 joints (mm)',
    'latency.png': 'end-to-end latency (publish -> output received): histogram and per frame',
}


def rgbd_line(report):
    """One summary line of an object report's ``rgbd`` part (poses refined by aligned depth)."""
    rgbd = report['rgbd']
    text = (f"- with aligned depth (RGB-D, {rgbd['depth_frames']} frames): 2D projection "
            f"{100 * rgbd['proj2d_acc']:.1f} %, {rgbd['add_metric']} "
            f"{100 * rgbd['add_acc']:.1f} %, 5cm5deg {100 * rgbd['cm5deg5_acc']:.1f} %")
    if 'refined' in rgbd:  # offline evaluation
        text += (f"; depth fit accepted on {100 * rgbd['refined']:.1f} % of the frames, "
                 f"p50 {rgbd['refine_ms']['p50']:.2f} ms")
    node = rgbd.get('node_stats') or {}
    if 'p50_ms' in node:  # bag replay
        text += (f"; node processing p50 / p99 {node['p50_ms']:.2f} / "
                 f"{node.get('p99_ms', float('nan')):.2f} ms, depth fit accepted on "
                 f"{node.get('depth_refined', 0)} frames, refused on "
                 f"{node.get('depth_rejected', 0)}")
    return text


def summary_markdown(report, title, plots):
    """Return a short Markdown summary: the key numbers, then one line per plot."""
    latency = report['latency_ms']
    if report['task'] == 'object':
        accuracy = [f"- 2D projection < 5 px: {100 * report['proj2d_acc']:.1f} %, "
                    f"{report['add_metric']} < 10 % of the diameter: "
                    f"{100 * report['add_acc']:.1f} %, 5cm5deg: "
                    f"{100 * report['cm5deg5_acc']:.1f} %"
                    + (f", ADD-S: {100 * report['adds_acc']:.1f} %"
                       if report['add_metric'] == 'ADD' and 'adds_acc' in report else '')]
        if report.get('rgbd'):
            accuracy.append(rgbd_line(report))
    else:
        accuracy = [f"- mean 3D joint error: {report['mean_joint_error_mm']:.2f} mm"]
    lines = [f'# {title}', '',
             f"- frames in / out: {report['frames_in']} / {report['frames_out']} "
             f"({report.get('frames', report['frames_out'])} matched to ground truth)",
             *accuracy,
             f"- latency p50 / p95 / p99 / max: {latency['p50']:.2f} / {latency['p95']:.2f} / "
             f"{latency['p99']:.2f} / {latency['max']:.2f} ms",
             f"- output rate: {report['fps']:.1f} frames/s"]
    node = report.get('node_stats') or {}
    if 'p50_ms' in node:
        lines.append(f"- node processing p50 / p99: {node['p50_ms']:.2f} / "
                     f"{node.get('p99_ms', float('nan')):.2f} ms "
                     f"({node.get('dropped', 0)} frames dropped by the node)")
    for key in ('warnings', 'notes', 'problems'):
        lines += [f'- {key[:-1]}: {note}' for note in report.get(key, [])]
    lines.append('')
    lines += [f'- [{name}]({name}): {PLOT_LINES[name]}' for name in plots]
    return '\n'.join(lines) + '\n'


def write_report(folder, report, title, latency_ms=None):
    """Write report.json, the plots and summary.md into ``folder``; return the JSON path.

    ``report`` is a metrics.hand_report dict or an object report (``task`` = object);
    ``latency_ms`` the per-frame end-to-end latencies in frame order (ms), plotted when
    given. Every file is written atomically.
    """
    os.makedirs(folder, exist_ok=True)
    plots = []
    if report['task'] == 'object' and report.get('frames'):
        plot_object_curves(report, os.path.join(folder, 'object_curves.png'))
        plots.append('object_curves.png')
    elif report.get('frames', report['frames_out']):  # frames matched to ground truth
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
