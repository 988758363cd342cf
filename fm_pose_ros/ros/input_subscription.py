# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""One input subscription whose reliability follows the publishers (``qos_reliability: auto``).

``auto`` does what rosbag2 does when it records: reliable when every current publisher of the
topic is reliable, else best effort. Before any publisher is seen the subscription is best
effort (it matches both kinds of publisher), and a reliable one stands by beside it: a reliable
publisher that sends right after discovery reaches the reliable reader even where the
best-effort one has not matched it yet (its first samples would be lost). The first
``update()`` that sees publishers keeps the reader that matches them and destroys the other;
while both exist, a frame is passed on once. ``update()`` (called by a ~1 s timer) re-reads
the publishers and recreates the subscription when the answer changes. With ``reliable`` or
``best_effort`` the choice is fixed. The switch is make-before-break: the old subscription is
kept until the new one has matched the publishers (at most ``RETIRE_S``), and a frame that
arrives on both during that overlap is passed on once (raw messages: same CDR stamp bytes).
The depth (keep last N) is ``qos_depth``. rclpy's QoS override parameters
``qos_overrides.<topic>.subscription.{history,depth}`` are declared too, and
``.reliability`` when the reliability is not ``auto`` (docs/interfaces.md). ``on_lost(n)`` is
called with the number of samples the middleware reports lost (the message-lost QoS event:
a best-effort reader that saw a gap in the writer's sequence numbers).
"""

from collections import deque
import time

from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.qos import ReliabilityPolicy
from rclpy.qos_overriding_options import QoSOverridingOptions, QoSPolicyKind

from fm_pose_ros.ros.node_params import AUTO, input_qos


RETIRE_S = 5.0  # an old subscription is destroyed by then even if the new one never matched
STAMP_BYTES = slice(4, 12)  # CDR: 4-byte encapsulation header, then header.stamp (sec, nanosec)


def cdr_stamp_ns(raw):
    """Header stamp (integer ns) of a serialized message that starts with a std_msgs/Header."""
    order = 'little' if raw[1] & 1 else 'big'  # CDR encapsulation: 0x0001 = little endian
    sec = int.from_bytes(bytes(raw[4:8]), order, signed=True)
    return sec * 10**9 + int.from_bytes(bytes(raw[8:12]), order)


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

    def __init__(self, node, msg_type, topic, callback, mode, depth, raw=False, on_lost=None):
        self.node, self.msg_type, self.callback = node, msg_type, callback
        self.topic = node.resolve_topic_name(topic)
        self.mode, self.depth, self.raw, self.on_lost = mode, depth, raw, on_lost
        self.reliability = 'best_effort' if mode == AUTO else mode
        self.publishers_seen = False  # auto: whether the choice is based on real publishers
        self._retiring = []  # (old subscription, when replaced), kept until the new one matched
        self._recent = deque(maxlen=16)  # stamps passed on while two subscriptions overlap
        self.subscription = self._create()
        # auto, before any publisher: a reliable reader stands by (see the module's docstring)
        self._standby = self._create('reliable') if mode == AUTO else None

    def _create(self, reliability=None):
        kinds = (QoSPolicyKind.HISTORY, QoSPolicyKind.DEPTH)
        if self.mode != AUTO:  # an override of the reliability would defeat auto
            kinds += (QoSPolicyKind.RELIABILITY,)
        callback = self._deliver if self.raw else self.callback
        events = SubscriptionEventCallbacks()
        if self.on_lost is not None:
            events.message_lost = lambda info: self.on_lost(info.total_count_change)
        if reliability == 'reliable' and self.mode == AUTO:  # the standby: a best-effort
            events.incompatible_qos = lambda info: None     # publisher is expected, not a fault
        return self.node.create_subscription(
            self.msg_type, self.topic, callback,
            input_qos(reliability or self.reliability, self.depth), raw=self.raw,
            event_callbacks=events,
            qos_overriding_options=QoSOverridingOptions(policy_kinds=kinds))

    def _decide(self, wanted):
        """First publishers seen (auto): keep the reader that matches them, drop the other."""
        standby, self._standby = self._standby, None
        if wanted != 'reliable':
            self.node.destroy_subscription(standby)
            return None
        self._retiring.append((self.subscription, time.monotonic()))
        self.subscription, self.reliability = standby, 'reliable'
        return (f'input QoS on {self.topic}: best_effort -> reliable '
                '(qos_reliability auto: matching its publishers)')

    def _deliver(self, raw):
        """Pass a raw message on; while two subscriptions overlap, each stamp only once."""
        if self._retiring or self._standby is not None:
            key = bytes(raw[STAMP_BYTES])
            if key in self._recent:
                return
            self._recent.append(key)
        self.callback(raw)

    def _retire(self, publishers):
        """Destroy replaced subscriptions once the new one matched them all (or RETIRE_S)."""
        matched = self.subscription.get_publisher_count() >= len(publishers)
        keep = []
        for old, since in self._retiring:
            if matched or time.monotonic() - since > RETIRE_S:
                self.node.destroy_subscription(old)
            else:
                keep.append((old, since))
        self._retiring = keep
        if not keep and self._standby is None:
            self._recent.clear()

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
        publishers = self.node.get_publishers_info_by_topic(self.topic)
        self._retire(publishers)
        wanted = matching_reliability(publishers)
        self.publishers_seen = self.publishers_seen or wanted is not None
        if wanted is not None and self._standby is not None:
            return self._decide(wanted)
        if wanted is None or wanted == self.reliability:
            return None
        before, self.reliability = self.reliability, wanted
        self._retiring.append((self.subscription, time.monotonic()))
        self.subscription = self._create()
        return (f'input QoS on {self.topic}: {before} -> {wanted} '
                '(qos_reliability auto: matching its publishers)')
