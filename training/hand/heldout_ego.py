# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""A second held-out domain, never trained on: egocentric views of hands holding objects.

``python -m training.evaluate --weights W --set data.source=heldout-ego``:
- views: every frame egocentric (the back of the hand, fingers pointing away, the forearm
  entering from the border; ``viewpoints.EgoSampling`` ranges), a quarter with the palm
  centre near an image edge, 30 % with a table or props touching the hand;
- grasps: 75 % of the hands hold an object with the fingers closed around it: a bottle or a
  ball (kinds no training data holds), a mug or a box;
- hands: smaller and larger (scale 0.8-1.3), thinner and thicker (0.85-1.4) than the
  training hands (as ``heldout-tof``'s);
- sensor: passive stereo (``PassiveStereoModel``), a family no training data uses: a
  120 mm baseline, semi-global smoothing (a 5 px median of the disparity), foreground
  fattening, the band left of a foreground edge that the right camera cannot see, and no
  depth where a smooth surface has no texture to match; a wide 672 x 376 camera (110 deg
  horizontal field of view, fx 235 px) that no training camera model has.
Depth maps are float32 mm ``(H, W)``, 0 = no measurement.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from training.hand.cameras import CameraModel
from training.hand.datasets import SimRealSource
from training.hand.model import joints
from training.hand.robot_view import robot_frame, RobotViews
from training.hand.sensor_families import occlusion_band
from training.hand.sensor_sim import edge_pixels
from training.hand.viewpoints import EgoSampling, sample_ego_poses

STEREO_CAMERA = CameraModel('passive_stereo_wide', 'passive_stereo', (376, 672), 110.0,
                            (300.0, 20000.0))
K_STEREO = STEREO_CAMERA.intrinsics()
HELDOUT_EGO_SAMPLING = EgoSampling(depth_mm=(350.0, 650.0), scale=(0.8, 1.3),
                                   thickness=(0.85, 1.4))
HELDOUT_EGO_VIEWS = RobotViews(ego=1.0, grasp=0.75, second_hand=0.0, contact=0.3,
                               border=0.25, objects=('bottle', 'ball', 'mug', 'box'),
                               ego_sampling=HELDOUT_EGO_SAMPLING)


@dataclass(frozen=True)
class PassiveStereoModel:
    """Passive stereo effects; each field says what it imitates."""

    baseline_mm: float = 120.0         # wide baseline: depth noise and occlusion bands
    disparity_noise_px: float = 0.2    # matching noise
    disparity_step_px: float = 1 / 16  # sub-pixel steps
    smoothing_px: int = 5              # median of the disparity: semi-global aggregation
    fattening_px: int = 4              # foreground spread across a depth edge
    edge_jump_mm: float = 25.0         # a neighbour this much farther marks a depth edge
    textureless: float = 0.15          # share of the image with no texture to match ...
    texture_scale_px: float = 10.0     # ... in patches of about this size ...
    flat_mm: float = 4.0               # ... lost where the surface is this smooth (std)

    def apply(self, depth, K, rng):
        """Return what this sensor measures of a clean depth map (mm)."""
        depth = np.asarray(depth, np.float64)
        valid = depth > 0
        fb = K[0, 0] * self.baseline_mm
        disparity = np.where(valid, fb / np.maximum(depth, 1.0), 0.0)
        disparity += rng.normal(0.0, self.disparity_noise_px, depth.shape)
        disparity = np.round(disparity / self.disparity_step_px) * self.disparity_step_px
        disparity = cv2.medianBlur(disparity.astype(np.float32), self.smoothing_px)
        out = np.where(valid & (disparity > 0), fb / np.maximum(disparity, 1e-6), 0.0)
        kernel = np.ones((2 * self.fattening_px + 1,) * 2, np.uint8)
        nearest = cv2.erode(np.where(valid, depth, 1e6).astype(np.float32), kernel)
        band = cv2.dilate(edge_pixels(depth, self.edge_jump_mm).astype(np.uint8), kernel) > 0
        spread = band & (depth - nearest > self.edge_jump_mm) & (nearest < 1e6)
        out = np.where(spread, nearest, out)
        lost = occlusion_band(depth, K, self.baseline_mm, 'right') | self._textureless(
            depth, rng)
        out[lost | ~valid] = 0.0
        return out.astype(np.float32)

    def _textureless(self, depth, rng):
        """Smooth surfaces inside random patches: nothing to match there."""
        field = cv2.GaussianBlur(rng.normal(0.0, 1.0, depth.shape), (0, 0),
                                 self.texture_scale_px)
        patches = field > np.quantile(field, 1.0 - self.textureless)
        mean = cv2.blur(depth, (9, 9))
        spread = np.sqrt(np.maximum(cv2.blur(depth ** 2, (9, 9)) - mean ** 2, 0.0))
        return patches & (spread < self.flat_mm)


class HeldOutEgoSource(SimRealSource):
    """Test frames of the egocentric grasp domain; it has no training or validation frames."""

    name = 'heldout-ego'

    def train_records(self):
        """Refuse: the held-out domain is for evaluation only."""
        raise ValueError('data.source=heldout-ego is a held-out test domain: no training '
                         'or validation frames (use it with training.evaluate)')

    val_records = train_records

    def test_records(self):
        """Held-out frames (true labels): egocentric grasps, passive stereo, other hands."""
        rng = np.random.default_rng([self.cfg.seed, 8])
        sensor = PassiveStereoModel()
        for _ in range(self.cfg.num_real_test):
            pose = sample_ego_poses(rng, 1, HELDOUT_EGO_SAMPLING)
            record = robot_frame(rng, pose, joints(pose)[0], HELDOUT_EGO_VIEWS,
                                 draw_camera=lambda r: (STEREO_CAMERA, K_STEREO.copy()),
                                 sensor=sensor, regrasp=True)
            yield {**record, 'joints': record['joints_true']}
