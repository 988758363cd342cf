# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Replay benchmark: throughput and latency of hand_node fed from a bag over real DDS.

``python -m fm_pose_ros.bench_replay [--frames 300] [--backends torch,onnxruntime]
[--weights W] [--out docs/benchmarks_replay.md]``

Writes VGA 16UC1 bags of a moving hand-sized blob (palm + finger spheres, 14 geometric
"joints"; ROS-free numpy, no training code) at 30 Hz and 60 Hz, then for each backend runs
``replay_eval --start-node`` in four input schedules: lockstep, flat out (recorded speed
x 1000), realtime 30 Hz and realtime 60 Hz. For each it reports frames in/out, the node's
own processing time (from its ``final stats`` line), the end-to-end latency replay_eval
measures (publication -> PoseArray received) and the output rate; prints the table and
writes it, with the exact command, to ``--out``. Accuracy is not the point here (the blob
is not a hand): see replay_eval on a real-like bag for that.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

from fm_pose_ros.bags import write_hand_bag
from fm_pose_ros.checkpoint import atomic_write_text, read_metadata
from fm_pose_ros.resources import default_weights

K_VGA = np.array([[475.0, 0.0, 319.5], [0.0, 475.0, 239.5], [0.0, 0.0, 1.0]])
SIZE = (480, 640)  # (H, W) pixels
WALL_MM = 2500.0
FINGER_DX_MM = (-36.0, -12.0, 12.0, 36.0)  # pinky, ring, middle, index (x offsets)
# (label, bag rate Hz, replay_eval options)
SCHEDULES = (('lockstep', 30.0, ['--mode', 'lockstep']),
             ('flat out', 30.0, ['--mode', 'realtime', '--rate', '1000']),
             ('30 Hz', 30.0, ['--mode', 'realtime', '--rate', '1']),
             ('60 Hz', 60.0, ['--mode', 'realtime', '--rate', '1']))


def blob_hand(centre_mm):
    """Spheres ``[(centre mm (3,), radius mm)]`` and 14 joints ``(14, 3)`` mm of a blob hand.

    Joints follow hand_joints order: finger tips and PIPs (pinky..index), thumb tip/IP/MCP,
    the two wrist sides and the palm centre. Geometry only, not a hand model.
    """
    centre = np.asarray(centre_mm, np.float64)
    tips = [centre + (dx, -70.0, 0.0) for dx in FINGER_DX_MM]
    thumb = [centre + (60.0 - 12.0 * i, -20.0 + 12.0 * i, 0.0) for i in range(3)]
    spheres = [(centre, 45.0)] + [(t, 12.0) for t in tips] + [(thumb[0], 11.0)]
    joints = []
    for tip in tips:
        joints += [tip, (tip + centre) / 2.0]
    joints += thumb + [centre + (-30.0, 45.0, 10.0), centre + (30.0, 45.0, 10.0), centre]
    return spheres, np.array(joints)


def render_depth(spheres, K=K_VGA, size=SIZE, wall_mm=WALL_MM):
    """Ray-cast spheres in front of a wall: depth ``(H, W)`` float32 mm."""
    depth = np.full(size, wall_mm, np.float64)
    for c, r in spheres:
        # pixel box of the sphere's silhouette (generous), then ray-sphere hits inside it
        u0, v0 = (K[:2, :2] @ ((c[:2] - r * 1.5) / c[2]) + K[:2, 2]).astype(int)
        u1, v1 = (K[:2, :2] @ ((c[:2] + r * 1.5) / c[2]) + K[:2, 2]).astype(int) + 1
        u0, v0 = max(u0, 0), max(v0, 0)
        u1, v1 = min(u1, size[1]), min(v1, size[0])
        if u0 >= u1 or v0 >= v1:
            continue
        v, u = np.mgrid[v0:v1, u0:u1].astype(np.float64)
        rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1)
        a = (rays ** 2).sum(-1)
        b = rays @ c
        disc = b ** 2 - a * (c @ c - r ** 2)
        t = (b - np.sqrt(np.maximum(disc, 0.0))) / a  # depth z of the hit (ray z = 1)
        patch = depth[v0:v1, u0:u1]
        hit = (disc > 0) & (t < patch)
        patch[hit] = t[hit]
    return depth.astype(np.float32)


def blob_frames(count):
    """Yield ``count`` frame records of the blob moving on a smooth path (about 3 s period)."""
    for i in range(count):
        phase = 2.0 * np.pi * i / 90.0
        centre = (60.0 * np.sin(phase), 40.0 * np.sin(2 * phase), 550.0 + 80.0 * np.cos(phase))
        spheres, joints = blob_hand(centre)
        yield {'depth': render_depth(spheres), 'K': K_VGA.copy(), 'joints': joints}


