# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Varied procedural backgrounds for the object locator (``object.locator_backgrounds``).

The locator's synthetic half used to see only smooth colour fields, and its real half seven
photographs: a white, textureless object in front of an unseen texture (grass, gravel,
brick) was then segmented together with the texture around it, and the crop box grew to
twice the object's side. These backgrounds are domain randomisation (Tobin et al. 2017,
"flying distractors" of Tremblay et al. 2018): every frame draws a base and clutter, so no
texture or colour tells the object from the scene, only its shape and shading do.

- base: a smooth colour field (as ``synthetic_background``), multi-scale value noise
  (natural textures: foliage, gravel), a grating of random period and angle (man-made
  textures: stripes, planks), or one flat colour;
- clutter: 0-12 shapes (ellipses, rectangles, polygons, thick lines) filled with a flat
  colour, light grey to white included (textureless distractors like the object), or noise;
- a random blur (0-1.5 px) over the whole.

Images ``(H, W, 3)`` float32 in [0, 1].
"""

import cv2
import numpy as np

from training.object.datasets import synthetic_background

MAX_CLUTTER = 12


def value_noise(rng, width, height, octaves=6):
    """Colour value noise ``(H, W, 3)``: octaves of random grids, each twice finer."""
    image = np.zeros((height, width, 3), np.float32)
    cells, weight, total = int(rng.integers(2, 6)), 1.0, 0.0
    for _ in range(octaves):
        grid = rng.uniform(0, 1, (cells, cells, 3)).astype(np.float32)
        image += weight * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
        total += weight
        cells, weight = cells * 2, weight * rng.uniform(0.5, 0.9)
    image /= total
    low, high = image.min(), image.max()
    return ((image - low) / max(high - low, 1e-6)).astype(np.float32)


def grating(rng, width, height):
    """Stripes of two random colours, random period (4-40 px) and angle; soft or hard."""
    v, u = np.mgrid[:height, :width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    phase = (u * np.cos(angle) + v * np.sin(angle)) * 2 * np.pi / rng.uniform(4, 40)
    wave = 0.5 + 0.5 * np.sin(phase)
    if rng.random() < 0.5:
        wave = (wave > 0.5).astype(np.float32)
    a, b = rng.uniform(0, 1, (2, 3)).astype(np.float32)
    return a + (b - a) * wave[..., None]


def _fill(rng, width, height):
    """Draw a flat colour (a third of them light grey to white) or a noise texture."""
    if rng.random() < 0.3:
        return value_noise(rng, width, height, octaves=2)
    if rng.random() < 0.33:
        return np.full(3, rng.uniform(0.7, 1.0), np.float32)
    return rng.uniform(0, 1, 3).astype(np.float32)


def _shape_mask(rng, width, height):
    """Mask ``(H, W)`` uint8 of one random ellipse, rectangle, polygon or thick line."""
    mask = np.zeros((height, width), np.uint8)
    size = min(width, height)
    centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
    kind = rng.integers(4)
    if kind == 0:
        axes = tuple(int(a) for a in rng.uniform(0.03, 0.3, 2) * size + 1)
        cv2.ellipse(mask, centre, axes, rng.uniform(0, 180), 0, 360, 1, -1)
    elif kind == 1:
        half = rng.uniform(0.03, 0.3, 2) * size
        box = ((centre[0], centre[1]), (2 * half[0], 2 * half[1]), rng.uniform(0, 180))
        cv2.fillPoly(mask, [cv2.boxPoints(box).astype(np.int32)], 1)
    elif kind == 2:
        points = np.array(centre) + rng.normal(0, 0.15 * size, (int(rng.integers(3, 7)), 2))
        cv2.fillPoly(mask, [points.astype(np.int32)], 1)
    else:
        end = np.array(centre) + rng.normal(0, 0.4 * size, 2)
        cv2.line(mask, centre, tuple(int(e) for e in end), 1, int(rng.integers(2, 12)))
    return mask


def varied_background(rng, width, height):
    """One domain-randomised background ``(H, W, 3)`` float32 in [0, 1] (module docstring)."""
    base = int(rng.integers(4))
    if base == 0:
        image = synthetic_background(rng, width, height)
    elif base == 1:
        image = value_noise(rng, width, height)
    elif base == 2:
        image = grating(rng, width, height)
    else:
        image = np.broadcast_to(rng.uniform(0, 1, 3).astype(np.float32),
                                (height, width, 3)).copy()
    for _ in range(int(rng.integers(0, MAX_CLUTTER + 1))):
        mask = _shape_mask(rng, width, height)[..., None] > 0
        image = np.where(mask, _fill(rng, width, height), image)
    sigma = rng.uniform(0, 1.5)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    return np.clip(image, 0, 1).astype(np.float32)


LOCATOR_BACKGROUNDS = {'smooth': synthetic_background, 'varied': varied_background}
