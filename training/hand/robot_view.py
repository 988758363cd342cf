# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hands as a robot's depth camera sees them: copies of labelled frames, synthetic crops.

``data.robot_copies`` adds, for each labelled real training frame, copies of the same hand
(articulation, shape and label) re-rendered in another scene (``RobotViews``):
- a camera drawn from ``cameras.CAMERAS`` (resolution, intrinsics with calibration spread,
  working range) and a sensor of that camera's family with random parameters
  (``sensor_families``: structured light, active stereo, time of flight);
- with probability ``ego`` an egocentric view (``viewpoints.EgoSampling``: back of the hand,
  fingers away, forearm and upper arm entering from the border), else the frame's own
  rotation with its forearm;
- the palm centre at a new place in the image, at 300-900 mm within the camera's range
  (``border``: near an image edge, the hand partly out of the image);
- with probability ``grasp`` an object against the palm, ``second_hand`` the other hand or
  an arm beside it, ``contact`` a table or props touching it (``props.py``), and always a
  back wall and clutter behind (``sensor_sim.SceneModel``).
The label moves rigidly with the hand (the same annotation, annotation noise included); the
twin is the clean hand alone through the copy's camera. Copies come from their own random
stream, so the frames and their sensor copies stay bit-identical.

``data.synthetic_ego`` and ``data.synthetic_grasp`` put the same viewpoints and grasped
objects (fingers closed around them) into the clean synthetic stream.
Depth maps are float32 mm ``(H, W)``, 0 = no measurement; joints ``(14, 3)`` mm, camera frame.
"""

from dataclasses import dataclass, field

import numpy as np

from fm_pose_ros.core.camera import backproject
from training.hand.cameras import CAMERA_NAMES, CameraRandomisation, in_range
from training.hand.crops import crops_around_hands
from training.hand.model import capsules, HandPose, joints, place_palm_centre
from training.hand.props import (
    contact, grasp_angles, grasp_object, grip_radius, hand_scene, object_size, OBJECTS,
    Scene, second_hand, with_articulation)
from training.hand.sensor_families import draw_sensor
from training.hand.sensor_sim import background, clutter_capsules, composite, SceneModel
from training.hand.viewpoints import (
    arm_capsules, ego_rotations, EgoSampling, place_in_image, rigid_motion)
from training.render.depth import render_depth
from training.render.solids import render_solids


@dataclass(frozen=True)
class RobotViews:
    """How the copies are drawn (shares are probabilities per copy)."""

    ego: float = 0.5              # egocentric viewpoint
    grasp: float = 0.4            # an object held against the palm
    second_hand: float = 0.25     # the other hand or an arm in view
    contact: float = 0.3          # a table or props touching the hand
    border: float = 0.2           # palm centre near an image edge
    depth_mm: tuple = (300.0, 900.0)  # palm centre distance (within the camera's range)
    cameras: tuple = CAMERA_NAMES
    objects: tuple = OBJECTS
    ego_sampling: EgoSampling = field(default_factory=EgoSampling)
    scene: SceneModel = field(default_factory=SceneModel)

    @classmethod
    def from_config(cls, data_cfg):
        """Return the views of a DataConfig's shares (``data.robot_*``)."""
        return cls(ego=data_cfg.robot_ego, grasp=data_cfg.robot_grasp,
                   second_hand=data_cfg.robot_second_hand, contact=data_cfg.robot_contact,
                   border=data_cfg.robot_border)


def _depth_range(camera, wanted):
    """Palm distances inside both ``wanted`` and the camera's range (100 mm margins)."""
    low = max(wanted[0], camera.range_mm[0] + 100.0)
    return low, max(min(wanted[1], camera.range_mm[1] - 100.0), low + 100.0)


