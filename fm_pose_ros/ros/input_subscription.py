# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""One input subscription whose reliability follows the publishers (``qos_reliability: auto``).

``auto`` does what rosbag2 does when it records: reliable when every current publisher of the
topic is reliable, else best effort. Before any publisher is seen the subscription is best
effort (it matches both kinds of publisher). ``update()`` (called by a ~1 s timer) re-reads
the publishers and recreates the subscription when the answer changes. With ``reliable`` or
``best_effort`` the choice is fixed. The depth (keep last N) is ``qos_depth``; rclpy's QoS
override parameters ``qos_overrides.<topic>.subscription.{history,depth}`` (and
``.reliability`` when the reliability is not ``auto``) are declared too (docs/interfaces.md).
"""

from rclpy.qos import ReliabilityPolicy
from rclpy.qos_overriding_options import QoSOverridingOptions, QoSPolicyKind

from fm_pose_ros.ros.node_params import AUTO, input_qos


def matching_reliability(publishers):
    """``reliable`` if all ``publishers`` (TopicEndpointInfo) are reliable, else best_effort.

    None when there are no publishers (keep the current choice).
    """
    if not publishers:
        return None
    reliable = all(p.qos_profile.reliability == ReliabilityPolicy.RELIABLE for p in publishers)
    return 'reliable' if reliable else 'best_effort'


class InputSubscription:
    """A subscription on ``topic`` with the reliability ``mode`` (auto/reliable/best_effort)."""

    def __init__(self, node, msg_type, topic, callback, mode, depth, raw=False):
        self.node, self.msg_type, self.callback = node, msg_type, callback
        self.topic = node.resolve_topic_name(topic)
        self.mode, self.depth, self.raw = mode, depth, raw
        self.reliability = 'best_effort' if mode == AUTO else mode
        self.publishers_seen = False  # auto: whether the choice is based on real publishers
        self.subscription = self._create()

    def _create(self):
        kinds = (QoSPolicyKind.HISTORY, QoSPolicyKind.DEPTH)
        if self.mode != AUTO:  # an override of the reliability would defeat auto
            kinds += (QoSPolicyKind.RELIABILITY,)
        return self.node.create_subscription(
            self.msg_type, self.topic, self.callback, input_qos(self.reliability, self.depth),
            raw=self.raw, qos_overriding_options=QoSOverridingOptions(policy_kinds=kinds))

    @property
    def actual_reliability(self):
        """Reliability in effect (after any qos_overrides parameter): best_effort/reliable."""
        policy = self.subscription.qos_profile.reliability
        return 'reliable' if policy == ReliabilityPolicy.RELIABLE else 'best_effort'

    def settled_best_effort(self):
        """Whether frames come best effort and will stay so (auto: publishers were seen)."""
        settled = self.mode != AUTO or self.publishers_seen
        return settled and self.actual_reliability == 'best_effort'

    def update(self):
        """Re-check the publishers (auto only); return a log line if the QoS changed."""
        if self.mode != AUTO:
            return None
        wanted = matching_reliability(self.node.get_publishers_info_by_topic(self.topic))
        self.publishers_seen = self.publishers_seen or wanted is not None
        if wanted is None or wanted == self.reliability:
            return None
        before, self.reliability = self.reliability, wanted
        self.node.destroy_subscription(self.subscription)
        self.subscription = self._create()
        return (f'input QoS on {self.topic}: {before} -> {wanted} '
                '(qos_reliability auto: matching its publishers)')
