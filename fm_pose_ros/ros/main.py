# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The console scripts ``hand_node`` and ``object_node``. Imports nothing heavy on purpose.

Each installs the signal handlers (``shutdown.install``) before it imports its node module
(torch, rclpy: seconds), so a SIGINT/SIGTERM at any moment of start-up ends the process
quietly. The nodes' own ``main`` functions (``hand_node.main``, ``object_node.main``) run
after that.
"""

from fm_pose_ros.ros import shutdown


def guarded_main(load_main):
    """Install the handlers, then import and run the node's main: the console scripts' body.

    ``load_main()`` imports the node module and returns its ``main``; a signal during that
    import ends the process quietly with status 0.
    """
    shutdown.install()
    try:
        main = load_main()
    except (KeyboardInterrupt, Exception) as exc:
        if not shutdown.interrupted(exc):
            raise
        shutdown.watchdog(0)
        return 0
    return main()


def hand_node():
    """Console script ``hand_node``."""
    def load():
        from fm_pose_ros.ros.hand_node import main
        return main
    return guarded_main(load)


def object_node():
    """Console script ``object_node``."""
    def load():
        from fm_pose_ros.ros.object_node import main
        return main
    return guarded_main(load)
