# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Training configuration: dataclasses with commented defaults, YAML and ``--set`` overrides.

The whole config is saved inside every checkpoint and weights file (``training`` metadata).
Override order: task defaults < ``--config file.yaml`` < ``--set section.key=value``
(repeatable).

A config file may include another with ``base: <path relative to the file>``: the two are
merged key by key, the including file's values winning (``training/configs/recipes/
hand_net.yaml`` holds the shipped hand network, included by every hand recipe). A recipe file
may instead list ``steps:``, each a config file trained from the weights of the one before
(``recipes/hand_fm.yaml``); ``recipe_steps`` reads it, ``training.train`` runs it.
"""

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
import os

import yaml

from fm_pose_ros.core.hand_codec import HandCropSettings
from fm_pose_ros.core.networks import NetConfig, OBJECT_NET
from fm_pose_ros.core.object_codec import MAX_ROTATION_DEG, ObjectCropSettings

METHODS = ('fm', 'synthetic', 'real', 'mix')
TASKS = ('hand', 'object')
BUILT_IN_SOURCES = ('simreal', 'heldout-tof', 'heldout-ego')  # data.source; else an NYU folder
CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'configs')
RECIPES = {task: os.path.join(CONFIG_DIR, 'recipes', f'{task}_fm.yaml') for task in TASKS}
# --quick: every stage, frame count and locator schedule capped: a smoke run of the recipe's
# own network, chain of steps and data pipeline (not a usable model)
QUICK_CAPS = {'optim.stage1_steps': 50, 'optim.stage2_steps': 50, 'data.num_real_train': 24,
              'data.num_real_test': 16, 'data.num_real_val': 16, 'data.locator_steps': 30,
              'object.locator_steps': 30, 'eval_every': 100, 'ckpt_every': 50}


@dataclass(frozen=True)
class DataConfig:
    """Where the images come from."""

    source: str = 'simreal'      # 'simreal' (built-in sim-to-real benchmark), 'heldout-tof'
    #                              (held-out test domain, evaluation only) or an NYU dir
    num_real_train: int = 1500   # labelled real-like frames (with twins) for training
    num_real_test: int = 400     # real-like frames held out for evaluation
    num_real_val: int = 200      # labelled real frames held out for tuning (model selection);
    #                              the test set is for the final report only
    com_jitter_mm: float = 10.0  # crop-centre noise on synthetic crops (localiser error)
    locator_steps: int = 1500    # hand locator training steps (0: centre-of-mass localiser)
    locator_batch: int = 32      # real frames per hand locator step
    locator_channels: tuple = (16, 32, 48, 64)  # hand locator's layers: two at stride 2,
    #                              then one per dilation (networks.LocatorConfig)
    locator_dilations: tuple = (2, 4)  # each widens its view; (2, 4, 8, 16) sees the arm's
    #                              end from the hand (docs/hand_data.md, "A wider locator")
    locator_positive_weight: float = 4.0  # weight of the hand cells in the locator's loss
    label_poses: float = 0.0     # share of synthetic poses drawn from the real training
    #                              labels (IK fits, perturbed: the paper's scheme); 0: prior only
    label_pose_sigma_deg: float = 12.0  # random articulation added to each joint angle
    label_pose_turn_deg: float = 10.0   # random rotation about the palm centre (per axis)
    sensor_copies: int = 0       # built-in data: copies of each real training frame seen by a
    #                              random sensor (training/hand/sensor_random.py; same labels)
    robot_copies: int = 0        # built-in data: copies of each real training frame's hand
    #                              re-rendered as a robot's camera sees it: other camera model
    #                              and sensor family, viewpoint and props (same label, moved
    #                              with the hand; training/hand/robot_view.py, docs/hand_data.md)
    robot_ego: float = 0.5       # share of those copies seen egocentrically (back of the hand,
    #                              fingers pointing away, forearm from the image border)
    robot_grasp: float = 0.4     # share holding an object (cylinder, box, mug)
    robot_second_hand: float = 0.25  # share with the other hand or an arm in view
    robot_contact: float = 0.3   # share with a table or props touching the hand
    robot_border: float = 0.2    # share with the palm centre near an image edge
    synthetic_ego: float = 0.0   # share of synthetic poses seen egocentrically
    synthetic_grasp: float = 0.0  # share of synthetic hands holding an object, fingers closed
    mirror_test: bool = False    # test and validation frames mirrored left-right: the same
    #                              scenes with the other hand (evaluation of handedness)
    mirror_train: float = 0.0    # share of training crops (synthetic, and real with its twin)
    #                              mirrored left-right at every draw, targets' x negated: the
    #                              other hand (the hand model draws a left hand)
    train_crops: str = 'locator'  # where the real training crops are cut: 'locator' (by the
    #                              trained locator: the training frames are made twice, once
    #                              for the locator, once to crop) or 'hand' (at the visible
    #                              hand's centre + com_jitter_mm noise: made once)
    test_crops: str = 'locator'  # where the test and validation frames are cropped:
    #                              'locator' (as the node) or 'hand' (at the visible hand's
    #                              centre: the network alone, without the localiser's error)
    seed: int = 0                # data seed (test set, real set, synthetic stream)
    cache_dir: str = 'runs/cache'  # prepared real crops (.npz), shared by all methods

    def validate(self):
        """Raise ValueError on a share outside [0, 1] or an unknown crop placement."""
        for name in SHARES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f'data.{name} is a share: it must be in [0, 1], got '
                                 f'{getattr(self, name)}')
        dilations, channels = self.locator_dilations, self.locator_channels
        if not (1 <= len(dilations) <= 6 and all(isinstance(d, int) and 1 <= d <= 32
                                                 for d in dilations)
                and len(channels) == len(dilations) + 2
                and all(isinstance(c, int) and 1 <= c <= 256 for c in channels)
                and self.locator_positive_weight > 0):
            raise ValueError(f'data.locator_dilations must be 1-6 integers in [1, 32], '
                             f'data.locator_channels 2 more in [1, 256] and '
                             f'data.locator_positive_weight > 0, got {list(dilations)}, '
                             f'{list(channels)} and {self.locator_positive_weight}')
        for name in ('train_crops', 'test_crops'):
            if getattr(self, name) not in ('locator', 'hand'):
                raise ValueError(f"data.{name} must be 'locator' or 'hand', got "
                                 f'{getattr(self, name)!r}')


# DataConfig fields that are probabilities
SHARES = ('robot_ego', 'robot_grasp', 'robot_second_hand', 'robot_contact', 'robot_border',
          'synthetic_ego', 'synthetic_grasp', 'mirror_train')


@dataclass(frozen=True)
class ObjectConfig:
    """The object task (training/object/data.py); ignored by the hand task."""

    mesh: str = 'pybullet_data/duck.obj'  # PLY/OBJ; pybullet_data/... = inside that package
    units: str = 'm'             # mesh file units: m | cm | mm
    scale: float = 0.05          # extra factor (the pybullet duck is modelled x 20)
    up_axis: str = '+y'          # model axis pointing up: views come from that hemisphere
    symmetric: bool = False      # evaluate with ADD-S
    symmetry_order: int = 1      # targets over the object's symmetries (losses.pose_loss takes
    #                              the closest): 1 = none; N > 1 = the built-in mesh turned N
    #                              times about its up axis through the model origin, or a BOP
    #                              object's models_info symmetries, a continuous one sampled
    #                              by N turns (docs/results_object.md, "Symmetric objects")
    cull_back_faces: bool = True  # faster; needs a closed mesh with outward (CCW) windings
    distance_m: tuple = (0.45, 0.85)  # camera distance range, metres
    box_shift: float = 0.1       # crop-centre noise of training crops, fraction of the side
    box_scale: float = 0.15      # crop-side noise of training crops (+-, relative)
    augment: bool = False        # re-crop the labelled real frames and twins at every draw:
    #                              new box noise, in-plane rotation, colour of the real crop
    #                              (training/object/augment.py); false: one fixed crop each
    augment_margin: float = 1.6  # stored margin crop side / the node's crop side
    augment_rotation_deg: float = 30.0  # in-plane rotation range (+-)
    augment_colour: float = 0.2  # per-channel gain, contrast and brightness change (+-)
    crop: ObjectCropSettings = field(default_factory=ObjectCropSettings)
    locator_steps: int = 800     # training steps of the locator (shared by all methods)
    locator_batch: int = 16      # frames per locator step (half synthetic, half real-like)
    locator_backgrounds: str = 'smooth'  # the synthetic half's backgrounds: smooth colour
    #                              fields, or 'varied' (textures and clutter,
    #                              training/object/backgrounds.py)
    refine_steps: int = 1        # crop re-centring passes at evaluation (as in the node)
    test_rotation_deg: float = 15.0  # evaluation also on crops turned by +- this (as the node)
    bop_root: str = ''           # a BOP dataset (LM, LM-O...) as the real domain; '' = built-in
    bop_obj_id: int = 1          # its object (mesh, units mm, symmetry from models_info.json)
    bop_train_split: str = 'train'  # split folders of real training / test frames
    bop_test_split: str = 'test'

    def validate(self):
        """Raise ValueError if an augmentation or test-time setting is out of range."""
        if not (1.0 <= self.augment_margin <= 3.0 and 0.0 <= self.augment_rotation_deg <= 180.0
                and 0.0 <= self.augment_colour < 1.0):
            raise ValueError('object.augment_margin in [1, 3], augment_rotation_deg in [0, 180] '
                             'and augment_colour in [0, 1) required')
        if self.locator_backgrounds not in ('smooth', 'varied'):
            raise ValueError(f"object.locator_backgrounds must be 'smooth' or 'varied', got "
                             f'{self.locator_backgrounds!r}')
        if not (isinstance(self.symmetry_order, int) and 1 <= self.symmetry_order <= 360):
            raise ValueError(f'object.symmetry_order must be an integer in [1, 360], got '
                             f'{self.symmetry_order!r}')
        if not 0.0 <= self.test_rotation_deg <= MAX_ROTATION_DEG:
            raise ValueError(f'object.test_rotation_deg must be in [0, {MAX_ROTATION_DEG:g}] '
                             '(as the node\'s)')


@dataclass(frozen=True)
class OptimConfig:
    """Optimisation (defaults from a same-lab reimplementation; tune them)."""

    batch_size: int = 32         # per process and per stream (reimplementation: 64)
    lr: float = 3.3e-4           # Adam learning rate
    weight_decay: float = 1e-3   # Adam weight decay
    stage1_steps: int = 1000     # fm: synthetic pre-training of f and h
    stage2_steps: int = 1000     # fm: joint training with g (other methods: same budget)
    beta: float = 1.0            # weight of the real pose loss through g
    gamma: float = 0.2           # weight of the feature-mapping loss
    lr_drop_at: float = 0.7      # fraction of each stage after which lr is divided by 10


@dataclass(frozen=True)
class TrainConfig:
    """A training run."""

    task: str = 'hand'           # hand (depth) | object (RGB)
    method: str = 'fm'           # fm | synthetic | real | mix (see training/train.py)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    net: NetConfig = field(default_factory=NetConfig)
    crop: HandCropSettings = field(default_factory=HandCropSettings)
    object: ObjectConfig = field(default_factory=ObjectConfig)
    out_dir: str = 'runs/hand_fm'  # checkpoints, TensorBoard logs, final weights
    init: str = ''               # weights file to start from (its network only, no optimiser
    #                              state; same architecture); '' = random initialisation
    device: str = 'auto'         # auto | cpu | cuda
    threads: int = 2             # torch CPU threads per process
    channels_last: bool = False  # NHWC tensors in training (faster convolutions on CPU;
    #                              docs/results/benchmarks_train_step*.md); weights are the
    #                              same format, but for narrow strided 1x1 convolutions
    #                              (training/layout.py)
    ckpt_every: int = 100        # steps between resumable checkpoints
    eval_every: int = 500        # steps between evaluations on the real test set
    log_every: int = 25          # steps between loss logs
    seed: int = 0                # model init and dropout seed

    def validate(self):
        """Raise ValueError on inconsistent settings; return self."""
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
        crop = self.crop if self.task == 'hand' else self.object.crop
        if crop.crop_size != self.net.in_size:
            raise ValueError(f'crop_size {crop.crop_size} != net.in_size {self.net.in_size}')
        steps = (self.optim.stage1_steps, self.optim.stage2_steps)
        if (self.optim.batch_size < 2 or min(steps) < 0
                or min(self.data.sensor_copies, self.data.robot_copies) < 0):
            raise ValueError('batch_size >= 2, non-negative step counts and '
                             'data.sensor_copies and data.robot_copies required')
        self.data.validate()
        copies = self.data.sensor_copies or self.data.robot_copies
        if copies and self.data.source not in BUILT_IN_SOURCES:
            raise ValueError(f'data.sensor_copies and data.robot_copies need the built-in '
                             f'benchmark, not {self.data.source}: no clean scene to see again')
        crop.validate()
        self.object.validate()
        return self

    def to_dict(self):
        """Nested plain dict (JSON/YAML friendly)."""
        return asdict(self)


def _coerce(template, value):
    """Convert a YAML/CLI value to the type of ``template`` (tuples stay tuples)."""
    if isinstance(template, tuple):
        return tuple(value)
    if isinstance(template, bool):
        return value if isinstance(value, bool) else str(value).lower() in ('1', 'true', 'yes')
    if isinstance(template, (int, float, str)):
        return type(template)(value)
    return value


def merge(config, overrides):
    """Return ``config`` with a nested dict of overrides applied; unknown keys are errors."""
    changes = {}
    names = {f.name for f in fields(config)}
    for key, value in overrides.items():
        if key not in names:
            raise ValueError(f"unknown config key '{key}' in {type(config).__name__}")
        current = getattr(config, key)
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"config section '{key}' needs a mapping")
            changes[key] = merge(current, value)
        else:
            changes[key] = _coerce(current, value)
    return replace(config, **changes)


def parse_set(items):
    """``['optim.lr=1e-3', 'method=mix']`` -> nested dict with YAML-parsed values."""
    nested = {}
    for item in items:
        if '=' not in item:
            raise ValueError(f"--set expects key=value, got '{item}'")
        dotted, raw = item.split('=', 1)
        node = nested
        *parents, leaf = dotted.split('.')
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
    return nested


def task_defaults(task='hand'):
    """Return the default TrainConfig of a task (the object task has its own network and sizes)."""
    if task == 'object':
        return TrainConfig(task='object', net=OBJECT_NET, out_dir='runs/object_fm',
                           data=DataConfig(num_real_train=1000, num_real_test=200))
    return TrainConfig()


def deep_merge(base, top):
    """Return ``base`` updated by ``top`` key by key (nested mappings merged, ``top`` wins)."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            value = deep_merge(merged[key], value)
        merged[key] = value
    return merged


