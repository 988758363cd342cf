# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark object_node with 1, 2, 3... objects as users run it (own process, Fast DDS).

``python -m benchmarks.bench_objects [--bag build/demo_object/bag] [--counts 1 2 3]
[--out docs/results/benchmarks_objects.md]``

The bag is the object demo's (``LP_NUM_THREADS=1 python -m training.tools.demo --task object
--out build/demo_object``: real-like VGA rgb8 frames of the shipped object with aligned 16UC1
depth). For each count N the node loads N copies of the shipped object model, each renamed in
its weights metadata (``duck_1``, ``duck_2``, ...; same tensors), through a params file
(``weights: [...]``, every other parameter the node's default). The objects run one after the
other on each frame (core/object_set.py), so a frame should cost about N times one object.
Each N is one ``replay_eval --start-node --mode lockstep`` run answered on
``object_pose/duck_1``; with depth in the bag replay_eval replays twice, colour only (the node's
``final stats`` in report.json's ``node_stats``) and with the depth (``rgbd.node_stats``).
Reports frames sent / answered, the node's processing time per frame (callback -> published)
p50 / p99, and the growth of p50 per extra object over the smallest N. The load average at the
start and end goes into the file: the numbers only mean something on a quiet machine.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from safetensors import safe_open
from safetensors.numpy import save_file
import yaml

from fm_pose_ros.core.fileio import atomic_write, atomic_write_text
from fm_pose_ros.core.object_set import topic_name
from fm_pose_ros.core.resources import default_object_weights
from fm_pose_ros.core.weights import METADATA_KEY, read_metadata
from fm_pose_ros.evaluation.replay_eval import main as replay_main
from fm_pose_ros.ros.object_node import OBJECT_PARAMS

DEFAULT_BAG = os.path.join('build', 'demo_object', 'bag')
DEFAULT_OUT = os.path.join('docs', 'results', 'benchmarks_objects.md')
DEMO_COMMAND = 'LP_NUM_THREADS=1 python -m training.tools.demo --task object --out {out}'
# replay_eval sets stats_period_s:=0 on the node's command line (no periodic statistics lines);
# the params file leaves it out so that it cannot undo that
NOT_IN_PARAMS = ('weights', 'stats_period_s')
PASSES = (('colour only', ()), ('with aligned depth', ('rgbd',)))


def parse_args(argv):
    """Parse the command line; exit 2 on a count below 1."""
    parser = argparse.ArgumentParser(prog='bench_objects', description=__doc__.splitlines()[0])
    parser.add_argument('--bag', default=DEFAULT_BAG, help='object bag (rosbag2 folder)')
    parser.add_argument('--counts', type=int, nargs='+', default=[1, 2, 3],
                        help='numbers of objects in the node, one replay each')
    parser.add_argument('--base-name', default='duck',
                        help='the copies are named <base-name>_1, <base-name>_2, ...')
    parser.add_argument('--wait', type=float, default=120.0,
                        help="replay_eval --wait: seconds for the node's start-up")
    parser.add_argument('--out', default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if min(args.counts) < 1:
        parser.error('--counts must be at least 1')
    args.counts = sorted(set(args.counts))
    return args


def missing_bag_line(bag):
    """Return the one line for a missing bag folder, naming the command that makes it."""
    folder = os.path.normpath(bag)
    out = (os.path.dirname(folder) or '.') if os.path.basename(folder) == 'bag' else None
    make = (DEMO_COMMAND.format(out=out) if out else
            DEMO_COMMAND.format(out='DIR') + ' (it writes DIR/bag)')
    return f'bench_objects: no bag at {bag}: make it with {make}'


def renamed_copy(source, path, name):
    """Write ``source``'s tensors and metadata to ``path``, the object renamed ``name``.

    Tensors keep their dtypes; the metadata stays JSON under the same header key as
    ``weights.save_weights`` writes it. Returns ``path``.
    """
    with safe_open(source, framework='numpy') as handle:
        header = dict(handle.metadata() or {})
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    metadata = json.loads(header[METADATA_KEY])
    metadata['object']['name'] = name
    header[METADATA_KEY] = json.dumps(metadata, sort_keys=True)
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=header))
    return path


def object_copies(folder, count, base='duck', source=None):
    """``count`` renamed copies of ``source`` (the shipped object model) in ``folder``."""
    source = source or default_object_weights()
    return [renamed_copy(source, os.path.join(folder, f'{base}_{i}.safetensors'),
                         f'{base}_{i}') for i in range(1, count + 1)]


def params_text(weights):
    """Params file text: ``weights`` (a list), every other parameter at the node's default."""
    values = {'weights': [os.path.abspath(w) for w in weights]}
    values.update((key, spec.default) for key, spec in OBJECT_PARAMS.items()
                  if key not in NOT_IN_PARAMS)
    return yaml.safe_dump({'/**': {'ros__parameters': values}}, sort_keys=False)


def node_stats(report, keys):
    """``(sent, answered, node stats)`` of one pass of ``report`` (``keys``: where it lies)."""
    part = report
    for key in keys:
        part = part.get(key) or {}
    return part.get('frames_in'), part.get('frames_out'), part.get('node_stats') or {}


def run_count(bag, weights, folder, wait):
    """One lockstep replay into a node holding ``weights``; return (exit status, report)."""
    count = len(weights)
    params = os.path.join(folder, f'params_{count}.yaml')
    atomic_write_text(params, params_text(weights))
    first = topic_name(read_metadata(weights[0])['object']['name'])
    out = os.path.join(folder, f'report_{count}')
    code = replay_main([bag, '--start-node', '--mode', 'lockstep', '--params-file', params,
                        '--output-topic', f'object_pose/{first}', '--wait', str(wait),
                        '--no-progress', '--out', out])
    path = os.path.join(out, 'report.json')
    if not os.path.exists(path):
        return code, None
    with open(path, encoding='utf-8') as handle:
        return code, json.load(handle)


def _cell(value, form='{}'):
    return '-' if value is None else form.format(value)


def table_rows(results):
    """Markdown rows of ``[(count, status, report)]``; the passes that any report holds."""
    passes = [(label, keys) for label, keys in PASSES  # colour always, depth when replayed
              if not keys or any(r and r.get(keys[0]) for _, _, r in results)]
    header = ['objects']
    for label, _ in passes:
        header += [f'{label}: sent / answered', f'{label}: node p50 / p99 ms',
                   f'{label}: p50 increase per extra object ms']
    rows = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    base = {}
    for count, code, report in results:
        cells = [str(count) if code == 0 else f'{count} (replay_eval exit {code})']
        for label, keys in passes:
            sent, answered, stats = node_stats(report or {}, keys)
            p50, p99 = stats.get('p50_ms'), stats.get('p99_ms')
            base.setdefault(label, (count, p50))
            first, first_p50 = base[label]
            step = ((p50 - first_p50) / (count - first)
                    if count > first and None not in (p50, first_p50) else None)
            cells += [f'{_cell(sent)} / {_cell(answered)}',
                      f"{_cell(p50, '{:.2f}')} / {_cell(p99, '{:.2f}')}",
                      _cell(step, '{:+.2f}')]
        rows.append('| ' + ' | '.join(cells) + ' |')
    return rows


def problems_lines(results):
    """One line per count whose replay reported problems."""
    return [f"- {count} objects: {'; '.join(report['problems'])}"
            for count, _, report in results if report and report.get('problems')]


def load_text():
    """Return the 1, 5 and 15 minute load averages as text."""
    return ' / '.join(f'{v:.2f}' for v in os.getloadavg())


def main(argv=None):
    """Make the copies, replay once per count, print and save the table."""
    args = parse_args(argv)
    if not os.path.isdir(args.bag):
        print(missing_bag_line(args.bag), file=sys.stderr)
        return 1
    load_start = load_text()
    folder = tempfile.mkdtemp(prefix='fm_bench_objects_')
    try:
        weights = object_copies(folder, max(args.counts), args.base_name)
        results = [(count, *run_count(args.bag, weights[:count], folder, args.wait))
                   for count in args.counts]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    load_end = load_text()
    args_text = ' '.join(argv if argv is not None else sys.argv[1:])
    command = 'python -m benchmarks.bench_objects ' + args_text
    first = min(args.counts)
    problems = problems_lines(results)
    text = '\n'.join([
        f'<!-- benchmarks/bench_objects.py, {time.strftime("%Y-%m-%d")}, '
        f'{os.cpu_count()} cores -->',
        f'Command: `{command.strip()}`', '',
        f'Bag: `{args.bag}`. object_node as its own process (Fast DDS default transport), '
        'replay_eval lockstep (next frame when the answer on object_pose/'
        f'{topic_name(args.base_name + "_1")} arrived); N renamed copies of the shipped object '
        'model, every other parameter at the node\'s default. Node processing = callback -> '
        'published, per frame, from its final stats line; the increase per extra object is '
        f'(p50(N) - p50({first})) / (N - {first}).', '',
        f'Load average (1 / 5 / 15 min): {load_start} at the start, {load_end} at the end '
        '(the numbers only mean something on a quiet machine).', '',
        *table_rows(results), '',
        *(['Problems reported by replay_eval:', *problems, ''] if problems else [])])
    print(text)
    atomic_write_text(args.out, text)
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
