# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Run the CUDA paths: both nodes on the demo bags, the networks alone, training of each task.

``python -m benchmarks.gpu_check [--frames 90] [--steps 200] [--tasks hand,object]
[--out docs/results/benchmarks_gpu.md] [--work DIR] [--device cuda|cpu]`` (``make gpu-check``)

Without a CUDA device that torch can use it prints one line and exits 0: nothing is checked
and no table is written. With one, for each task:

1. the demo bag (training/tools/demo.py: real-like VGA frames at 30 Hz with ground truth) is
   replayed in lockstep into ``hand_node`` / ``object_node`` started with ``device: cuda`` and
   ``backend: torch`` (``replay_eval --start-node --params-file``): node processing and
   end-to-end latency (ms), frames/s, accuracy;
2. the shipped network alone on the device (torch backend, random crops): ms per crop at
   batch 1 and crops/s at batch 1 and 64;
3. ``--steps`` training steps of the first step of the task's shipped recipe
   (training/configs/recipes/<task>_fm.yaml) on the device, with ``--set`` for the steps,
   the device and a small data set: training crops/s over the steps after a warm-up, then the
   export of the weights.

The table (with the command) goes to ``--out``. A check that fails is a row saying so, and
the run ends with status 1 and one line naming the failed checks. ``--device cpu`` rehearses
the script on a machine without a GPU (it needs ``--out``: the default table holds CUDA
figures).
"""

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

from fm_pose_ros.core.fileio import atomic_write_text
from fm_pose_ros.core.text import printable

TASKS = ('hand', 'object')
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = 'docs/results/benchmarks_gpu.md'
# small data sets: the check is about the device path, not about the model's accuracy
SMALL_DATA = ('data.num_real_train=256', 'data.num_real_test=64', 'data.num_real_val=64',
              'data.locator_steps=100', 'object.locator_steps=100', 'eval_every=1000000',
              'ckpt_every=1000000', 'log_every=1000000')
NETWORK_BATCHES = (1, 64)
NETWORK_SECONDS = 2.0  # timed per batch size, after a warm-up


def parse_args(argv=None):
    """Parse and check the command line; errors exit with status 2 (argparse)."""
    parser = argparse.ArgumentParser(prog='gpu_check', description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=90, help='frames per demo bag')
    parser.add_argument('--steps', type=int, default=200, help='training steps per task')
    parser.add_argument('--tasks', default=','.join(TASKS), help='comma-separated tasks')
    parser.add_argument('--out', help=f'table (default {DEFAULT_OUT})')
    parser.add_argument('--work', help='folder for bags, reports and runs (default: a '
                        'temporary folder, removed at the end)')
    parser.add_argument('--device', choices=('cuda', 'cpu'), default='cuda',
                        help='cpu: rehearse the script without a GPU (needs --out)')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                        help='extra training override, after the check\'s own (repeatable)')
    args = parser.parse_args(argv)
    args.tasks = [t.strip() for t in args.tasks.split(',') if t.strip()]
    unknown = [t for t in args.tasks if t not in TASKS]
    if unknown or not args.tasks:
        got = printable(', '.join(unknown)) or 'nothing'
        parser.error(f"--tasks takes {' and/or '.join(TASKS)}, got {got}")
    if args.frames < 2:
        parser.error('--frames must be at least 2')
    if args.steps < 4:
        parser.error('--steps must be at least 4 (a warm-up, then timed steps)')
    bad_sets = [item for item in args.set if '=' not in item]
    if bad_sets:
        parser.error(f'--set takes KEY=VALUE, got {printable(bad_sets[0])}')
    if args.device == 'cpu' and args.out is None:
        parser.error('--device cpu (a rehearsal) needs --out: the default table holds CUDA '
                     'figures')
    args.out = args.out or DEFAULT_OUT
    return args


def missing_cuda():
    """One line saying why torch cannot use CUDA here, or None when it can."""
    import torch
    if torch.cuda.is_available():
        return None
    build = f'CUDA {torch.version.cuda}' if torch.version.cuda else 'built without CUDA'
    return (f'gpu_check: no CUDA device visible to torch {torch.__version__} ({build}): '
            'nothing checked, no table written')


def synchronize(device):
    """Wait for the device's queued work (CUDA kernels run asynchronously)."""
    if device == 'cuda':
        import torch
        torch.cuda.synchronize()