def robot_frame(rng, pose, label, views, draw_camera=None, sensor=None, regrasp=False):
    """One record of ``pose`` (length 1) seen as ``views`` draws it.

    ``label`` (14, 3) mm moves rigidly with the hand. ``draw_camera(rng) -> (CameraModel,
    K)`` (default: ``CameraRandomisation`` over ``views.cameras``); ``sensor`` (default:
    one of the camera's family, drawn per frame). ``regrasp``: a grasped object closes the
    fingers around it (``grasp_angles``) and the label is the new joints (no noise).
    Record keys: depth, twin, K, joints, joints_true, camera, ego, grasp.
    """
    camera, K = (draw_camera or (lambda r: CameraRandomisation().draw(r, views.cameras)))(rng)
    size = camera.size
    ego = rng.random() < views.ego
    moved = pose
    if ego:
        moved = HandPose(pose.angles, ego_rotations(rng, 1, views.ego_sampling),
                         pose.translation, pose.shape)
    wanted = views.ego_sampling.depth_mm if ego else views.depth_mm
    moved = place_in_image(rng, moved, K, size, _depth_range(camera, wanted), views.border)
    label = rigid_motion(pose, moved)(label)
    props, kind = Scene(), None
    if rng.random() < views.grasp:
        kind = views.objects[int(rng.integers(len(views.objects)))]
        half = object_size(rng, kind)
        if regrasp:
            moved = with_articulation(moved, grasp_angles(rng, 1, grip_radius(kind, half)))
            label = joints(moved)[0]
        props = grasp_object(rng, moved, kind, half)
    hand = hand_scene(moved)
    if ego:
        hand_and_arm = hand.add(Scene(*arm_capsules(rng, moved)))
    elif rng.random() < views.scene.forearm:
        hand_and_arm = hand.add(Scene(*(v[0, -1:] for v in capsules(moved, forearm=True))))
    else:
        hand_and_arm = hand
    if rng.random() < views.second_hand:
        props = props.add(second_hand(rng, moved))
    if rng.random() < views.contact:
        props = props.add(contact(rng, hand))
    true = joints(moved)[0]
    clean = _clean_scene(rng, hand_and_arm.add(props), true[-1, 2], K, size, views.scene)
    clean = in_range(clean, camera)
    sensor = sensor or draw_sensor(rng, camera.family)
    depth = in_range(sensor.apply(clean, K, rng), camera)
    twin = hand.render(K, size)
    return {'depth': depth, 'twin': twin, 'K': K, 'joints': label, 'joints_true': true,
            'camera': camera.name, 'ego': ego, 'grasp': kind}


def _clean_scene(rng, scene, hand_z, K, size, scene_model):
    """Depth of ``scene`` in front of clutter and a back wall (sensor_sim's room)."""
    height, width = size
    c_ends, c_radii = clutter_capsules(rng, hand_z, K, height, width, scene_model)
    room = scene.add(Scene(c_ends, c_radii))
    return composite(room.render(K, size), background(rng, K, height, width, scene_model))


class RobotCopier:
    """``copy(pose, record, rng)``: one robot-view copy of a labelled real-like frame."""

    def __init__(self, views=RobotViews()):
        self.views = views

    def copy(self, pose, record, rng):
        """Return a copy of ``record`` (its hand ``pose``, length 1): its label moved rigidly."""
        return robot_frame(rng, pose, record['joints'], self.views)


# --- the synthetic stream ---------------------------------------------------------------

def stream_crops(rng, pose, settings, jitter_mm, data_cfg, source):
    """Synthetic crops and targets of ``pose`` as ``data_cfg`` asks for them.

    ``data.synthetic_ego`` of the poses turned egocentric, ``data.synthetic_grasp`` of the
    hands holding an object (through ``source.camera_K``); with both 0, exactly
    ``source.synthetic_crops`` (the clean stream of the paper).
    """
    if data_cfg.synthetic_ego:
        pose = ego_synthetic_poses(rng, pose, data_cfg.synthetic_ego)
    if data_cfg.synthetic_grasp:
        return grasp_synthetic_crops(rng, pose, settings, jitter_mm, data_cfg.synthetic_grasp,
                                     source.camera_K)
    return source.synthetic_crops(rng, pose, settings, jitter_mm)


