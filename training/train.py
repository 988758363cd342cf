# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Train a hand (depth) or object (RGB) model: Feature Mapping or a baseline, resumable, DDP.

``python -m training.train [--task hand|object] [--config c.yaml] [--quick] [--method fm]
[--out runs/x] [--set k=v] [--resume] [--init weights.safetensors]``
``torchrun --nproc_per_node 2 -m training.train ...`` (gloo on CPU, nccl on GPU)

With no ``--config`` it trains the shipped recipe of the task: for hands
``training/configs/recipes/hand_fm.yaml`` (the dense depth network, three steps: 40,000 steps,
then 12,000 from those weights with random-sensor copies of the labelled frames, then 6,000
with half of every batch mirrored, for both hands), for objects
``recipes/object_fm.yaml`` (the dense RGB network, 15,000 steps with augmented real crops).
A recipe of ``steps:`` runs each step in ``<out>/<step>/``, each later one initialised from
the weights of the one before, and copies the last weights to ``<out>``. ``--quick`` caps
every step to a smoke run (``training.config.QUICK_CAPS``: 50 + 50 steps, 24 labelled frames).

Methods (same harness, same total step budget; the task picks the data, network outputs and
metrics through training/tasks.py: 3D joints of a depth crop, or the 8 box corners of an
object crop):
- ``fm``: stage 1 trains f, h on synthetic crops; stage 2 adds real crops through g and the
  feature-mapping loss towards their synthetic twins (training/losses.py).