def write_demo_bag(task, path, frames):
    """Write the task's demo bag (training/tools/demo.py) at ``path``; return the frame count."""
    from fm_pose_ros.core.resources import default_object_weights
    from training.tools.demo import write_hand_demo, write_object_demo
    rng = np.random.default_rng(7)
    if task == 'object':
        return write_object_demo(path, rng, frames, default_object_weights())
    return write_hand_demo(path, rng, frames)


def params_file(path, device):
    """Write a params file selecting ``device`` and the torch backend; return its path."""
    atomic_write_text(path, '/**:\n  ros__parameters:\n'
                            f'    device: {device}\n    backend: torch\n')
    return path


def node_case(task, work, frames, device):
    """Replay the demo bag into the task's node on ``device``; return its table cells."""
    from fm_pose_ros.evaluation.replay_eval import accuracy_text
    from fm_pose_ros.evaluation.replay_eval import main as replay_main
    bag, out = os.path.join(work, f'{task}_bag'), os.path.join(work, f'{task}_report')
    write_demo_bag(task, bag, frames)
    params = params_file(os.path.join(work, f'{task}_params.yaml'), device)
    code = replay_main([bag, '--task', task, '--start-node', '--params-file', params,
                        '--mode', 'lockstep', '--out', out, '--no-progress'])
    report_path = os.path.join(out, 'report.json')
    if code != 0 or not os.path.exists(report_path):
        raise RuntimeError(f'replay_eval exited with status {code} (report: {out})')
    with open(report_path, encoding='utf-8') as handle:
        report = json.load(handle)
    stats, latency = report.get('node_stats') or {}, report['latency_ms']
    return [f"{report['frames_in']} / {report['frames_out']}",
            f"{stats.get('p50_ms', float('nan')):.2f} / {stats.get('p99_ms', float('nan')):.2f}",
            f"{latency['p50']:.2f} / {latency['p99']:.2f}", f"{report['fps']:.1f}",
            accuracy_text(report)]


def network_case(task, device):
    """Time the shipped network alone on ``device`` (torch backend); return its table cells."""
    from fm_pose_ros.core.backends import input_shape, TorchBackend
    from fm_pose_ros.core.resources import default_hand_weights, default_object_weights
    from fm_pose_ros.core.weights import load_hand_parts, load_object_model
    if task == 'hand':
        model = load_hand_parts(default_hand_weights(), device)[0]
    else:
        model = load_object_model(default_object_weights(), device)[0]
    backend, shape = TorchBackend(model, device), input_shape(model.cfg)
    rates = {batch: crops_per_second(backend, shape, batch) for batch in NETWORK_BATCHES}
    return ['x'.join(str(s) for s in shape[1:]) + f' x {shape[0]}',
            f'{1e3 / rates[1]:.2f}'] + [f'{rates[b]:,.0f}' for b in NETWORK_BATCHES]


def crops_per_second(backend, shape, batch):
    """Crops/s of ``backend`` on random ``(batch, *shape)`` crops, results back on the host."""
    crops = np.random.default_rng(0).uniform(-1, 1, (batch, *shape)).astype(np.float32)
    for _ in range(5):
        backend(crops)  # warm-up: kernel selection, allocations
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < NETWORK_SECONDS:
        backend(crops)  # returns numpy: waits for the device
        calls += 1
    return calls * batch / (time.perf_counter() - start)


def training_overrides(task, args, work):
    """Return the ``--set`` items of the training check.

    The steps (half per stage), the device, the run and cache folders, a small data set,
    then the command line's ``--set`` items (the last one of a key wins).
    """
    first = args.steps // 2
    return [f'optim.stage1_steps={first}', f'optim.stage2_steps={args.steps - first}',
            f'device={args.device}', f"out_dir={os.path.join(work, f'{task}_train')}",
            f"data.cache_dir={os.path.join(work, 'cache')}", *SMALL_DATA, *args.set]


def crops_in_steps(plan, batch_size, first, last):
    """Crops that steps ``first``..``last - 1`` of a stage plan (train.stage_plan) draw.

    Each step draws ``batch_size`` crops per stream of its stage (synthetic, real, twin).
    """
    return sum(len(streams) * batch_size * max(0, min(last, stop) - max(first, start))
               for _, streams, _, start, stop in plan)