def ego_synthetic_poses(rng, pose, share, sampling=EgoSampling()):
    """``pose`` with a ``share`` of its poses turned to egocentric views (palm re-placed).

    The chosen poses keep articulation and shape; their rotation comes from
    ``ego_rotations`` and their palm centre is drawn as ``sample_ego_poses`` draws it.
    """
    chosen = np.nonzero(rng.random(len(pose)) < share)[0]
    if not len(chosen):
        return pose
    n = len(chosen)
    rotation = pose.rotation.copy()
    rotation[chosen] = ego_rotations(rng, n, sampling)
    z = rng.uniform(*sampling.depth_mm, n)
    target = np.stack([z * rng.uniform(-1, 1, n) * sampling.lateral[0],
                       z * rng.uniform(-1, 1, n) * sampling.lateral[1], z], 1)
    turned = place_palm_centre(HandPose(pose.angles[chosen], rotation[chosen],
                                        pose.translation[chosen], pose.shape[chosen]), target)
    translation = pose.translation.copy()
    translation[chosen] = turned.translation
    return HandPose(pose.angles, rotation, translation, pose.shape)


def grasp_synthetic_crops(rng, pose, settings, jitter_mm, share, K, objects=OBJECTS):
    """Clean synthetic crops of ``pose`` where a ``share`` of the hands hold an object.

    Like ``datasets.synthetic_crops`` (crop centre: centre of mass of the hand's pixels in
    the cube, plus Gaussian jitter), with the fingers of the holding hands closed
    around their object (``grasp_angles``). Returns crops ``(n, S, S)`` in [-1, 1] and
    targets ``(n, 14, 3)``.
    """
    n = len(pose)
    holding = rng.random(n) < share
    kinds = [objects[int(rng.integers(len(objects)))] if h else None for h in holding]
    halves = [object_size(rng, k) if k else None for k in kinds]
    chosen = np.nonzero(holding)[0]
    if len(chosen):
        radii = [grip_radius(kinds[i], halves[i]) for i in chosen]
        closed = with_articulation(pose.take(chosen), grasp_angles(rng, len(chosen), radii))
        pose = HandPose(*(getattr(pose, k).copy() for k in ('angles', 'rotation',
                                                            'translation', 'shape')))
        pose.angles[chosen], pose.translation[chosen] = closed.angles, closed.translation
    props = [grasp_object(rng, pose.take([i]), k, h) if k else Scene()
             for i, (k, h) in enumerate(zip(kinds, halves))]
    return crops_around_hands(rng, pose, settings, jitter_mm, K, _hand_centre,
                              lambda ends, radii, cams, size: _render_crops(ends, radii, props,
                                                                            cams, size))


def _render_crops(ends, radii, props, cams, size):
    """Depth ``(n, S, S)`` of each hand and its object through its crop camera."""
    extra = max(len(p.radii) for p in props)
    pad_ends = np.zeros((len(ends), extra, 2, 3))
    pad_radii = np.zeros((len(ends), extra))
    for i, p in enumerate(props):
        pad_ends[i, :len(p.radii)], pad_radii[i, :len(p.radii)] = p.ends, p.radii
    full = render_depth(np.concatenate([ends, pad_ends], 1),
                        np.concatenate([radii, pad_radii], 1), cams, size, size)
    for i, p in enumerate(props):
        if len(p.solids):
            full[i] = composite(full[i], render_solids(p.solids, cams[i], size, size))
    return full


def _hand_centre(hand, K_crop, com, cube):
    """Centre of mass (mm) of the hand's pixels inside the cube (the localiser's answer)."""
    v, u = np.nonzero((hand > 0) & (np.abs(hand - com[2]) < cube[2] / 2))
    if len(v) == 0:
        return com
    return backproject(u.mean(), v.mean(), float(hand[v, u].mean()), K_crop)
