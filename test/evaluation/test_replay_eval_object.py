# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""replay_eval on an object bag against the real object node: the offline path's accuracies.

The bag path must give the accuracies of ObjectEstimator on the same frames, scored by
metrics.object_metrics.

The node runs the deterministic weights of conftest.write_object_weights (refine_steps 0):
its pose is about (OBJECT_R, OBJECT_T) whatever the image, so the ground truth of each frame
decides which accuracies it passes.
"""

import json
import signal

from conftest import CUBE_M, K_VGA, OBJECT_R, OBJECT_SIZE, OBJECT_T, write_object_weights
import cv2
from depth_scene import box_depth, box_surface_points
import numpy as np
import pytest

from fm_pose_ros.core.object_estimator import ObjectEstimator
from fm_pose_ros.core.weights import read_metadata
from fm_pose_ros.evaluation.bags import (
    object_frames_from_messages, OBJECT_TOPICS, read_messages, write_object_bag)
from fm_pose_ros.evaluation.metrics import object_metrics
from fm_pose_ros.evaluation.replay_eval import main

pytestmark = pytest.mark.integration  # DDS, subprocesses or colcon

PARAMS = ('/**:\n  ros__parameters:\n    refine_steps: 0\n    test_rotation_deg: 0.0\n'
          '    device: cpu\n')
# true pose of each frame (R, t m): exact, 2 cm off, turned 20 degrees, 4 mm deeper, 6 cm off
TRUTH = [(OBJECT_R, OBJECT_T),
         (OBJECT_R, OBJECT_T + [0.02, 0.0, 0.0]),
         (cv2.Rodrigues(np.array([0.0, 0.0, np.radians(20.0)]))[0] @ OBJECT_R, OBJECT_T),
         (OBJECT_R, OBJECT_T + [0.0, 0.0, 0.004]),
         (OBJECT_R, OBJECT_T + [0.0, 0.06, 0.0])]


def object_frames():
    rng = np.random.default_rng(9)
    return [{'rgb': rng.integers(0, 256, (*OBJECT_SIZE, 3), dtype=np.uint8), 'K': K_VGA,
             'R': R, 't': np.asarray(t, np.float64)} for R, t in TRUTH]


@pytest.fixture
def replay_main():
    """replay_eval's main() in this process, with pytest's signal handlers restored after."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield lambda *args: main([*args, '--no-progress'])
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def offline_metrics(bag, weights):
    """object_metrics of ObjectEstimator's poses on the bag's frames (the offline path)."""
    estimator = ObjectEstimator(weights, 'cpu', 'torch', refine_steps=0)
    frames = list(object_frames_from_messages(read_messages(bag, OBJECT_TOPICS, 'object')))
    poses = [estimator.estimate(f['rgb'], f['K']) for f in frames]
    info = read_metadata(weights)['object']
    return object_metrics([p.R for p in poses], [p.t for p in poses],
                          [f['R'] for f in frames], [f['t'] for f in frames],
                          [f['K'] for f in frames], np.array(info['points_m']),
                          info['diameter_m'], info['symmetric'])


# Node, replay tool and DDS discovery in separate processes on a loaded machine: a frame is
# now and then lost before the node sees it; rerun up to twice.
@pytest.mark.flaky(reruns=2)
def test_object_bag_report_equals_offline_evaluation(tmp_path, object_weights, replay_main,
                                                     capsys):
    bag, out = str(tmp_path / 'bag'), tmp_path / 'report'
    code, stdout, stderr = replay_object_bag(tmp_path, object_frames(), object_weights,
                                             replay_main, capsys)
    assert code == 0, stdout + stderr
    assert stdout.strip().startswith('replay_eval: 5/5 frames answered, 2D projection 40.0 %')
    report = json.loads((out / 'report.json').read_text())
    for key in ('task', 'frames_in', 'frames_out', 'proj2d_acc', 'add_acc', 'cm5deg5_acc',
                'latency_ms', 'fps'):
        assert key in report, key
    assert report['task'] == 'object' and report['mode'] == 'lockstep'
    assert report['frames_read'] == report['frames_in'] == report['frames_out'] == 5
    assert report['topics'] == {'image_out': '/image', 'info_out': '/camera_info',
                                'output': '/object_pose'}
    assert report['node_stats']['frames_out'] >= 5 and report['latency_ms']['p50'] > 0
    assert set(report['latency_ms']) == {'p50', 'p95', 'p99', 'max'}
    expected = offline_metrics(bag, object_weights)
    for key in ('proj2d_acc', 'add_acc', 'cm5deg5_acc'):
        assert report[key] == expected[key], key
    # the ground truths above pass: proj2d and ADD frames 0 and 3; 5cm5deg also frame 1
    assert (report['proj2d_acc'], report['add_acc'], report['cm5deg5_acc']) == (0.4, 0.4, 0.6)
    assert report['per_frame'][0]['add_mm'] < 3.0 < report['per_frame'][1]['add_mm']
    for name in ('object_curves.png', 'latency.png', 'summary.md'):
        assert (out / name).is_file(), name