- ``synthetic``: f, h on synthetic crops only.  ``real``: f, h on real crops only.
- ``mix``: f, h on synthetic and real crops (no g).
The model always runs as ``h(g(f(x)))``; g starts as the identity and only ``fm`` trains it.
A tqdm bar shows on a terminal only; every ``log_every`` steps one log line gives the
losses, steps per second and the time left.
"""

import argparse
import logging
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from fm_pose_ros.core.backends import resolve_device
from fm_pose_ros.core.fileio import atomic_write
from fm_pose_ros.core.networks import FeatureMappingNet
from fm_pose_ros.core.text import printable
from fm_pose_ros.core.weights import (
    load_hand_parts, load_object_model, read_metadata, WeightsError)
from training.checkpointing import (
    load_training_state, save_training_state, TrainingStateError)
from training.config import load_config, quick_items, recipe_steps, RECIPES, TASKS
from training.layout import apply_layout
from training.losses import Objective, STAGES
from training.predict import predictor
from training.progress import bar, Rate
from training.tasks import make_training_data

LOGGER = logging.getLogger('training.train')
RESUME_FILE = 'resume.safetensors'


def stage_plan(cfg):
    """``[(name, streams, use_g, first_step, last_step_exclusive)]`` for the method."""
    stages = STAGES[cfg.method]
    total = cfg.optim.stage1_steps + cfg.optim.stage2_steps
    lengths = ([cfg.optim.stage1_steps, cfg.optim.stage2_steps] if len(stages) == 2
               else [total])
    plan, start = [], 0
    for (name, streams, use_g), length in zip(stages, lengths):
        plan.append((name, streams, use_g, start, start + length))
        start += length
    return plan


def learning_rate(cfg, stage, step):
    """Return the base lr, divided by 10 after ``lr_drop_at`` of the stage."""
    _, _, _, first, last = stage
    drop = step - first >= cfg.optim.lr_drop_at * (last - first)
    return cfg.optim.lr * (0.1 if drop else 1.0)


def make_batch(data, streams, cfg, step, rank):
    """Tensors for one step; the data RNG depends only on (seed, step, rank): resumable."""
    rng = np.random.default_rng([cfg.data.seed, step, rank])
    n = cfg.optim.batch_size
    batch = {}
    if 'syn' in streams:
        batch['syn'], batch['syn_target'] = data.synthetic_batch(rng, n)
    if 'real' in streams:
        real, twin, target = data.paired_batch(rng, n)
        batch['real'], batch['real_target'] = real, target
        if 'twin' in streams:
            batch['twin'] = twin
    return {k: torch.from_numpy(v) for k, v in batch.items()}


def memory_format(cfg):
    """Return the memory format of images and conv weights in training (``channels_last``)."""
    return torch.channels_last if cfg.channels_last else torch.contiguous_format


def train_step(objective, optimizer, batch, cfg, stage, step, device):
    """One optimisation step of ``objective`` (Objective, maybe DDP-wrapped); float losses."""
    for group in optimizer.param_groups:
        group['lr'] = learning_rate(cfg, stage, step)
    torch.manual_seed(cfg.seed * 1_000_003 + step)  # dropout: same on resume
    layout = memory_format(cfg)
    batch = {k: v.to(device, memory_format=layout) if v.dim() == 4 else v.to(device)
             for k, v in batch.items()}
    losses = objective(batch, stage[2])
    optimizer.zero_grad(set_to_none=True)
    losses['total'].backward()
    optimizer.step()
    return {k: float(v.detach()) for k, v in losses.items()}


class Trainer:
    """Owns model, optimizer, data and logging for one run."""

    def __init__(self, cfg, data=None, resume=False):
        self.cfg = cfg
        self.rank, self.world = _init_distributed()
        self.device = resolve_device(cfg.device)
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.model = apply_layout(FeatureMappingNet(cfg.net).to(self.device), memory_format(cfg))
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.optim.lr,
                                          weight_decay=cfg.optim.weight_decay)
        self.step = self._maybe_resume() if resume else 0
        if cfg.init and self.step == 0:
            warm_start(self.model, cfg.init)
            LOGGER.info('network initialised from %s', cfg.init)
        self.curve = ValidationCurve(cfg.out_dir, resumed=self.step > 0)
        objective = Objective(self.model, cfg.optim.beta, cfg.optim.gamma)
        # g is unused in stage 1 and by the baselines: DDP must not wait for its gradients
        self.objective = (DistributedDataParallel(objective, find_unused_parameters=True)
                          if self.world > 1 else objective)
        self.data = data or make_training_data(cfg)
        self.writer = _tensorboard(cfg.out_dir) if self.rank == 0 else None
        self.history = []                    # losses of every step run in this process

    def _maybe_resume(self):
        path = os.path.join(self.cfg.out_dir, RESUME_FILE)
        if not os.path.exists(path):
            return 0
        step, _ = load_training_state(path, self.model, self.optimizer)
        LOGGER.info('resumed from %s at step %d', path, step)
        return step

    def run(self, stop_at=None):
        """Train to the end of the plan; return the path of the exported weights.

        ``stop_at`` ends the run early at that step without exporting (simulates a kill).
        """
        plan = stage_plan(self.cfg)
        total = plan[-1][4]
        progress = bar(total, self.step, self.cfg.method, show=self.rank == 0)
        self.rate = Rate(total, self.step)
        while self.step < total:
            stage = next(s for s in plan if s[3] <= self.step < s[4])
            batch = make_batch(self.data, stage[1], self.cfg, self.step, self.rank)
            self.model.train()
            self.history.append(train_step(self.objective, self.optimizer, batch, self.cfg,
                                           stage, self.step, self.device))
            self.step += 1
            progress.update(1)
            self._after_step(stage, total)
            if self.step == stop_at:
                progress.close()
                return None
        progress.close()
        return self._export() if self.rank == 0 else None

    def _after_step(self, stage, total):
        if self.rank != 0:
            return
        if self.step % self.cfg.log_every == 0 or self.step == total:
            for name, value in self.history[-1].items():
                self.writer.add_scalar(f'{stage[0]}/{name}', value, self.step)
            LOGGER.info('step %d/%d %s %s | %s', self.step, total, stage[0],
                        ' '.join(f'{k}={v:.4f}' for k, v in self.history[-1].items()),
                        self.rate.text(self.step))
        if self.step % self.cfg.ckpt_every == 0 or self.step == total:
            save_training_state(os.path.join(self.cfg.out_dir, RESUME_FILE), self.model,
                                self.optimizer, self.step, self.cfg.to_dict())
        if self.step % self.cfg.eval_every == 0 or self.step == total:
            values = self.headlines()
            for split, value in values.items():
                self.writer.add_scalar(f'eval/{split}_{self.data.headline}', value, self.step)
                LOGGER.info('step %d real %s %s %.4f', self.step, split, self.data.headline,
                            value)
            self.curve.add(self.step, values)

    def evaluate(self, split='test'):
        """Report of ``h(g(f(real)))`` on the real-like test (or val) set (task's metrics)."""
        return self.data.evaluate(predictor(self.model, self.device), split)

    def headlines(self):
        """``{'test': value}`` of the task's headline metric, plus ``'val'`` when held out."""
        splits = ['test'] + ['val'] * (self.data.val is not None)
        return {split: self.evaluate(split)[self.data.headline] for split in splits}

    def _export(self):
        headline, values = self.data.headline, self.headlines()
        path = weights_path(self.cfg)
        self.data.export(path, self.model, training={**self.cfg.to_dict(), 'steps': self.step},
                         metrics={f'real_{split}_{headline}': v for split, v in values.items()})
        self.writer.close()
        LOGGER.info('exported %s (real test %s %.4f)', path, headline, values['test'])
        return path


def warm_start(model, path):
    """Copy the network of a weights file into ``model`` (``--init``; no optimiser state).

    Raise ValueError when the file's architecture differs from the run's ``net`` config.
    """
    metadata = read_metadata(path)
    loader = load_object_model if metadata.get('task') == 'object' else load_hand_parts
    source = loader(path)[0]
    if source.cfg != model.cfg:
        raise ValueError(f'--init {path}: its network {source.cfg.to_dict()} differs from this '
                         f'run\'s net config {model.cfg.to_dict()}')
    model.load_state_dict(source.state_dict())


class ValidationCurve:
    """``curve.csv`` in the run folder: step, wall-clock seconds of training, real errors.

    Wall-clock counts from the start of the run (evaluations included) and carries on across
    ``--resume`` from the last row written.
    """

    def __init__(self, out_dir, resumed):
        self.path = os.path.join(out_dir, 'curve.csv')
        self.offset = self._last_elapsed() if resumed else 0.0
        self.start = time.monotonic()
        if not resumed or not os.path.exists(self.path):
            os.makedirs(out_dir, exist_ok=True)
            with open(self.path, 'w', encoding='utf-8') as handle:
                handle.write('step,elapsed_s,split,value\n')

    def _last_elapsed(self):
        if not os.path.exists(self.path):
            return 0.0
        with open(self.path, encoding='utf-8') as handle:
            rows = handle.read().split()[1:]
        return float(rows[-1].split(',')[1]) if rows else 0.0

    def add(self, step, values):
        """Append one row per split of ``values`` (``{split: headline metric}``)."""
        elapsed = self.offset + time.monotonic() - self.start
        with open(self.path, 'a', encoding='utf-8') as handle:
            for split, value in values.items():
                handle.write(f'{step},{elapsed:.1f},{split},{value:.4f}\n')


def _init_distributed():
    """Join the torchrun process group if there is one; return (rank, world size)."""
    world = int(os.environ.get('WORLD_SIZE', '1'))
    if world > 1 and not dist.is_initialized():
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
        dist.init_process_group(backend)
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def _tensorboard(out_dir):
    from torch.utils.tensorboard import SummaryWriter
    return SummaryWriter(os.path.join(out_dir, 'tensorboard'))


def weights_path(cfg):
    """Where a run exports its weights: ``<out_dir>/<task>_<method>.safetensors``."""
    return os.path.join(cfg.out_dir, f'{cfg.task}_{cfg.method}.safetensors')


def recipe_runs(config, task='hand', set_items=(), out=None, init=None, quick=False):
    """``[(step name, TrainConfig)]`` of a recipe, every step validated before any trains.

    ``config``: a config file or a recipe of ``steps:``; None: the task's shipped recipe
    (``training.config.RECIPES``). One step runs in ``out`` (default: its ``out_dir``);
    several run in ``<out>/<step name>/``, each after the first initialised from the weights
    of the one before (``init``: the first step's). ``quick``: ``QUICK_CAPS`` on every step.
    Override order per step: its file < quick caps < ``set_items`` < ``out``/``init``.
    """
    steps = recipe_steps(config or RECIPES[task])
    runs = []
    for name, path in steps:
        cfg = load_config(path, set_items, task=task)
        if len(steps) > 1:
            out = out or cfg.out_dir             # the first step's: the recipe's folder
        where = (os.path.join(out, name) if len(steps) > 1 else out) or cfg.out_dir
        items = (quick_items(cfg) if quick else []) + list(set_items) + [f'out_dir={where}']
        cfg = load_config(path, items + [f'init={init}'] * bool(init), task=task)
        runs.append((name, cfg))
        init = weights_path(cfg)
    return runs


def train_steps(runs, resume=False):
    """Train each ``(name, cfg)`` of ``recipe_runs`` in order; return an exit status.

    Several steps: with ``resume`` a step whose weights file exists is done; at the end the
    last weights are copied beside the step folders (``<out>/<task>_<method>.safetensors``).
    A step that cannot start (data, weights) ends the run with one line on stderr (status 2).
    """
    several = len(runs) > 1
    for index, (name, cfg) in enumerate(runs):
        step = f'recipe step {index + 1}/{len(runs)} {name}'
        if several and resume and os.path.exists(weights_path(cfg)):
            LOGGER.info('%s: done (%s)', step, weights_path(cfg))
            continue
        if several:
            LOGGER.info('%s: training into %s', step, cfg.out_dir)
        try:
            trainer = Trainer(cfg, resume=resume)
        except (WeightsError, TrainingStateError, OSError, ValueError) as exc:
            print(f'training.train: {f"{name}: " * several}{printable(exc)}', file=sys.stderr)
            return 2
        trainer.run()
        if dist.is_initialized():
            dist.barrier()                   # the next step reads the weights rank 0 wrote
    last = runs[-1][1]
    if several and (not dist.is_initialized() or dist.get_rank() == 0):
        final = os.path.join(os.path.dirname(last.out_dir), os.path.basename(weights_path(last)))
        atomic_write(final, lambda tmp: shutil.copyfile(weights_path(last), tmp))
        LOGGER.info('recipe done: %s', final)
    return 0


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', help='YAML config or recipe (default: the task\'s shipped '
                        'recipe, training/configs/recipes/<task>_fm.yaml)')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                        help='override, e.g. optim.lr=1e-3 (repeatable; every step)')
    parser.add_argument('--task', default='hand', choices=TASKS,
                        help='hand | object (default: hand)')
    parser.add_argument('--method', help='fm | synthetic | real | mix')
    parser.add_argument('--out', help='output directory')
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: steps, frames and locator training capped')
    parser.add_argument('--resume', action='store_true', help='continue from out/resume')
    parser.add_argument('--init', help='start from this weights file (network only)')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    try:
        runs = recipe_runs(args.config, args.task,
                           args.set + [f'method={args.method}'] * bool(args.method),
                           args.out, args.init, args.quick)
    except (OSError, ValueError) as exc:
        print(f'training.train: {printable(exc)}', file=sys.stderr)
        return 2
    status = train_steps(runs, args.resume)
    if dist.is_initialized():
        dist.destroy_process_group()
    return status


if __name__ == '__main__':
    sys.exit(main())
