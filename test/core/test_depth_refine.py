# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Depth refinement: ICP recovers a known offset on a ray-cast box; the gate refuses bad fits."""

import cv2
from depth_scene import box_depth, box_surface_points, sensor_like, sphere_depth
import numpy as np
import pytest

from fm_pose_ros.core.depth_refine import (
    DepthRefiner, point_normals, RefineSettings, rotation_angle_deg, tukey_weights,
    visible_points)

K = np.array([[572.4, 0.0, 325.3], [0.0, 573.6, 242.0], [0.0, 0.0, 1.0]])
SHAPE = (480, 640)
BOX = np.array([0.08, 0.06, 0.05])  # side lengths, m; model frame centred on the box
TRUE_R = cv2.Rodrigues(np.array([0.5, -0.6, 0.3]))[0]
TRUE_T = np.array([0.04, -0.03, 0.6])


def depth_of_box(t=TRUE_T, wall_m=None):
    return box_depth(BOX, TRUE_R, t, K, SHAPE, wall_m)


def noisy(depth, seed=1):
    return sensor_like(depth, seed)


def refiner():
    points = box_surface_points(BOX)
    return DepthRefiner(points, float(np.linalg.norm(BOX)))


def offset_pose(dz=0.03, angle_deg=4.0, lateral=(0.004, -0.003)):
    """The true pose moved mostly along the ray (as PnP errs) and turned a little."""
    turn = cv2.Rodrigues(np.radians(angle_deg) * np.array([0.6, 0.8, 0.0]).reshape(3, 1))[0]
    t = TRUE_T * (1.0 + dz / TRUE_T[2]) + np.array([*lateral, 0.0])
    return turn @ TRUE_R, t


def centre_error(R, t):
    return np.linalg.norm(t - TRUE_T), rotation_angle_deg(R @ TRUE_R.T)


def test_icp_recovers_a_known_offset_on_a_box():
    depth = noisy(depth_of_box(wall_m=0.9))
    R0, t0 = offset_pose()
    assert centre_error(R0, t0)[0] > 0.025
    fit = refiner().refine(R0, t0, depth, K)
    assert fit.accepted, fit
    shift, angle = centre_error(fit.R, fit.t)
    assert shift < 0.003 and angle < 2.5, (shift, angle, fit)
    assert fit.inlier_fraction > 0.8 and fit.rms_m < 0.003


def test_icp_recovers_an_offset_in_front_of_the_surface_and_survives_holes():
    depth = noisy(depth_of_box(wall_m=1.2), seed=4)
    depth[200:215, :] = 0.0  # a dropout band across the object
    R0, t0 = offset_pose(dz=-0.025, angle_deg=-3.0, lateral=(-0.003, 0.002))
    fit = refiner().refine(R0, t0, depth, K)
    assert fit.accepted, fit
    shift, angle = centre_error(fit.R, fit.t)
    assert shift < 0.003 and angle < 2.5, (shift, angle)


@pytest.mark.parametrize('scene', ['ball', 'board'])
def test_gate_refuses_the_depth_of_a_different_object(scene):
    """A ball or a flat board where the box should be: the box's faces find little support."""
    if scene == 'ball':
        depth = sphere_depth(TRUE_T + [0.0, 0.0, 0.08], 0.12, K, SHAPE, 0.9)
    else:
        depth = np.full(SHAPE, TRUE_T[2], np.float32)
    R0, t0 = offset_pose()
    fit = refiner().refine(R0, t0, noisy(depth), K)
    assert not fit.accepted, fit
    assert fit.reason in ('inliers', 'residual', 'rotation')
    np.testing.assert_array_equal(fit.t, t0)
    np.testing.assert_array_equal(fit.R, R0)


def test_gate_refuses_a_wall_far_behind_and_an_empty_frame():
    R0, t0 = offset_pose()
    wall = np.full(SHAPE, 1.5, np.float32)
    fit = refiner().refine(R0, t0, wall, K)
    assert not fit.accepted and fit.reason == 'few_depth_points'
    empty = refiner().refine(R0, t0, np.zeros(SHAPE, np.float32), K)
    assert not empty.accepted and empty.reason == 'few_depth_points'
    np.testing.assert_array_equal(empty.t, t0)


def test_a_depth_error_of_decimetres_is_found_along_the_ray():
    """PnP's depth can be far off while its 2D position is right: the search covers it."""
    deeper = TRUE_T * (1.0 + 0.15 / TRUE_T[2])
    fit = refiner().refine(TRUE_R, deeper, noisy(depth_of_box(wall_m=1.2)), K)
    assert fit.accepted and centre_error(fit.R, fit.t)[0] < 0.003, fit
    assert fit.shift_m < 0.005  # the move was along the ray


def test_gate_refuses_a_move_across_the_ray():
    """The box 5 mm beside where the RGB pose puts it, with a gate allowing 2 mm."""
    settings = RefineSettings(max_shift=0.002 / float(np.linalg.norm(BOX)), restart_deg=0.0)
    beside = TRUE_T + [0.005, 0.0, 0.0]
    fit = DepthRefiner(box_surface_points(BOX), float(np.linalg.norm(BOX)), settings).refine(
        TRUE_R, beside, noisy(depth_of_box(wall_m=0.9)), K)
    assert not fit.accepted and fit.reason == 'shift', fit
    assert fit.shift_m > 0.003


def test_nan_depth_counts_as_missing():
    depth = noisy(depth_of_box(wall_m=0.9))
    depth[depth == 0.9] = np.nan
    fit = refiner().refine(*offset_pose(), depth, K)
    assert fit.accepted and centre_error(fit.R, fit.t)[0] < 0.004


@pytest.mark.parametrize('rotation', [(0.5, -0.6, 0.3), (1.2, 0.3, -0.4)])
def test_back_of_the_box_is_not_visible(rotation):
    points = box_surface_points(BOX)
    normals = np.zeros_like(points)  # the faces' outward normals
    axis = np.argmax(np.abs(points) / (BOX / 2), axis=1)
    normals[np.arange(len(points)), axis] = np.sign(points[np.arange(len(points)), axis])
    assert np.all(np.sum(point_normals(points) * normals, axis=1) > 0)  # turned outward
    R = cv2.Rodrigues(np.array(rotation))[0]
    camera = points @ R.T + TRUE_T
    facing = np.sum((normals @ R.T) * camera, axis=1) < 0
    fit = refiner()
    visible = fit._visible(R, camera, K)
    assert (visible & ~facing).sum() < 0.1 * visible.sum()
    assert (visible & facing).sum() > 0.75 * facing.sum()
    # the z-buffer alone hides the far side too
    hidden = ~visible_points(camera, K, 6.0, 0.25 * fit.diameter)
    assert (hidden & ~facing).sum() > 0.5 * (~facing).sum()


def test_tukey_weights_and_bad_arguments():
    np.testing.assert_allclose(tukey_weights(np.array([0.0, 0.5, 1.0, 2.0]), 1.0),
                               [1.0, 0.5625, 0.0, 0.0])
    with pytest.raises(ValueError, match='at least 4 model points'):
        DepthRefiner(np.zeros((2, 3)), 0.1)
    with pytest.raises(ValueError, match='min_inlier_fraction'):
        DepthRefiner(box_surface_points(BOX), 0.1, RefineSettings(min_inlier_fraction=0.0))
