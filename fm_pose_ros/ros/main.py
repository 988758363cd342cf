# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The console scripts ``hand_node`` and ``object_node``. Imports nothing heavy on purpose.

Importing this module installs the signal handlers (``shutdown.install``), before the torch
check and the node module (torch, rclpy: seconds), so a SIGINT/SIGTERM at any moment of
start-up ends the process quietly (a signal while a native library loads: within
``shutdown.STARTUP_GRACE_S``). Before the node module's import, a torch older than the code
needs ends the process with one line saying how to install a supported one, and status 1
(``core/torch_check.py``). The nodes' own ``main`` functions (``hand_node.main``,
``object_node.main``) run after that; once they return, the process ends at once with their
status (``shutdown.exit_now``).
"""

import sys

from fm_pose_ros.ros import shutdown

shutdown.install()  # first: a signal from here on never prints a traceback


def guarded_main(load_main, name='node'):
    """Install the handlers, check torch, then import and run the node's main.

    The console scripts' body. ``load_main()`` imports the node module and returns its
    ``main``; a signal during that import ends the process quietly with status 0. A torch
    that is missing or too old: one line on stderr naming ``name``, status 1.
    """
    shutdown.install()
    try:
        shutdown.arm()
        from fm_pose_ros.core import torch_check  # after install: importlib.metadata is slow
        problem = torch_check.torch_problem(torch_check.installed_torch_version())
        if problem:
            print(f'[FATAL] [{name}]: {problem}', file=sys.stderr, flush=True)
            return 1
        main = load_main()
    except (KeyboardInterrupt, Exception) as exc:
        if not shutdown.interrupted(exc):
            raise
        shutdown.watchdog(0)
        return 0
    return main()


def hand_node():
    """Console script ``hand_node``; ends the process (``shutdown.exit_now``)."""
    def load():
        from fm_pose_ros.ros.hand_node import main
        return main
    shutdown.exit_now(guarded_main(load, 'hand_node'))


def object_node():
    """Console script ``object_node``; ends the process (``shutdown.exit_now``)."""
    def load():
        from fm_pose_ros.ros.object_node import main
        return main
    shutdown.exit_now(guarded_main(load, 'object_node'))
