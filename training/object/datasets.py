# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object sim-to-real benchmark: poses, a clean synthetic domain and a "real" domain.

Synthetic (online, infinite, as the paper): the mesh under a fixed-ish white light in front
of the camera, on clean procedural backgrounds (smooth colour fields), nothing else.
Real-like (fixed, limited, a DIFFERENT process), each effect imitating a camera's reality:
- photographs as backgrounds (scikit-image's sample photos; test frames use other photos),
- light from anywhere on the front hemisphere, tinted (colour temperature), glossy
  highlights, darker or brighter ambient,
- white balance (per-channel gain) and exposure (gamma), as auto white balance/exposure,
- sensor noise (Gaussian read noise + signal-dependent shot noise),
- defocus/motion blur, JPEG compression (what a USB camera or image_transport delivers),
- occluders (patches of other photos or flat colours over part of the object),
- on request, aligned depth (training/object/depth_sensor.py): the object's rendered z, a
  plane behind it, the occluders in front, through an RGB-D sensor model (``depth_mm``).
The synthetic twin of a real frame is the mesh rendered under the same pose with the
synthetic light on a synthetic background.

Poses: viewpoints on the upper hemisphere around the object's up axis, in-plane rotation,
distance range, and an image-plane offset so the object appears anywhere in the frame.
"""

import os

import cv2
import numpy as np

from fm_pose_ros.core.object_codec import project_points
from training.object.depth_sensor import sensor_depth
from training.render.rgb import Lighting

# LINEMOD's Kinect RGB intrinsics, VGA
K_LINEMOD = np.array([[572.4114, 0.0, 325.2611], [0.0, 573.57043, 242.04899], [0.0, 0.0, 1.0]])
FRAME_SIZE = (640, 480)  # width, height
TRAIN_PHOTOS = ('astronaut.png', 'coffee.png', 'chelsea.png', 'motorcycle_left.png',
                'hubble_deep_field.jpg', 'ihc.png', 'retina.jpg')
TEST_PHOTOS = ('rocket.jpg', 'motorcycle_right.png', 'color.png')
# validation backgrounds: textures seen neither in training nor in the test frames
VAL_PHOTOS = ('grass.png', 'gravel.png', 'brick.png', 'chessboard_RGB.png')
UP_AXES = {'+x': (1, 0, 0), '-x': (-1, 0, 0), '+y': (0, 1, 0), '-y': (0, -1, 0),
           '+z': (0, 0, 1), '-z': (0, 0, -1)}


def look_at_rotation(view_dir, up):
    """Model -> camera rotation of a camera looking along ``-view_dir`` (model frame)."""
    z = -view_dir / np.linalg.norm(view_dir)
    x = np.cross(z, up)
    if np.linalg.norm(x) < 1e-6:
        x = np.cross(z, np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else [0.0, 1.0, 0.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])  # rows: camera axes in model coordinates


def sample_poses(rng, n, mesh, up_axis='+z', distance=(0.45, 0.85), elevation_deg=(10, 85),
                 roll_deg=45.0, offset=0.6, K=K_LINEMOD, size=FRAME_SIZE):
    """``n`` poses (R ``(n, 3, 3)``, t ``(n, 3)`` m) on the upper view hemisphere.

    ``roll_deg``: in-plane rotation range (+-) about the optical axis, from an upright view
    (a hand-held or robot-mounted camera is roughly upright, as in LINEMOD); ``offset``:
    fraction of the half image the object centre may move off the optical axis.
    """
    up = np.asarray(UP_AXES[up_axis], np.float64)
    side = np.cross(up, [1.0, 0.0, 0.0] if abs(up[0]) < 0.9 else [0.0, 1.0, 0.0])
    side /= np.linalg.norm(side)
    other = np.cross(up, side)
    centre = mesh.centre()
    rotations, translations = [], []
    for _ in range(n):
        azimuth = rng.uniform(0, 2 * np.pi)
        elevation = np.radians(rng.uniform(*elevation_deg))
        view = np.cos(elevation) * (np.cos(azimuth) * side + np.sin(azimuth) * other) + \
            np.sin(elevation) * up
        R = look_at_rotation(view, up)
        roll = np.radians(rng.uniform(-roll_deg, roll_deg))
        c, s = np.cos(roll), np.sin(roll)
        R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]]) @ R
        z = rng.uniform(*distance)
        uv = np.array(size) / 2 + rng.uniform(-offset, offset, 2) * np.array(size) / 2
        ray = np.linalg.solve(K, [uv[0], uv[1], 1.0])
        rotations.append(R)
        translations.append(ray * z - R @ centre)
    return np.array(rotations), np.array(translations)


def corner_pixels(mesh, R, t, K):
    """Corner projections ``(n, 8, 2)`` px for poses R ``(n, 3, 3)``, t ``(n, 3)``."""
    corners = mesh.corners()
    return np.stack([project_points(corners, r, tt, K) for r, tt in zip(R, t)])


def synthetic_lighting(rng, n):
    """Sample the clean domain's light: white, from near the camera, matte."""
    return [Lighting(direction=tuple(np.array([0.0, 0.0, 1.0]) + rng.normal(0, 0.15, 3)),
                     ambient=float(rng.uniform(0.4, 0.5)), diffuse=0.6) for _ in range(n)]


def real_lighting(rng, n):
    """Sample the real domain's light: any front direction, tinted, glossy, varying strength."""
    lights = []
    for _ in range(n):
        direction = rng.normal(0, 1, 3)
        direction[2] = abs(direction[2]) + 0.2
        tint = np.array([1.0, rng.uniform(0.85, 1.0), rng.uniform(0.65, 1.05)])
        lights.append(Lighting(direction=tuple(direction), color=tuple(tint / tint.max()),
                               ambient=float(rng.uniform(0.15, 0.5)),
                               diffuse=float(rng.uniform(0.5, 1.0)),
                               specular=float(rng.uniform(0.1, 0.5)),
                               shininess=float(rng.uniform(8, 48))))
    return lights


def synthetic_background(rng, width, height):
    """Draw a smooth random colour field ``(H, W, 3)`` float32 in [0, 1] (clean domain)."""
    grid = rng.uniform(0, 1, (rng.integers(2, 6), rng.integers(2, 6), 3)).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def load_photos(names):
    """Sample photos shipped with scikit-image, as RGB uint8 arrays (grey -> 3 channels)."""
    import skimage
    folder = os.path.join(os.path.dirname(skimage.__file__), 'data')
    photos = []
    for name in names:
        image = cv2.imread(os.path.join(folder, name), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f'scikit-image sample photo missing: {name}')
        photos.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    return photos


def photo_background(rng, photos, width, height):
    """Cut a random crop of a random photo, resized to ``(H, W, 3)`` float32 in [0, 1]."""
    photo = photos[rng.integers(len(photos))]
    h, w = photo.shape[:2]
    scale = rng.uniform(0.5, 1.0)
    ch, cw = int(h * scale), int(min(w, h * scale * width / height))
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    patch = cv2.resize(photo[y:y + ch, x:x + cw], (width, height), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    return patch.astype(np.float32) / 255.0


def composite(render, background):
    """Object over a float [0, 1] background: ``render`` from MeshRenderer (one view)."""
    return np.where(render['mask'][..., None], render['rgb'] / np.float32(255.0), background)


def add_occluders(rng, image, box_uv, photos, max_count=2):
    """Draw 0..max_count ellipses of photo texture or flat colour near the object box.

    Returns the image and the occluders' labels ``(H, W)`` int32 (0 = none, k = the k-th).
    """
    height, width = image.shape[:2]
    labels = np.zeros((height, width), np.int32)
    (u0, v0), (u1, v1) = box_uv.min(axis=0), box_uv.max(axis=0)
    size = max(u1 - u0, v1 - v0)
    for _ in range(rng.integers(0, max_count + 1)):
        centre = (int(rng.uniform(u0, u1)), int(rng.uniform(v0, v1)))
        axes = (int(rng.uniform(0.1, 0.3) * size) + 1, int(rng.uniform(0.1, 0.3) * size) + 1)
        mask = np.zeros((height, width), np.uint8)
        cv2.ellipse(mask, centre, axes, rng.uniform(0, 180), 0, 360, 1, -1)
        fill = (photo_background(rng, photos, width, height) if rng.random() < 0.5
                else rng.uniform(0, 1, 3).astype(np.float32))
        image = np.where(mask[..., None] > 0, fill, image)
        labels[mask > 0] = labels.max() + 1
    return image, labels


def camera_effects(rng, image):
    """White balance, exposure, blur, noise and JPEG on a float [0, 1] image -> uint8 RGB."""
    image = image * rng.uniform(0.8, 1.2, 3).astype(np.float32)
    image = np.clip(image, 0, 1) ** rng.uniform(0.75, 1.3)
    sigma = rng.uniform(0.0, 1.5)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    read_noise = rng.uniform(0.005, 0.03)
    noise = rng.normal(0, 1, image.shape).astype(np.float32)
    image = image + noise * np.sqrt(read_noise ** 2 + 0.01 * image)
    image = (np.clip(image, 0, 1) * 255).astype(np.uint8)
    quality = int(rng.integers(40, 90))
    ok, data = cv2.imencode('.jpg', image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy()


def real_frames(renderer, mesh, rng, count, photos, up_axis, distance, K=K_LINEMOD,
                size=FRAME_SIZE, batch=16, depth_rng=None):
    """Yield real-like frames: dict(rgb (H, W, 3) uint8, mask (H, W) bool, R, t, K).

    With ``depth_rng`` (a Generator of its own: the colour frames stay those of ``rng``) each
    frame also holds ``depth_mm`` ``(H, W)`` uint16, aligned depth, 0 = none.
    """
    for start in range(0, count, batch):
        n = min(batch, count - start)
        R, t = sample_poses(rng, n, mesh, up_axis, distance, K=K, size=size)
        views = renderer.render(R, t, K, *size, lights=real_lighting(rng, n),
                                depth=depth_rng is not None)
        for i in range(n):
            view = {key: value[i] for key, value in views.items()}
            image = composite(view, photo_background(rng, photos, *size))
            box_uv = project_points(mesh.corners(), R[i], t[i], K)
            image, occluders = add_occluders(rng, image, box_uv, photos)
            frame = {'rgb': camera_effects(rng, image), 'mask': view['mask'], 'R': R[i],
                     't': t[i], 'K': K}
            if depth_rng is not None:
                frame['depth_mm'] = sensor_depth(depth_rng, view['depth'], occluders, K)
            yield frame