def training_case(task, args, work):
    """Train ``args.steps`` steps of the task's shipped recipe on the device; its table cells."""
    from training.config import load_config, recipe_steps, RECIPES
    from training.train import stage_plan, Trainer
    _, first_step = recipe_steps(RECIPES[task])[0]  # the hand recipe's from-scratch run
    cfg = load_config(first_step, training_overrides(task, args, work), task=task)
    steps, device = args.steps, args.device
    start = time.perf_counter()
    trainer = Trainer(cfg)
    prepare_s = time.perf_counter() - start
    warm = max(1, steps // 10)
    trainer.run(stop_at=warm)
    synchronize(device)
    start = time.perf_counter()
    trainer.run(stop_at=steps - 1)
    synchronize(device)
    elapsed = time.perf_counter() - start
    exported = trainer.run()  # the last step, the evaluation and the export
    crops = crops_in_steps(stage_plan(cfg), cfg.optim.batch_size, warm, steps - 1)
    return [f'{prepare_s:.0f}', f'{(steps - 1 - warm) / elapsed:.1f}', f'{crops / elapsed:,.0f}',
            'yes' if exported and os.path.exists(exported) else 'no']


def run_checks(args, work):
    """Every check of every task: ``({section: [row cells]}, [failed check names])``."""
    sections = {'nodes': [], 'networks': [], 'training': []}
    failed = []
    checks = (('nodes', lambda task: node_case(task, work, args.frames, args.device)),
              ('networks', lambda task: network_case(task, args.device)),
              ('training', lambda task: training_case(task, args, work)))
    for task in args.tasks:
        for section, check in checks:
            try:
                cells = check(task)
            except Exception as exc:  # a failed check is reported, the others still run
                failed.append(f'{task} {section}')
                cells = [f'failed: {printable(f"{type(exc).__name__}: {exc}", 300)}']
            sections[section].append([task] + cells)
    return sections, failed


def device_name(device):
    """Return the device in words, for the table's heading."""
    import torch
    if device == 'cuda':
        return f'{torch.cuda.get_device_name()} (torch {torch.__version__}, CUDA ' \
               f'{torch.version.cuda})'
    return f'CPU (torch {torch.__version__}; a rehearsal, not a GPU figure)'


def table_markdown(args, sections, argv):
    """Return the Markdown tables of the sections, headed by the command and the device."""
    command = ' '.join(['python -m benchmarks.gpu_check', *argv])
    heads = {
        'nodes': ('Nodes (`device: ' + args.device + '`, `backend: torch`) on the demo bags, '
                  f'{args.frames} VGA frames, lockstep',
                  '| node | frames in / out | node processing p50 / p99 (ms) | '
                  'end-to-end p50 / p99 (ms) | frames/s | accuracy |'),
        'networks': ('The shipped network alone (torch backend, random crops)',
                     '| task | crop (px x channels) | batch 1 (ms) | batch 1 (crops/s) | '
                     'batch 64 (crops/s) |'),
        'training': (f'Training: {args.steps} steps of the first step of '
                     f'`training/configs/recipes/<task>_fm.yaml` with '
                     f"`--set` {' '.join(training_overrides('<task>', args, '<work>'))}",
                     '| task | data preparation (s) | steps/s | training crops/s | '
                     'weights exported |')}
    lines = ['# GPU check', '', f'`{command}`, {datetime.date.today().isoformat()}, '
             f'on {device_name(args.device)}.', '']
    for key, (title, header) in heads.items():
        lines += [f'## {title}', '', header, '|' + '---|' * header.count(' | ') + '---|']
        lines += ['| ' + ' | '.join(row) + ' |' for row in sections[key]]
        lines.append('')
    return '\n'.join(lines)


def main(argv=None):
    """Entry point; 0 when every check passed (or there is no CUDA device), else 1."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    reason = missing_cuda() if args.device == 'cuda' else None
    if reason:
        print(reason)
        return 0
    work = args.work or tempfile.mkdtemp(prefix='fm_gpu_check_')
    os.makedirs(work, exist_ok=True)
    sections, failed = run_checks(args, work)
    if not args.work and not failed:  # a failed check's reports and runs stay for a look
        shutil.rmtree(work, ignore_errors=True)
    text = table_markdown(args, sections, argv)
    atomic_write_text(args.out, text)
    print(text)
    if failed:
        print(f"gpu_check: {len(failed)} checks failed ({', '.join(failed)}); table in "
              f'{args.out}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
