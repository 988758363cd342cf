# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Tiny end-to-end training runs: loss goes down, resume equals uninterrupted, DDP, export."""

import hashlib
import logging
import os
import re
import signal
import subprocess
import sys

from conftest import constant_locator, TINY_HAND as TINY
import numpy as np
import pytest
from safetensors import safe_open
from test_lint import REPO
import torch

from fm_pose_ros.core.hand_estimator import HandEstimator
from fm_pose_ros.core.networks import FeatureMappingNet, HAND_LOCATOR
from fm_pose_ros.core.weights import load_hand_model, load_hand_parts
from training.config import load_config, QUICK_CAPS
from training.evaluate import evaluate_file
from training.hand.data import HandTrainingData
from training.predict import predictor
from training.train import (
    main as train_main, recipe_runs, stage_plan, Trainer, weights_path)


def tiny_config(tmp_path, *extra):
    return load_config(None, TINY + [f'out_dir={tmp_path / "run"}',
                                     f'data.cache_dir={tmp_path / "cache"}', *extra])


def plain_config(tmp_path):
    """A config file of one run on the hand defaults (the CLI's default is the recipe)."""
    path = tmp_path / 'plain.yaml'
    path.write_text('task: hand\n')
    return str(path)


def test_plan_gives_every_method_the_same_budget(tmp_path):
    for method in ('fm', 'synthetic', 'real', 'mix'):
        plan = stage_plan(tiny_config(tmp_path, f'method={method}'))
        assert plan[0][3] == 0 and plan[-1][4] == 24


def test_fm_run_reduces_the_loss_and_exports_loadable_weights(tmp_path):
    trainer = Trainer(tiny_config(tmp_path, 'optim.stage1_steps=40'))
    path = trainer.run()
    syn = [h['loss_syn'] for h in trainer.history[:40]]
    assert np.mean(syn[-5:]) < np.mean(syn[:5])
    assert {'loss_syn', 'loss_real', 'loss_map', 'total'} <= set(trainer.history[-1])
    model, metadata, crop = load_hand_model(path)
    assert metadata['trained'] and metadata['training']['method'] == 'fm'
    assert crop.crop_size == 32 and 'real_test_mean_joint_error_mm' in metadata['metrics']
    val = trainer.evaluate('val')
    assert val['frames_in'] == 6
    assert metadata['metrics']['real_val_mean_joint_error_mm'] == pytest.approx(
        val['mean_joint_error_mm'], rel=1e-4)
    assert val['mean_joint_error_mm'] != pytest.approx(
        metadata['metrics']['real_test_mean_joint_error_mm'], rel=1e-4)
    crops = torch.from_numpy(trainer.data.test_set()['crops'][:2])
    trainer.model.eval()
    torch.testing.assert_close(model(crops), trainer.model(crops), atol=0.05, rtol=0.05)
    estimator = HandEstimator(path, 'cpu', 'onnxruntime')
    assert estimator.in_size == 32


def test_the_locator_that_cropped_the_training_frames_ships_and_evaluates(tmp_path):
    cfg = tiny_config(tmp_path, 'optim.stage1_steps=2', 'optim.stage2_steps=2')
    locator = constant_locator(HAND_LOCATOR, 10.0)         # every in-range pixel is hand
    data = HandTrainingData(cfg, locator=locator)
    path = Trainer(cfg, data=data).run()
    _, shipped, metadata, _ = load_hand_parts(path)
    assert shipped.cfg == HAND_LOCATOR and metadata['architecture'].endswith('Locator')
    for a, b in zip(shipped.state_dict().values(), locator.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-3, rtol=1e-3)  # float16 on disk
    # the evaluation crops the test frames with the file's own locator
    report = evaluate_file(path, set_items=[f'data.cache_dir={tmp_path / "cache"}'])
    assert report['frames_in'] == 8
    assert report['mean_joint_error_mm'] == pytest.approx(
        metadata['metrics']['real_test_mean_joint_error_mm'], rel=0.02)
    assert report['twin_mean_joint_error_mm'] > 0
    val = evaluate_file(path, set_items=[f'data.cache_dir={tmp_path / "cache"}'], split='val')
    assert val['frames_in'] == 6 and val['split'] == 'val'
    assert val['mean_joint_error_mm'] == pytest.approx(
        metadata['metrics']['real_val_mean_joint_error_mm'], rel=0.02)
    with pytest.raises(ValueError, match='num_real_val is 0'):
        evaluate_file(path, set_items=[f'data.cache_dir={tmp_path / "cache"}',
                                       'data.num_real_val=0'], split='val')
    # the node's depth fitting on the same frames (--fit-iterations)
    fitted = evaluate_file(path, set_items=[f'data.cache_dir={tmp_path / "cache"}'],
                           fit_iterations=2)
    assert fitted['fit_iterations'] == 2 and fitted['refine_ms_per_frame'] > 0
    assert fitted['mean_joint_error_mm'] != report['mean_joint_error_mm']
    with pytest.raises(ValueError, match='fit iterations must be in'):
        evaluate_file(path, fit_iterations=99)


