# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Node parameters: one table with defaults, descriptions and checks; declared and validated.

Every parameter is declared with a description; a bad value is rejected with a message that
names the parameter, the value and what is allowed (at start-up: the node exits with that
line; at run time: the set is refused and the old value kept).
"""

from dataclasses import dataclass
import re

from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rclpy.exceptions import InvalidParameterTypeException
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
import yaml

from fm_pose_ros.core.backends import BACKENDS, DEVICES


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: default (its type is the parameter's type), description, check."""

    default: object
    description: str
    check: object = None        # callable(value) -> error message or None
    read_only: bool = True      # False: may change while the node runs
    also_type: str = ''         # a second accepted type, e.g. 'str[]' (dynamic typing; the
    #                             check then checks the type too)


def one_of(*choices):
    """Check that a value is one of ``choices``."""
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)}"


def in_range(low, high):
    """Check that ``low <= value <= high``."""
    return lambda v: None if low <= v <= high else f'must be in [{low}, {high}]'


def file_names(value):
    """Check a file name or a list of non-empty file names (None: rcl's reading of ``[]``)."""
    if value is None or isinstance(value, str) or (
            isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value)):
        return None
    return 'must be a file name or a list of non-empty file names'


QOS_RELIABILITY = {'best_effort': ReliabilityPolicy.BEST_EFFORT,
                   'reliable': ReliabilityPolicy.RELIABLE}
AUTO = 'auto'  # match the publishers of the input topic (input_subscription.py)

COMMON_PARAMS = {
    'weights': ParamSpec('', 'Weights file (.safetensors); empty = the shipped default model.'),
    'device': ParamSpec('auto', 'Inference device: auto (cuda if available), cpu or cuda.',
                        one_of(*DEVICES)),
    'backend': ParamSpec('auto', 'Inference backend: auto (onnxruntime on cpu, torch on '
                         'cuda), torch or onnxruntime.',
                         one_of(*BACKENDS)),
    'threads': ParamSpec(2, 'CPU threads for inference (0 = library default).',
                         in_range(0, 256)),
    'qos_reliability': ParamSpec(
        AUTO, 'Reliability of the input subscriptions: auto (match the publishers, as '
        'rosbag2 does: reliable when all are reliable, else best_effort; re-checked every '
        'second), best_effort or reliable.', one_of(AUTO, *QOS_RELIABILITY)),
    'qos_depth': ParamSpec(5, 'History depth (keep last N) of the input subscriptions.',
                           in_range(1, 100)),
    'publish_markers': ParamSpec(True, 'Publish the RViz MarkerArray.', read_only=False),
    'stats_period_s': ParamSpec(10.0, 'Period of the statistics log line in s (0 = never).',
                                in_range(0.0, 3600.0)),
}


def check_value(name, spec, value):
    """Return None if ``value`` is acceptable for parameter ``name``, else a message."""
    expected = type(spec.default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    wrong_type = not isinstance(value, expected) or (expected is int and isinstance(value, bool))
    if wrong_type and not spec.also_type:  # dynamic typing: the check checks the type
        return (f"parameter '{name}' = {value!r} has type {type(value).__name__}, "
                f'expected {expected.__name__}')
    problem = spec.check(value) if spec.check else None
    return f"parameter '{name}' = {value!r} {problem}" if problem else None


def declare_and_read(node, specs):
    """Declare all ``specs`` on ``node``; return ``{name: value}`` or raise ValueError."""
    values = {}
    for name, spec in specs.items():
        descriptor = ParameterDescriptor(description=spec.description, read_only=spec.read_only,
                                         dynamic_typing=bool(spec.also_type))
        try:
            values[name] = node.declare_parameter(name, spec.default, descriptor).value
        except InvalidParameterTypeException as exc:
            raise ValueError(f"parameter '{name}': {exc}") from exc
        problem = check_value(name, spec, values[name])
        if problem:
            raise ValueError(problem)
    return values


def make_set_callback(specs, apply):
    """on-set-parameters callback: check each value; if all pass call ``apply({name: value})``."""
    def callback(params):
        changes = {}
        for param in params:
            spec = specs.get(param.name)
            if spec is None:
                continue
            problem = check_value(param.name, spec, param.value)
            if problem:
                return SetParametersResult(successful=False, reason=problem)
            changes[param.name] = param.value
        problem = apply(changes)
        return SetParametersResult(successful=problem is None, reason=problem or '')
    return callback


def input_qos(reliability, depth):
    """Build the QoS of the sensor inputs: keep last ``depth``, volatile, given reliability.

    ``reliability`` is ``best_effort`` or ``reliable`` (``auto`` is resolved by the caller).
    """
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=QOS_RELIABILITY[reliability],
                      durability=DurabilityPolicy.VOLATILE)


def key_matches(key, fqn):
    """Whether a params-file key (``/**``, ``hand_node``, ``/cam1/*``...) selects node ``fqn``.

    As rcl reads them: a key without a leading ``/`` is absolute, ``*`` is one name token,
    ``/**`` any number of them.
    """
    tokens = key.strip('/').split('/')
    pattern = ''.join('(/[^/]+)*' if t == '**' else '/[^/]+' if t == '*' else '/' + re.escape(t)
                      for t in tokens)
    return re.fullmatch(pattern, fqn) is not None


def params_file_paths(argv):
    """Paths given with ``--params-file`` in a command line."""
    argv = list(argv or ())
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == '--params-file']


def params_file_warnings(fqn, argv):
    """Lines about params files that set nothing for node ``fqn`` (rcl ignores them quietly)."""
    lines = []
    for path in params_file_paths(argv):
        try:
            with open(path, encoding='utf-8') as handle:
                keys = list(yaml.safe_load(handle) or {})
        except (OSError, yaml.YAMLError, TypeError) as exc:
            lines.append(f'params file {path} could not be read: {exc}')
            continue
        if not any(key_matches(str(key), fqn) for key in keys):
            lines.append(f"params file {path} has no section for this node ({fqn}): its keys "
                         f"{', '.join(map(str, keys)) or '(none)'} select other nodes, so none "
                         "of its values apply (key it '/**:' to apply it to any node)")
    return lines


def parameter_table(specs):
    """Markdown table of ``specs`` (docs/interfaces.md holds the output; a test compares)."""
    rows = ['| name | type | default | changeable at run time | description |',
            '|---|---|---|---|---|']
    for name, spec in specs.items():
        default = spec.default
        shown = ('""' if default == '' else str(default).lower() if isinstance(default, bool)
                 else str(default))
        kind = type(default).__name__ + (f' or {spec.also_type}' if spec.also_type else '')
        rows.append(f'| `{name}` | {kind} | `{shown}` | '
                    f"{'no' if spec.read_only else 'yes'} | {spec.description} |")
    return '\n'.join(rows)
