# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand datasets: online synthetic crops, the real-like set with twins, the sim-to-real source.

Records are dicts: ``depth`` (H, W) float32 mm (0 = none), ``K`` (3, 3), ``joints``
(14, 3) mm camera frame (labels; annotation noise on training frames), ``joints_true`` (14, 3),
and for real-like frames ``twin`` (H, W): the clean render of the same hand and pose.
"""

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from fm_pose_ros.core.camera import backproject
from training.hand.crops import crops_around_hands
from training.hand.model import (
    capsules, fit_pose, HandPose, joints, perturb_poses, PoseSampling, sample_poses)
from training.hand.robot_view import RobotCopier, RobotViews
from training.hand.sensor_random import RandomSensor
from training.hand.sensor_sim import (
    background, clutter_capsules, composite, SceneModel, SensorModel)
from training.render.depth import render_depth

K_VGA = np.array([[475.0, 0.0, 319.5], [0.0, 475.0, 239.5], [0.0, 0.0, 1.0]])
VGA = (480, 640)
# the "real" hands differ from the synthetic ones: bigger, thicker, more varied, more tilted
REAL_SAMPLING = PoseSampling(depth_mm=(400.0, 800.0), max_tilt=np.radians(60.0),
                             scale=(0.95, 1.2), thickness=(1.05, 1.3), back_facing=0.3)


def _crop_centre_of_mass(crop_mm, K_crop, com, cube):
    """Refined centre of mass of the crop's pixels inside the cube (the localiser's answer)."""
    v, u = np.nonzero((crop_mm > com[2] - cube[2] / 2) & (crop_mm < com[2] + cube[2] / 2))
    if len(v) == 0:
        return com
    return backproject(u.mean(), v.mean(), float(crop_mm[v, u].mean()), K_crop)


def fit_label_poses(joints_mm):
    """Hand-model poses of labelled joints ``(N, 14, 3)`` mm: IK with the hand's scale."""
    return fit_pose(joints_mm, iterations=500, fit_scale=True)


def synthetic_poses(rng, n, pool=None, fraction=0.0, sigma=0.0, turn=0.0,
                    sampling=PoseSampling()):
    """Draw ``n`` poses to render: labelled poses with random articulations, and the prior.

    ``round(fraction * n)`` poses come from ``pool`` (a HandPose, e.g. ``fit_label_poses`` of
    the real training labels: the paper's scheme) with ``perturb_poses(sigma, turn)`` and the
    prior's finger/palm thickness; the rest from ``sample_poses(sampling)``.
    """
    count = 0 if pool is None else int(round(fraction * n))
    parts = [sample_poses(rng, n - count, sampling)] if count < n else []
    if count:
        picked = pool.take(rng.integers(0, len(pool), count))
        thickness = rng.uniform(*sampling.thickness, (count, 2))
        picked = HandPose(picked.angles, picked.rotation, picked.translation,
                          np.column_stack([picked.shape[:, 0], thickness]))
        parts.append(perturb_poses(picked, rng, sigma, turn))
    return HandPose.concatenate(parts)


def synthetic_crops(rng, pose, settings, jitter_mm, K=K_VGA):
    """Render the hands of ``pose`` (a HandPose) clean straight into crops, as the node would.

    The crop centre imitates the node's localiser (centre of mass of the hand's pixels in the
    cube) plus Gaussian jitter. Returns crops ``(n, S, S)`` in [-1, 1] and targets
    ``(n, 14, 3)`` = (joints - com) / (cube / 2).
    """
    return crops_around_hands(rng, pose, settings, jitter_mm, K, _crop_centre_of_mass,
                              lambda ends, radii, cams, size: render_depth(ends, radii, cams,
                                                                           size, size))