def test_label_pose_pool_fits_the_real_training_labels(tmp_path):
    from training.hand.model import joints
    data = HandTrainingData(tiny_config(tmp_path, 'data.label_poses=1.0'))
    pool = data.pose_pool
    assert len(pool) == len(data.train['real'])
    fit = np.linalg.norm(joints(pool) - data.train['joints'], axis=-1).mean()
    assert fit < 6.0                        # labels carry 2.5 mm noise per coordinate
    crops, targets = data.synthetic_batch(np.random.default_rng(0), 4)
    again, _ = data.synthetic_batch(np.random.default_rng(0), 4)
    assert crops.shape == (4, 1, 32, 32) and targets.shape == (4, 42)
    np.testing.assert_array_equal(crops, again)
    assert HandTrainingData(tiny_config(tmp_path, 'data.label_poses=0')).pose_pool is None


def test_twin_error_runs_h_f_on_the_synthetic_twins(tmp_path):
    data = HandTrainingData(tiny_config(tmp_path))
    torch.manual_seed(0)
    model = FeatureMappingNet(data.cfg.net).eval()
    with torch.no_grad():      # g away from the identity: h(g(f)) and h(f) differ
        model.g.blocks[0].fc2.weight.normal_(std=0.5)
    real = data.evaluate(predictor(model, 'cpu'))['mean_joint_error_mm']
    twin = data.evaluate_twins(model)
    assert twin != pytest.approx(real, rel=1e-3)
    data.test['twin'] = data.test['real']      # no domain gap and g skipped: h(f(real))
    by_hand = data.evaluate(lambda crops: model.h(model.f(torch.from_numpy(crops)))
                            .detach().numpy())['mean_joint_error_mm']
    assert data.evaluate_twins(model) == pytest.approx(by_hand, rel=1e-4)


def test_synthetic_error_measures_h_f_on_fresh_renders(tmp_path):
    data = HandTrainingData(tiny_config(tmp_path))
    model = FeatureMappingNet(data.cfg.net).eval()
    with torch.no_grad():                      # h outputs zeros: the error is |target|
        model.h.weight.zero_()
        model.h.bias.zero_()
    _, targets = data.synthetic_batch(np.random.default_rng(123), 10)
    distance = np.linalg.norm(targets.reshape(10, 14, 3) * 150.0, axis=-1).mean()
    assert data.evaluate_synthetic(model, count=10) == pytest.approx(distance, rel=1e-5)


def test_resume_after_kill_equals_uninterrupted_run(tmp_path):
    straight = Trainer(tiny_config(tmp_path / 'a'))
    straight.run()
    killed = Trainer(tiny_config(tmp_path / 'b'))
    assert killed.run(stop_at=17) is None          # last checkpoint at 15: 2 steps lost
    resumed = Trainer(tiny_config(tmp_path / 'b'), resume=True)
    assert resumed.step == 15
    resumed.run()
    for (name, a), b in zip(straight.model.state_dict().items(),
                            resumed.model.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=name)


