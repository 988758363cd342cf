# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Runtime benchmarks: the nodes as their own processes over DDS, run with ``python -m``.

``bench_node`` (backends and input schedules through ``replay_eval``), ``bench_transport``
(publisher QoS), ``bench_flood`` (input floods), ``soak`` (memory over minutes) and
``bench_process_tests`` (the ROS process tests in a loop). Each writes its table, with the
command, under docs/. Nothing imports this package; it imports ``fm_pose_ros`` and, for
rendered real-like frames, ``training``.
"""