def run_case(bag, backend, weights, options, out):
    """Run ``replay_eval --start-node`` once; return its report dict (with ``exit_code``)."""
    command = [sys.executable, '-m', 'fm_pose_ros.replay_eval', bag, '--start-node',
               '--backend', backend, '--weights', weights, '--out', out, '--no-progress',
               '--timeout', '5', *options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    path = os.path.join(out, 'report.json')
    if not os.path.exists(path):
        raise RuntimeError(f'replay_eval failed: {result.stderr.strip()}')
    with open(path, encoding='utf-8') as handle:
        report = json.load(handle)
    report['exit_code'] = result.returncode
    return report


def table_row(backend, label, report):
    """One Markdown table row of a run's report."""
    node = report.get('node_stats', {})
    latency = report['latency_ms']
    return (f"| {backend} | {label} | {report['frames_in']} | {report['input_fps']:.1f} | "
            f"{node.get('frames_in', '-')} | "
            f"{report['frames_out']} | {node.get('dropped', 0)} | {report['fps']:.1f} | "
            f"{node.get('p50_ms', float('nan')):.1f} / {node.get('p99_ms', float('nan')):.1f} | "
            f"{latency['p50']:.1f} / {latency['p99']:.1f} |")


def write_bags(folder, frames):
    """Write one bag per distinct schedule rate; return {rate Hz: bag path}."""
    bags = {}
    records = list(blob_frames(frames))
    for rate in sorted({rate for _, rate, _ in SCHEDULES}):
        bags[rate] = os.path.join(folder, f'blob_{rate:.0f}hz')
        write_hand_bag(bags[rate], records, rate_hz=rate)
    return bags


def document(args, command, rows):
    """Build the Markdown page: command, set-up and the table."""
    trained = read_metadata(args.weights).get('trained')
    load = ', '.join(f'{x:.2f}' for x in os.getloadavg())
    return '\n'.join([
        '# Replay benchmark: hand_node fed from a rosbag2 over Fast DDS', '',
        f'<!-- fm_pose_ros/bench_replay.py, {time.strftime("%Y-%m-%d %H:%M")} -->',
        f'Command: `{command}`', '',
        f'{args.frames} VGA 16UC1 frames of a moving blob hand per run; node on device cpu, '
        f"threads=2, weights {os.path.basename(args.weights)} "
        f"({'trained' if trained else 'untrained placeholder'}); "
        'FASTDDS_BUILTIN_TRANSPORTS=LARGE_DATA on both sides; '
        f'{os.cpu_count()} CPU cores, load average at the end {load} (shared machine).', '',
        '- lockstep: next frame when the previous output arrived; flat out: bag replayed '
        'x1000 (as fast as replay_eval publishes); 30 Hz / 60 Hz: bag recorded at that rate, '
        'replayed in real time.',
        '- node processing: callback -> PoseArray published, from the node\'s `final stats`; '
        'end-to-end: publication -> PoseArray received by replay_eval; input rate: frames '
        'published per second; output rate: outputs per second from the first publication '
        'to the last output. The node keeps only the newest waiting frame, so frames that '
        'arrive while it is busy are dropped, not queued.', '',
        '| backend | input | published | input rate (1/s) | node in | out | dropped by node '
        '| output rate (1/s) | node processing p50 / p99 (ms) | end-to-end p50 / p99 (ms) |',
        '|---|---|---|---|---|---|---|---|---|---|', *rows, ''])


def main(argv=None):
    """Write the bags, run every backend x schedule, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=300, help='frames per bag')
    parser.add_argument('--backends', default='torch,onnxruntime')
    parser.add_argument('--weights', default=default_weights())
    parser.add_argument('--out', default='docs/benchmarks_replay.md')
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    command = shlex.join(['python', '-m', 'fm_pose_ros.bench_replay', *argv])
    rows, problems = [], []
    with tempfile.TemporaryDirectory(prefix='fm_bench_replay_') as folder:
        bags = write_bags(folder, args.frames)
        for backend in args.backends.split(','):
            for label, rate, options in SCHEDULES:
                out = os.path.join(folder, f"{backend}_{label.replace(' ', '_')}")
                report = run_case(bags[rate], backend, args.weights, options, out)
                rows.append(table_row(backend, label, report))
                problems += [f'- {backend}, {label}: {p}' for p in report['problems']]
                print(rows[-1], flush=True)
    text = document(args, command, rows) + ''.join(f'{line}\n' for line in problems)
    print(text)
    atomic_write_text(args.out, text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