# 40 steps (the joint stage from 12), a checkpoint every 5; dropout, so the random state counts
KILL_RUN = TINY + ['optim.stage1_steps=12', 'optim.stage2_steps=28', 'net.dropout=0.2',
                   'log_every=1']


def tensor_digest(path):
    """SHA-256 of a weights file's tensors (names and bytes; the metadata names the folder)."""
    digest = hashlib.sha256()
    with safe_open(path, framework='pt') as handle:
        for name in sorted(handle.keys()):
            digest.update(name.encode() + handle.get_tensor(name).numpy().tobytes())
    return digest.hexdigest()


def train_command(tmp_path, out, *extra):
    sets = [f'--set={item}' for item in KILL_RUN + [f'data.cache_dir={tmp_path / "cache"}']]
    return [sys.executable, '-m', 'training.train', '--out', str(tmp_path / out), *sets, *extra]


@pytest.mark.timeout(300)
@pytest.mark.integration  # subprocesses
def test_sigkill_then_resume_exports_the_same_weights_as_an_uninterrupted_run(tmp_path):
    # every run in a fresh interpreter: state that earlier tests left in this process (threads,
    # oneDNN caches, floating-point flags) must not tell the runs apart
    straight_run = subprocess.run(train_command(tmp_path, 'straight'), cwd=REPO,
                                  capture_output=True, text=True, timeout=280)
    assert straight_run.returncode == 0, straight_run.stderr[-3000:]
    killed = subprocess.Popen(train_command(tmp_path, 'killed'), cwd=REPO, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for line in killed.stderr:
        if ' step 23/40 joint ' in line:  # last checkpoint at step 20, in the joint stage
            killed.send_signal(signal.SIGKILL)
            break
    assert killed.wait(timeout=280) == -signal.SIGKILL
    assert not (tmp_path / 'killed' / 'hand_fm.safetensors').exists()
    resumed = subprocess.run(train_command(tmp_path, 'killed', '--resume'), cwd=REPO,
                             capture_output=True, text=True, timeout=280)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed from' in resumed.stderr
    straight, again = (tmp_path / name / 'hand_fm.safetensors' for name in ('straight', 'killed'))
    assert tensor_digest(again) == tensor_digest(straight)
    assert load_hand_model(again)[1]['metrics'] == load_hand_model(straight)[1]['metrics']


def test_channels_last_trains_like_the_default_layout_and_resumes(tmp_path):
    plain = Trainer(tiny_config(tmp_path / 'a'))
    plain.run()
    straight = Trainer(tiny_config(tmp_path / 'b', 'channels_last=true'))
    assert straight.model.f.trunk[0].weight.is_contiguous(memory_format=torch.channels_last)
    straight.run()
    np.testing.assert_allclose([h['total'] for h in straight.history],
                               [h['total'] for h in plain.history], rtol=1e-3)
    killed = Trainer(tiny_config(tmp_path / 'c', 'channels_last=true'))
    assert killed.run(stop_at=17) is None
    resumed = Trainer(tiny_config(tmp_path / 'c', 'channels_last=true'), resume=True)
    path = resumed.run()
    assert load_hand_model(path)[1]['training']['channels_last']
    for (name, a), b in zip(straight.model.state_dict().items(),
                            resumed.model.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=name)


def test_init_starts_from_a_weights_file_and_logs_the_curve(tmp_path):
    first = Trainer(tiny_config(tmp_path / 'a'))
    path = first.run()
    warm = Trainer(tiny_config(tmp_path / 'b', f'init={path}'))
    exported, _, _ = load_hand_model(path)          # float16 on disk
    for (name, a), b in zip(exported.state_dict().items(), warm.model.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)
    assert warm.optimizer.state == {}               # network only, no optimiser state
    assert load_hand_model(warm.run())[1]['training']['init'] == str(path)
    rows = (tmp_path / 'b' / 'run' / 'curve.csv').read_text().split()
    assert rows[0] == 'step,elapsed_s,split,value'
    assert [r.split(',')[0] + r.split(',')[2] for r in rows[1:]] == ['24test', '24val']
    assert float(rows[-1].split(',')[1]) > 0


def test_init_with_another_architecture_is_one_line(tmp_path, capsys):
    path = Trainer(tiny_config(tmp_path / 'a')).run()
    args = [f'--set={item}' for item in TINY + [f'data.cache_dir={tmp_path / "cache"}']]
    args += ['--config', plain_config(tmp_path)]
    capsys.readouterr()                             # the first run's log
    code = train_main(args + ['--set=net.feature_dim=64', '--init', path,
                              '--out', str(tmp_path / 'b')])
    err = capsys.readouterr().err
    assert code == 2 and err.count('\n') == 1 and 'differs from this run' in err


@pytest.mark.timeout(300)
@pytest.mark.integration
def test_ddp_two_processes_on_cpu(tmp_path):
    Trainer(tiny_config(tmp_path))          # prepares the shared data cache once
    args = [f'--set={item}' for item in TINY + [f'data.cache_dir={tmp_path / "cache"}']]
    result = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         '--master_port=29571', '-m', 'training.train', '--method', 'fm',
         '--config', plain_config(tmp_path), '--out', str(tmp_path / 'ddp'), *args],
        cwd=REPO, capture_output=True, text=True, timeout=280,
        env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / 'ddp' / 'hand_fm.safetensors').is_file()


