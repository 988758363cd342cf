# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Several objects in one object node over real DDS (in-process executor).

The weights are conftest.write_object_weights' hand-set files under other object names: each
sees its object everywhere (or, with OBJECT_NOWHERE, nowhere) and predicts the box of
``OBJECT_R``, ``OBJECT_T``.
"""

from conftest import K_VGA, OBJECT_NOWHERE, OBJECT_SIZE as SIZE, write_object_weights
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped
import numpy as np
import pytest
from rclpy.parameter import Parameter
from ros_probe import ObjectProbe, spin_until, stamp_ns, start_rig, stop_rig
from visualization_msgs.msg import Marker

from fm_pose_ros.core.resources import default_object_weights
from fm_pose_ros.ros.object_node import ObjectNode

pytestmark = pytest.mark.integration  # DDS, subprocesses or colcon

SETTINGS = {'stats_period_s': 0.0, 'refine_steps': 0, 'test_rotation_deg': 0.0,
            'device': 'cpu', 'backend': 'torch'}


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """Weights files by role: two objects seen everywhere, one seen nowhere, a name clash."""
    folder = tmp_path_factory.mktemp('objects')
    return {'mug': write_object_weights(folder / 'mug.safetensors', name='Mug 2'),
            'box': write_object_weights(folder / 'box.safetensors', name='3-box'),
            'gone': write_object_weights(folder / 'gone.safetensors', OBJECT_NOWHERE,
                                         name='gone'),
            'mug_again': write_object_weights(folder / 'again.safetensors', name='MUG-2')}


def make_node(weights, **kwargs):
    params = {**SETTINGS, 'weights': weights}
    return ObjectNode(parameter_overrides=[Parameter(k, value=v) for k, v in params.items()],
                      **kwargs)


class ObjectsProbe(ObjectProbe):
    """ObjectProbe that also records ``object_pose/<name>`` of the given names and diagnostics."""

    def __init__(self, names):
        super().__init__()
        self.by_name = {name: [] for name in names}
        for name, seen in self.by_name.items():
            self.create_subscription(PoseStamped, f'/object_pose/{name}', seen.append, 10)
        self.diagnostics = []
        self.create_subscription(DiagnosticArray, '/diagnostics',
                                 lambda m: self.diagnostics.extend(m.status), 10)


@pytest.fixture
def rig(ros, files, request):
    node = make_node([files[role] for role in request.param])
    probe = ObjectsProbe([obj.name for obj in node.estimator.objects])
    rig = start_rig(node, probe, lambda: node.all_pub.get_subscription_count() > 0
                    and probe.image_pub.get_subscription_count() > 0)
    probe.send_info(K_VGA, SIZE[1], SIZE[0])
    assert spin_until(rig[2], lambda: node.camera_K is not None)
    yield rig
    stop_rig(rig)


def send_frame(rig, stamp):
    """Send one frame; return its object_pose/all answer."""
    node, probe, executor = rig
    probe.send_rgb(np.zeros((*SIZE, 3), np.uint8), stamp)

    def answers():
        return [m for m in probe.all_poses if stamp_ns(m.header.stamp) == stamp]

    assert spin_until(executor, answers), node.worker.stats.summary()
    return answers()[0]


def object_values(rig):
    """The per-object values of the node's latest /diagnostics status after the last frame."""
    node, probe, executor = rig
    name = node.get_fully_qualified_name()
    assert spin_until(executor, lambda: any(
        s.name == name and any(kv.key.endswith('.found') and kv.value != '0' for kv in s.values)
        for s in probe.diagnostics), 5.0)
    status = [s for s in probe.diagnostics if s.name == name][-1]
    return {kv.key: kv.value for kv in status.values}


@pytest.mark.parametrize('rig', [('mug', 'box')], indirect=True)
def test_two_objects_publish_on_their_own_topics_and_together_on_all(rig, files):
    node, probe, executor = rig
    assert [o.name for o in node.estimator.objects] == ['mug_2', 'o_3_box']
    assert node.pose_pub is None and node.count_publishers('/object_pose') == 0
    all_poses = send_frame(rig, 51)
    assert len(all_poses.poses) == 2
    assert spin_until(executor, lambda: all(probe.by_name.values()))
    for index, name in enumerate(['mug_2', 'o_3_box']):
        pose = probe.by_name[name][-1]
        assert stamp_ns(pose.header.stamp) == 51 and pose.pose == all_poses.poses[index]
    assert spin_until(executor, lambda: probe.markers)
    assert {(m.ns, m.action) for m in probe.markers[-1].markers} == {
        ('mug_2', Marker.ADD), ('o_3_box', Marker.ADD)}
    values = object_values(rig)
    assert values['objects'] == 'mug_2, o_3_box'
    assert values['object.o_3_box.weights'] == files['box']
    assert (values['object.mug_2.found'], values['object.mug_2.not_found']) == ('1', '0')
    assert float(values['object.o_3_box.processing_ms']) > 0
    assert probe.poses == []  # object_pose: no publisher with several objects


