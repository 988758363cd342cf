# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Test-side ROS nodes: publish images + CameraInfo, record what the pose nodes publish."""

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseArray, PoseStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from fm_pose_ros.evaluation.replay_node import spin_until
from fm_pose_ros.ros.camera_messages import camera_info_msg
from fm_pose_ros.ros.hand_messages import depth_image_msg
from fm_pose_ros.ros.object_messages import rgb_image_msg

FRAME_ID = 'camera_depth_optical_frame'
COLOR_FRAME_ID = 'camera_color_optical_frame'


def header(stamp_ns, frame_id=FRAME_ID):
    """Header with a stamp given in integer nanoseconds."""
    return Header(stamp=Time(sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9),
                  frame_id=frame_id)


def stamp_ns(stamp):
    """builtin_interfaces/Time -> integer nanoseconds."""
    return stamp.sec * 10**9 + stamp.nanosec


class _PosesProbe(Node):
    """Publishes inputs on the given topics; records ``OUTPUT_TOPIC`` and its markers/debug."""

    OUTPUT_TYPE = OUTPUT_TOPIC = None  # set by each subclass
    INPUT_FRAME_ID = FRAME_ID  # frame_id of the inputs it publishes

    def __init__(self, name, image_topic, info_topic, debug):
        super().__init__(name)
        self.image_pub = self.create_publisher(Image, image_topic, 10)
        self.info_pub = self.create_publisher(CameraInfo, info_topic, 10)
        self.outputs, self.markers, self.debug_images = [], [], []
        topic = self.OUTPUT_TOPIC
        self.create_subscription(self.OUTPUT_TYPE, topic, self.outputs.append, 10)
        self.create_subscription(MarkerArray, f'{topic}/markers', self.markers.append, 10)
        if debug:
            self.create_subscription(Image, f'{topic}/debug_image', self.debug_images.append,
                                     10)

    def send_info(self, K, width, height, stamp=1):
        """Publish a CameraInfo."""
        self.info_pub.publish(
            camera_info_msg(K, width, height, header(stamp, self.INPUT_FRAME_ID)))

    def stamps_out(self):
        """Stamps (ns) of the main outputs received so far."""
        return [stamp_ns(m.header.stamp) for m in self.outputs]


class Probe(_PosesProbe):
    """Publishes depth + CameraInfo on the given topics and records ``/hand_joints*``."""

    OUTPUT_TYPE, OUTPUT_TOPIC = PoseArray, '/hand_joints'

    def __init__(self, image_topic='depth/image', info_topic='depth/camera_info',
                 debug=False):
        super().__init__('probe', image_topic, info_topic, debug)
        self.joints = self.outputs  # PoseArrays from /hand_joints

    def send_depth(self, depth_mm, stamp, encoding='16UC1'):
        """Publish a depth image built from float mm."""
        self.image_pub.publish(depth_image_msg(depth_mm, header(stamp), encoding))


class ObjectProbe(_PosesProbe):
    """Publishes colour images + CameraInfo on the given topics and records ``/object_pose*``."""

    OUTPUT_TYPE, OUTPUT_TOPIC = PoseStamped, '/object_pose'
    INPUT_FRAME_ID = COLOR_FRAME_ID

    def __init__(self, image_topic='image', info_topic='camera_info', debug=False):
        super().__init__('object_probe', image_topic, info_topic, debug)
        self.poses = self.outputs  # PoseStamped from /object_pose
        self.all_poses = []  # PoseArrays from /object_pose/all (empty = processed, not found)
        self.create_subscription(PoseArray, '/object_pose/all', self.all_poses.append, 10)

    def send_rgb(self, rgb, stamp, encoding='rgb8'):
        """Publish an ``(H, W, 3)`` uint8 RGB image in ``encoding``."""
        self.image_pub.publish(rgb_image_msg(rgb, header(stamp, self.INPUT_FRAME_ID), encoding))


def start_rig(node, probe, *ready):
    """Spin ``node`` and ``probe`` in one executor until each ``ready()`` holds.

    Returns the rig ``(node, probe, executor)``; ``stop_rig`` takes it down.
    """
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    executor.add_node(probe)
    for condition in ready:
        assert spin_until(executor, condition)
    return node, probe, executor


def stop_rig(rig):
    """Shut down a rig of ``start_rig``."""
    node, probe, executor = rig
    executor.shutdown()
    probe.destroy_node()
    node.destroy_node()


def send_and_wait(rig, send, counter=None, stamp=None):
    """Send one input; wait until it is counted under ``counter`` or its output arrives.

    ``rig`` = (node, probe, executor); ``send(probe)`` publishes the input.
    """
    node, probe, executor = rig
    before = node.worker.stats.summary().get(counter, 0)
    send(probe)
    if counter:
        assert spin_until(executor,
                          lambda: node.worker.stats.summary().get(counter, 0) > before), \
            f'{counter} not counted: {node.worker.stats.summary()}'
    else:
        assert spin_until(executor, lambda: stamp in probe.stamps_out()), \
            f'no output for stamp {stamp}: {node.worker.stats.summary()}'