def test_a_log_file_gets_one_plain_line_every_log_every_steps(tmp_path, caplog, capsys):
    """stderr is no terminal under pytest: no bar, a line with losses, steps/s and ETA."""
    trainer = Trainer(tiny_config(tmp_path, 'log_every=4', 'optim.stage1_steps=4',
                                  'optim.stage2_steps=8'))
    capsys.readouterr()
    with caplog.at_level(logging.INFO, logger='training.train'):
        trainer.run()
    lines = [r.getMessage() for r in caplog.records if re.match(r'step \d+/', r.getMessage())]
    pattern = (r'step (\d+)/12 (synthetic|joint) (\w+=-?\d+\.\d{4} )+\| \d+\.\d{2} steps/s, '
               r'ETA (\d+:\d{2}:\d{2}|\?)')
    assert all(re.fullmatch(pattern, line) for line in lines), lines
    assert [int(re.fullmatch(pattern, line).group(1)) for line in lines] == [4, 8, 12]
    assert '\r' not in capsys.readouterr().err


def test_the_default_recipe_quick_runs_its_steps_from_the_last_weights(tmp_path, caplog):
    """``python -m training.train --quick``: the shipped hand recipe's steps (tiny network)."""
    # NHWC (the recipe's channels_last) on one thread with 4-channel stages corrupts the heap
    # in the second run of a process (torch 2.13 CPU); 8 channels and up do not
    tiny = [item for item in TINY if not item.startswith(('optim.stage', 'net.stage'))]
    args = [f'--set={item}' for item in tiny + ['net.stage_channels=[8, 16, 16]',
                                                f'data.cache_dir={tmp_path / "cache"}']]
    out = str(tmp_path / 'recipe')
    assert train_main(['--quick', '--out', out, *args]) == 0
    runs = recipe_runs(None, 'hand', out=out)
    before, last = weights_path(runs[-2][1]), weights_path(runs[-1][1])
    training = load_hand_model(last)[1]['training']
    assert training['init'] == before and training['steps'] == QUICK_CAPS['optim.stage2_steps']
    assert training['data']['sensor_copies'] == runs[-1][1].data.sensor_copies > 0
    assert training['data']['mirror_train'] == runs[-1][1].data.mirror_train > 0
    with open(last, 'rb') as step, open(os.path.join(out, 'hand_fm.safetensors'), 'rb') as final:
        assert step.read() == final.read()
    with caplog.at_level(logging.INFO, logger='training.train'):
        assert train_main(['--quick', '--resume', '--out', out, *args]) == 0
    assert sum(': done (' in r.getMessage() for r in caplog.records) == len(runs)