@pytest.mark.parametrize('rig', [('mug', 'gone')], indirect=True)
def test_an_object_not_found_is_left_out_and_its_box_removed(rig):
    node, probe, executor = rig
    all_poses = send_frame(rig, 52)
    assert len(all_poses.poses) == 1
    assert spin_until(executor, lambda: probe.by_name['mug_2'] and probe.markers)
    assert probe.by_name['gone'] == []
    assert {(m.ns, m.action) for m in probe.markers[-1].markers} == {
        ('mug_2', Marker.ADD), ('gone', Marker.DELETE)}
    values = object_values(rig)
    assert (values['object.gone.found'], values['object.gone.not_found']) == ('0', '1')
    assert node.worker.stats.summary()['no_object'] == 0


@pytest.mark.parametrize('rig', [('gone',)], indirect=True)
def test_one_object_keeps_object_pose_and_a_frame_without_objects_is_no_object(rig):
    node, probe, executor = rig
    assert node.pose_pub is not None
    assert send_frame(rig, 53).poses == []
    assert node.worker.stats.summary()['no_object'] == 1


def weights_forms(files, folder):
    """``{form: (node keyword arguments, objects)}``: the weights as a list or one string."""
    mug, box = files['mug'], files['box']

    def params_file(name, value):
        path = folder / name
        path.write_text(f'/**:\n  ros__parameters:\n    weights: {value}\n')
        return {'cli_args': ['--ros-args', '--params-file', str(path)]}

    return {'string array': ({'parameter_overrides': [Parameter('weights', value=[mug, box])]},
                             2),
            'params file list': (params_file('list.yaml', f'["{mug}", "{box}"]'), 2),
            'params file string': (params_file('one.yaml', f'"{mug}"'), 1),
            'command line list': ({'cli_args': ['--ros-args', '-p', f'weights:=[{mug}, {box}]']},
                                  2)}


@pytest.mark.parametrize('form', ['string array', 'params file list', 'params file string',
                                  'command line list'])
def test_weights_as_a_list_or_one_string(ros, files, tmp_path, form):
    kwargs, count = weights_forms(files, tmp_path)[form]
    overrides = kwargs.pop('parameter_overrides', []) + [
        Parameter(k, value=v) for k, v in SETTINGS.items()]
    node = ObjectNode(parameter_overrides=overrides, **kwargs)
    try:
        assert [o.path for o in node.estimator.objects] == [files['mug'], files['box']][:count]
        assert (node.pose_pub is None) == (count > 1)
    finally:
        node.destroy_node()


@pytest.mark.parametrize('weights, message', [
    (['a.safetensors', ''], 'must be a file name or a list of non-empty file names'),
    ([1, 2], 'must be a file name or a list of non-empty file names'),
    (True, 'must be a file name or a list of non-empty file names')])
def test_bad_weights_values_fail_at_start_with_one_line(ros, weights, message):
    with pytest.raises(ValueError, match=f"^parameter 'weights' = .* {message}$"):
        make_node(weights)


def test_two_objects_of_one_name_fail_at_start_naming_both_files(ros, files):
    with pytest.raises(ValueError) as refused:
        make_node([files['mug'], files['box'], files['mug_again']])
    line = str(refused.value)
    assert '\n' not in line
    assert line.startswith(f"{files['mug']} and {files['mug_again']} both hold an object "
                           "named 'mug_2'"), line


@pytest.mark.parametrize('kwargs', [
    {'parameter_overrides': [Parameter('weights', value=[])]},
    {'cli_args': ['--ros-args', '-p', 'weights:=[]']}], ids=['string array', 'command line'])
def test_an_empty_list_is_the_shipped_model(ros, kwargs):
    overrides = kwargs.get('parameter_overrides', []) + [
        Parameter(k, value=v) for k, v in SETTINGS.items()]
    node = ObjectNode(**{**kwargs, 'parameter_overrides': overrides})
    try:
        assert [o.path for o in node.estimator.objects] == [default_object_weights()]
        assert node.pose_pub is not None
    finally:
        node.destroy_node()


def test_the_start_up_line_lists_every_object(ros, files, capfd):
    make_node([files['mug'], files['box']]).destroy_node()
    err = capfd.readouterr().err
    assert ("objects 'Mug 2' on object_pose/mug_2, '3-box' on object_pose/o_3_box, "
            'refine_steps 0, crop angles 0 deg') in err, err
