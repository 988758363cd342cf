# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Run the ROS process tests again and again: they must pass every time and never hang.

``python -m benchmarks.bench_process_tests [--runs 20] [--timeout 900] [--out FILE]``

Each run is ``python -m pytest -q -p no:cacheprovider -m integration test/ros`` in its own
process group, killed (SIGKILL to the group) when it passes ``--timeout`` seconds. Writes one
table row per run (exit status, passed/failed counts, seconds, hung or not) and a summary,
with the command, to ``--out``.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTEST = [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-m', 'integration',
          'test/ros']


def run_once(timeout):
    """One bounded pytest run; return (status, counts dict, seconds, hung, last line)."""
    start = time.monotonic()
    process = subprocess.Popen(PYTEST, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    hung = False
    try:
        output = process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        hung = True
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0]
    seconds = time.monotonic() - start
    counts = {kind: int(n) for n, kind in re.findall(
        r'(\d+) (passed|failed|errors?|skipped)', output)}
    lines = [line for line in output.splitlines() if line.strip()]
    return process.returncode, counts, seconds, hung, lines[-1] if lines else ''


def main(argv=None):
    """Loop the process tests; write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--timeout', type=float, default=900.0,
                        help='seconds before one run counts as hung and is killed')
    parser.add_argument('--out', default=os.path.join(REPO, 'docs', 'results',
                                                      'benchmarks_process_loop.md'))
    args = parser.parse_args(argv)
    rows, bad = [], 0
    for run in range(1, args.runs + 1):
        status, counts, seconds, hung, last = run_once(args.timeout)
        bad += hung or status != 0
        rows.append(f"| {run} | {'killed' if hung else status} | {counts.get('passed', 0)} | "
                    f"{counts.get('failed', 0) + counts.get('error', 0) + counts.get('errors', 0)}"
                    f" | {seconds:.0f} | {'yes' if hung else 'no'} |")
        print(rows[-1], last, flush=True)
    command = ' '.join(['python -m benchmarks.bench_process_tests',
                        *(sys.argv[1:] if argv is None else argv)])
    text = '\n'.join([
        '# ROS process tests in a loop', '',
        f'Command: `{command}`', '',
        f"Each run: `{' '.join(['python'] + PYTEST[1:])}`, its process group killed after "
        f'{args.timeout:g} s. {args.runs - bad} of {args.runs} runs passed without a hang. '
        f'{time.strftime("%Y-%m-%d")}.', '',
        '| run | exit status | passed | failed | seconds | hung |', '|---|---|---|---|---|---|',
        *rows, ''])
    with open(args.out, 'w', encoding='utf-8') as handle:
        handle.write(text)
    print(f'written to {args.out}')
    return 0 if bad == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
