# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Inference time per frame: Feature Mapping (f, g, h) vs the exemplar nearest neighbour.

``python -m training.tools.bench_exemplar [--exemplars 100000]
[--out docs/results/benchmarks_exemplar.md]``

Both share f; FM then runs g and h (two residual FC blocks + one FC), the exemplar method
searches the nearest of N exemplar features (cosine, exact, torch matmul). The search cost
depends on N and the feature size only, so the exemplar features here are random unit
vectors; batch 1, torch with 2 threads, as in the node.
"""

import argparse
import sys
import time

import numpy as np
import torch

from fm_pose_ros.core.fileio import atomic_write_text
from fm_pose_ros.core.networks import FeatureMappingNet
from training.exemplar import ExemplarIndex


def per_call_ms(function, repeats=50):
    """Median wall time of ``function()`` in ms."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def main(argv=None):
    """Time both paths and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--exemplars', type=int, default=100000)
    parser.add_argument('--out', default='docs/results/benchmarks_exemplar.md')
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    model = FeatureMappingNet().eval()
    crop = torch.zeros(1, 1, 128, 128)
    rng = np.random.default_rng(0)
    features = rng.normal(size=(args.exemplars, 1024)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    index = ExemplarIndex(features, np.zeros((args.exemplars, 42), np.float32))
    with torch.inference_mode():
        f_ms = per_call_ms(lambda: model.f(crop))
        query = torch.nn.functional.normalize(model.f(crop), dim=1).numpy()
        gh_ms = per_call_ms(lambda: model.h(model.g(torch.from_numpy(query))))
    nn_ms = per_call_ms(lambda: index.query(query), repeats=10)
    command = 'python -m training.tools.bench_exemplar ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    text = '\n'.join([
        f'Command: `{command.strip()}`', '',
        '| method | f (ms) | after f (ms) | total per frame (ms) |', '|---|---|---|---|',
        f'| feature mapping: h(g(f(x))) | {f_ms:.2f} | {gh_ms:.2f} (g + h) | '
        f'{f_ms + gh_ms:.2f} |',
        f'| exemplar NN, {args.exemplars} exemplars | {f_ms:.2f} | {nn_ms:.2f} (search) | '
        f'{f_ms + nn_ms:.2f} |',
        '', f'Exemplar features in memory: {features.nbytes / 1e6:.0f} MB (float32); '
        'the FM weights file is ~16 MB.', ''])
    print(text)
    atomic_write_text(args.out, text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
