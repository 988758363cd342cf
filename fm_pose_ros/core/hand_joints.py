# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""The 14 hand joints published on ``/hand_joints``: names, NYU indices and skeleton.

This is the ONE place where the joint order is written down. Every
array of hand joints in this project, ``(..., 14, 3)``, uses this order: network outputs,
training targets, bag ground truth, PoseArray poses and evaluation reports.
"""

# (name, NYU index among its 36 annotated joints, NYU joint name), in output order.
JOINTS = (
    ('pinky_tip', 0, 'F1_KNU3_A'),
    ('pinky_pip', 3, 'F1_KNU2_B'),
    ('ring_tip', 6, 'F2_KNU3_A'),
    ('ring_pip', 9, 'F2_KNU2_B'),
    ('middle_tip', 12, 'F3_KNU3_A'),
    ('middle_pip', 15, 'F3_KNU2_B'),
    ('index_tip', 18, 'F4_KNU3_A'),
    ('index_pip', 21, 'F4_KNU2_B'),
    ('thumb_tip', 24, 'TH_KNU3_A'),
    ('thumb_ip', 25, 'TH_KNU3_B'),
    ('thumb_mcp', 27, 'TH_KNU2_B'),
    ('wrist_side_1', 30, 'PALM_1'),
    ('wrist_side_2', 31, 'PALM_2'),
    ('palm_centre', 32, 'PALM_3'),
)

JOINT_NAMES = tuple(j[0] for j in JOINTS)
NYU_INDICES = tuple(j[1] for j in JOINTS)
NYU_NAMES = tuple(j[2] for j in JOINTS)
NUM_JOINTS = len(JOINTS)
PALM_CENTRE = JOINT_NAMES.index('palm_centre')

# Skeleton drawn in RViz and debug images: pairs of indices into JOINT_NAMES.
SKELETON = (
    (0, 1), (1, 13),          # pinky tip -> PIP -> palm centre
    (2, 3), (3, 13),          # ring
    (4, 5), (5, 13),          # middle
    (6, 7), (7, 13),          # index
    (8, 9), (9, 10), (10, 13),  # thumb tip -> IP -> MCP -> palm centre
    (11, 13), (12, 13), (11, 12),  # wrist sides and palm centre
)