def real_like_frames(rng, n, K=K_VGA, size=VGA, sensor=SensorModel(), scene=SceneModel(),
                     label_noise=True, poses=None, sampling=REAL_SAMPLING, copies=0,
                     copy_sensor=None, copy_rng=None, robot_copies=0, robot_copier=None,
                     robot_rng=None):
    """Yield ``n`` real-like records (sensor effects, forearm, clutter) with their twins.

    ``sensor`` is any sensor model with ``apply(depth_mm, K, rng)`` (sensor_sim.SensorModel,
    heldout.TofSensorModel); ``poses`` (a HandPose of length n) replaces the poses drawn from
    ``sampling``, e.g. a pose_sequence. ``copies`` > 0: after each frame, that many records of
    the same clean scene seen by ``copy_sensor`` (e.g. sensor_random.RandomSensor), same label
    and twin, drawn from ``copy_rng`` (so the ``n`` frames themselves do not change).
    ``robot_copies`` > 0: then that many ``robot_copier.copy(pose, record, robot_rng)``
    records (robot_view.RobotCopier: the same hand and label in another scene), from their
    own ``robot_rng``.
    """
    height, width = size
    for start in range(0, n, 16):
        count = min(16, n - start)
        pose = (sample_poses(rng, count, sampling) if poses is None
                else poses.take(np.arange(start, start + count)))
        true_joints = joints(pose)
        hand_ends, hand_radii = capsules(pose)
        arm_ends, arm_radii = capsules(pose, forearm=True)
        twins = render_depth(hand_ends, hand_radii, K, height, width)
        for i in range(len(pose)):
            arm = rng.random() < scene.forearm
            ends = arm_ends[i] if arm else hand_ends[i]
            radii = arm_radii[i] if arm else hand_radii[i]
            c_ends, c_radii = clutter_capsules(rng, true_joints[i, -1, 2], K, height, width,
                                               scene)
            scene_depth = render_depth(np.concatenate([ends, c_ends])[None],
                                       np.concatenate([radii, c_radii])[None], K,
                                       height, width)[0]
            clean = composite(scene_depth, background(rng, K, height, width, scene))
            noise = rng.normal(0, scene.label_noise_mm, (14, 3)) if label_noise else 0.0
            record = {'depth': sensor.apply(clean, K, rng), 'twin': twins[i], 'K': K,
                      'joints': true_joints[i] + noise, 'joints_true': true_joints[i]}
            yield record
            for _ in range(copies):
                yield {**record, 'depth': copy_sensor.apply(clean, K, copy_rng)}
            for _ in range(robot_copies):
                yield robot_copier.copy(pose.take([i]), record, robot_rng)


def pose_sequence(rng, n, keys=4, sampling=REAL_SAMPLING):
    """Interpolate ``n`` poses (a smooth motion) between ``keys`` random key poses.

    Rotations follow the shortest arc between key rotations (slerp); blending the axis-angle
    vectors linearly would swing the hand through rotations far from both keys (e.g. upside
    down between two key poses rolled -50 and +50 deg). Other parameters blend linearly.
    """
    key = sample_poses(rng, keys, sampling)
    t = np.linspace(0, keys - 1, n)
    i = np.minimum(t.astype(int), keys - 2)
    w = (t - i)[:, None]

    def blend(values):
        return values[i] * (1 - w) + values[i + 1] * w
    rotation = Slerp(np.arange(keys), Rotation.from_rotvec(key.rotation))(t).as_rotvec()
    return HandPose(blend(key.angles), rotation, blend(key.translation), blend(key.shape))


def synthetic_frames(rng, n, K=K_VGA, size=VGA, sampling=PoseSampling()):
    """Yield ``n`` clean full-frame synthetic records (for pictures, bags and tests)."""
    pose = sample_poses(rng, n, sampling)
    ends, radii = capsules(pose)
    depth = render_depth(ends, radii, K, *size)
    true_joints = joints(pose)
    for i in range(n):
        yield {'depth': depth[i], 'K': K, 'joints': true_joints[i],
               'joints_true': true_joints[i]}


class SimRealSource:
    """The built-in sim-to-real benchmark: clean synthetic renders vs the real-like sensor."""

    name = 'simreal'
    camera_K = K_VGA                 # the camera of the synthetic stream

    def __init__(self, data_cfg):
        self.cfg = data_cfg

    def train_records(self):
        """Real-like training frames (noisy labels) with twins, sensor and robot copies."""
        rng = np.random.default_rng([self.cfg.seed, 1])
        return real_like_frames(rng, self.cfg.num_real_train, copies=self.cfg.sensor_copies,
                                copy_sensor=RandomSensor(),
                                copy_rng=np.random.default_rng([self.cfg.seed, 5]),
                                robot_copies=self.cfg.robot_copies,
                                robot_copier=RobotCopier(RobotViews.from_config(self.cfg)),
                                robot_rng=np.random.default_rng([self.cfg.seed, 6]))

    def val_records(self):
        """Held-out labelled real-like frames for tuning (noisy labels, like training)."""
        rng = np.random.default_rng([self.cfg.seed, 3])
        return real_like_frames(rng, self.cfg.num_real_val)

    def test_records(self):
        """Held-out real-like frames; labels are the true joints."""
        rng = np.random.default_rng([self.cfg.seed, 2])
        return ({**r, 'joints': r['joints_true']}
                for r in real_like_frames(rng, self.cfg.num_real_test, label_noise=False))

    def synthetic_crops(self, rng, pose, settings, jitter_mm):
        """Online clean synthetic crops and targets of ``pose``."""
        return synthetic_crops(rng, pose, settings, jitter_mm)
