# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Report folder: report.json, PNG plots and summary.md, written atomically."""

import json

import numpy as np

from fm_pose_ros.evaluation.metrics import hand_report
from fm_pose_ros.evaluation.report import write_report

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def sample_report(frames=6, latency=True):
    """A hand report of ``frames`` frames 5 mm off along x, with or without latencies."""
    gt = np.random.default_rng(1).normal(0, 40, (frames, 14, 3)) + (0, 0, 500)
    latency_ms = list(np.linspace(5.0, 15.0, frames)) if latency else None
    return hand_report(gt + (5.0, 0, 0), gt, latency_ms, frames_in=frames + 2,
                       duration_s=1.0), latency_ms


def test_all_files_with_latencies(tmp_path):
    report, latency_ms = sample_report()
    report['node_stats'] = {'p50_ms': 12.5, 'p99_ms': 20.0, 'dropped': 1}
    report['problems'] = ['2 frames lost']
    report['warnings'] = ['3 chunks carry no CRC: damage cannot be detected']
    path = write_report(tmp_path / 'r', report, 'Replay of bag', latency_ms)
    folder = tmp_path / 'r'
    assert sorted(p.name for p in folder.iterdir()) == [
        'error_curve.png', 'latency.png', 'per_joint_error.png', 'report.json', 'summary.md']
    for name in ('error_curve.png', 'latency.png', 'per_joint_error.png'):
        assert (folder / name).read_bytes()[:8] == PNG_MAGIC, name
    back = json.loads(open(path, encoding='utf-8').read())
    assert back['frames_in'] == 8 and back['mean_joint_error_mm'] == report['mean_joint_error_mm']
    summary = (folder / 'summary.md').read_text()
    assert summary.startswith('# Replay of bag\n')
    assert '5.00 mm' in summary and 'frames in / out: 8 / 6' in summary
    assert 'node processing p50 / p99: 12.50 / 20.00 ms' in summary
    assert 'problem: 2 frames lost' in summary
    assert '- warning: 3 chunks carry no CRC: damage cannot be detected' in summary
    for name in ('error_curve.png', 'latency.png', 'per_joint_error.png'):
        assert sum(f'({name})' in line for line in summary.splitlines()) == 1, name


def test_no_latency_and_no_frames(tmp_path):
    report, _ = sample_report(latency=False)
    write_report(tmp_path / 'a', report, 'offline')
    assert not (tmp_path / 'a' / 'latency.png').exists()
    assert (tmp_path / 'a' / 'error_curve.png').exists()
    empty = hand_report(np.zeros((0, 14, 3)), np.zeros((0, 14, 3)), frames_in=3)
    write_report(tmp_path / 'b', empty, 'nothing answered', latency_ms=[])
    assert sorted(p.name for p in (tmp_path / 'b').iterdir()) == ['report.json', 'summary.md']
    assert 'frames in / out: 3 / 0' in (tmp_path / 'b' / 'summary.md').read_text()


def test_rewrite_leaves_no_temporary_files(tmp_path):
    report, latency_ms = sample_report()
    for _ in range(2):
        write_report(tmp_path, report, 'twice', latency_ms)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith('.')]