def read_yaml(path, _chain=()):
    """Read a config file's mapping with its ``base:`` chain merged in (the file wins).

    Raise ValueError in one line naming the file when the file or a base is missing, is not a
    mapping, or a base includes itself.
    """
    real = os.path.realpath(path)
    if real in _chain:
        names = ' -> '.join(os.path.basename(name) for name in _chain + (real,))
        raise ValueError(f'{path}: base cycle ({names})')
    try:
        with open(path, encoding='utf-8') as handle:
            values = yaml.safe_load(handle) or {}
    except FileNotFoundError:
        where = f' (base of {_chain[-1]})' if _chain else ''
        raise ValueError(f'{path}: no such config file{where}') from None
    except yaml.YAMLError as exc:
        raise ValueError(f'{path}: not YAML ({" ".join(str(exc).split())})') from None
    if not isinstance(values, dict):
        raise ValueError(f'{path}: a config file holds a mapping of settings')
    base = values.pop('base', None)
    if base is None:
        return values
    if not isinstance(base, str) or not base:
        raise ValueError(f'{path}: base must be a path to another config file')
    parent = read_yaml(os.path.join(os.path.dirname(path), base), _chain + (real,))
    return deep_merge(parent, values)


def recipe_steps(path):
    """``[(name, config path)]`` of a recipe: its ``steps`` in order, or the file itself.

    A step's name is its file name without ``.yaml``; paths are relative to the recipe.
    """
    values = read_yaml(path)
    if 'steps' not in values:
        return [(os.path.splitext(os.path.basename(path))[0], path)]
    steps = values.pop('steps')
    if values or not isinstance(steps, list) or not steps or not all(
            isinstance(step, str) for step in steps):
        raise ValueError(f'{path}: a recipe of steps holds only "steps:", a list of config files')
    folder = os.path.dirname(path)
    return [(os.path.splitext(os.path.basename(step))[0], os.path.join(folder, step))
            for step in steps]


def quick_items(cfg):
    """``--set`` items capping ``cfg`` to a smoke run (QUICK_CAPS; a 0 stays 0)."""
    items = []
    for dotted, cap in QUICK_CAPS.items():
        value = cfg
        for part in dotted.split('.'):
            value = getattr(value, part)
        items.append(f'{dotted}={min(value, cap)}')
    return items


def load_config(yaml_path=None, set_items=(), base=None, task='hand'):
    """Build a validated TrainConfig from task defaults, a YAML file and ``--set`` items.

    A ``task`` key in the YAML file (or its base) picks the defaults of that task, as
    ``--task`` does. ``base``: a TrainConfig to start from instead of the task defaults.
    """
    overrides = read_yaml(yaml_path) if yaml_path else {}
    if 'steps' in overrides:
        raise ValueError(f'{yaml_path}: a recipe of steps; train it with python -m '
                         f'training.train --config {yaml_path}')
    config = base or task_defaults(overrides.get('task', task))
    return merge(merge(config, overrides), parse_set(set_items)).validate()


def from_dict(values):
    """Rebuild a TrainConfig from ``to_dict`` output (e.g. a checkpoint's metadata)."""
    return merge(task_defaults(values.get('task', 'hand')), values).validate()