def test_object_task_needs_object_weights(tmp_path, weights_path, replay_main, capsys):
    bag = str(tmp_path / 'bag')
    write_object_bag(bag, object_frames()[:1])
    assert replay_main(bag, '--weights', weights_path, '--out', str(tmp_path / 'r')) == 1
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and "task is 'hand', expected 'object'" in err, err
    assert not (tmp_path / 'r').exists()


@pytest.mark.flaky(reruns=2)
def test_object_bag_with_aligned_depth_scores_rgb_and_rgbd(tmp_path, replay_main, capsys):
    """The cube is 2 cm deeper than the node's RGB pose says: only the depth pass finds it."""
    weights = write_object_weights(tmp_path / 'cube.safetensors',
                                   points_m=box_surface_points([CUBE_M] * 3, count=500))
    deeper = OBJECT_T * (1.0 + 0.02 / OBJECT_T[2])
    depth_mm = box_depth([CUBE_M] * 3, OBJECT_R, deeper, K_VGA, OBJECT_SIZE, 1.0) * 1000.0
    frames = [{**f, 'R': OBJECT_R, 't': deeper, 'depth_mm': depth_mm}
              for f in object_frames()[:3]]
    out = tmp_path / 'report'
    code, stdout, stderr = replay_object_bag(tmp_path, frames, weights, replay_main, capsys)
    assert code == 0, stdout + stderr
    report = json.loads((out / 'report.json').read_text())
    assert (report['add_acc'], report['cm5deg5_acc']) == (0.0, 1.0)  # RGB: 2 cm off
    rgbd = report['rgbd']
    assert (rgbd['add_acc'], rgbd['cm5deg5_acc'], rgbd['frames_out']) == (1.0, 1.0, 3), \
        json.dumps(rgbd['node_stats'])
    assert rgbd['depth_frames'] == 3 and rgbd['node_stats']['depth_refined'] >= 3
    assert report['node_stats']['depth_refined'] == 0  # the colour-only pass
    assert 'with aligned depth: 2D projection' in stdout
    assert 'with aligned depth (RGB-D, 3 frames)' in (out / 'summary.md').read_text()
    plain = tmp_path / 'plain'
    assert replay_main(str(tmp_path / 'bag'), '--start-node', '--weights', weights, '--backend',
                       'torch', '--params-file', str(tmp_path / 'params.yaml'), '--out',
                       str(plain), '--no-depth') == 0
    assert 'rgbd' not in json.loads((plain / 'report.json').read_text())


def replay_object_bag(tmp_path, frames, weights, replay_main, capsys):
    """Write ``frames`` as ``tmp_path/bag``, replay it into a started node (report in
    ``tmp_path/report``); return ``(code, stdout, stderr)``."""
    bag = str(tmp_path / 'bag')
    write_object_bag(bag, frames, rate_hz=15.0)
    params = tmp_path / 'params.yaml'
    params.write_text(PARAMS)
    code = replay_main(bag, '--start-node', '--weights', weights, '--backend', 'torch',
                       '--params-file', str(params), '--out', str(tmp_path / 'report'))
    stdout, stderr = capsys.readouterr()
    return code, stdout, stderr
