# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Several objects: topic-safe names, clashes named by file, found / not found per object."""

from conftest import K_VGA, OBJECT_NOWHERE, OBJECT_SIZE, write_object_weights
import numpy as np
import pytest

from fm_pose_ros.core.object_estimator import ObjectEstimator
from fm_pose_ros.core.object_set import MAX_NAME_CHARS, ObjectSet, topic_name, unique_names


@pytest.mark.parametrize('name, safe', [
    ('mug', 'mug'), ('Mug 2', 'mug_2'), ('3-box', 'o_3_box'), ('', 'object'),
    ('cracker_box', 'cracker_box'), ('Kaffeebecher (groß)', 'kaffeebecher__gro__'),
    ('a/b', 'a_b'), ('\x1b[2J', '__2j'), (None, 'none'), (5, 'o_5')])
def test_topic_name_is_lowercase_a_z_digits_and_underscores(name, safe):
    assert topic_name(name) == safe


def test_long_names_are_cut_and_the_node_s_own_topics_are_avoided():
    assert topic_name('x' * 1000) == 'x' * MAX_NAME_CHARS
    assert topic_name('9' * 1000) == 'o_' + '9' * (MAX_NAME_CHARS - 2)
    assert topic_name('All', reserved=('all', 'markers')) == 'all_object'
    assert topic_name('all') == 'all'


def test_two_objects_of_one_name_are_refused_in_one_line_naming_both_files():
    assert unique_names(['Mug', 'mug!'], ['a.safetensors', 'b.safetensors']) == ['mug', 'mug_']
    with pytest.raises(ValueError) as refused:
        unique_names(['box', 'Mug', 'MUG'], ['b.safetensors', 'm1.safetensors',
                                             'm2.safetensors'])
    line = str(refused.value)
    assert '\n' not in line, line
    assert line.startswith("m1.safetensors and m2.safetensors both hold an object named 'mug'")


def test_each_object_runs_on_the_image_and_is_counted(tmp_path):
    paths = [write_object_weights(tmp_path / 'a.safetensors', name='Box A'),
             write_object_weights(tmp_path / 'b.safetensors', OBJECT_NOWHERE, name='Box B')]

    def make(path):
        return ObjectEstimator(path, 'cpu', 'torch', refine_steps=0)

    objects = ObjectSet(paths, make)
    assert [(o.name, o.path) for o in objects.objects] == list(zip(['box_a', 'box_b'], paths))
    rgb = np.zeros((*OBJECT_SIZE, 3), np.uint8)
    found = objects.estimate(rgb, K_VGA)
    assert [obj.name for obj, _ in found] == ['box_a'] and found[0][1].t[2] > 0
    a, b = objects.objects
    assert (a.found, a.not_found, b.found, b.not_found) == (1, 0, 0, 1)
    assert a.last_ms > 0 and b.last_ms > 0
    assert b.problem == 'the locator found no object'
    nothing = ObjectSet(paths[1:], make)
    assert nothing.estimate(rgb, K_VGA) == []
    assert nothing.problems() == 'box_b: the locator found no object'
    assert not objects.trained and objects.device == 'cpu'
