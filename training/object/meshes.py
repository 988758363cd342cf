# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object meshes: PLY/OBJ with vertex colours or a texture, units stated, box and diameter.

Everything is converted to metres in the file's own model frame (poses refer to it). The
default demo object is the textured duck that ships with pybullet (``pybullet_data/duck.obj``,
file units x 0.05 = metres, about 8 x 8 x 6 cm, y up), so no mesh needs to be downloaded.
"""

from dataclasses import dataclass, field
import os

import numpy as np
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist

UNITS = {'m': 1.0, 'mm': 1e-3, 'cm': 1e-2}
PACKAGE_PREFIXES = ('pybullet_data/',)


@dataclass
class ObjectMesh:
    """Triangle mesh in metres, ready for the renderer and the metrics."""

    name: str
    vertices: np.ndarray     # (V, 3) float32 metres, model frame
    faces: np.ndarray        # (F, 3) int32 vertex indices
    normals: np.ndarray      # (V, 3) float32 unit vertex normals
    colors: np.ndarray       # (V, 3) float32 in [0, 1] (white when textured)
    uv: np.ndarray           # (V, 2) float32 texture coordinates (zeros without texture)
    texture: np.ndarray      # (h, w, 3) uint8 RGB (1x1 white without texture)
    symmetric: bool = False  # evaluate with ADD-S instead of ADD
    # rigid transforms (S, 4, 4) of the model frame (metres) under which the object looks
    # the same, the identity first (core/rotations.axis_symmetries); S = 1: none used
    symmetries: np.ndarray = field(default_factory=lambda: np.eye(4)[None])

    @property
    def bbox_min(self):
        """Lower corner of the axis-aligned box, metres."""
        return self.vertices.min(axis=0).astype(np.float64)

    @property
    def bbox_size(self):
        """Box side lengths, metres."""
        return self.vertices.max(axis=0).astype(np.float64) - self.bbox_min

    def corners(self):
        """Return the 8 box corners ``(8, 3)`` m; bit k of i set: max along axis k."""
        bits = (np.arange(8)[:, None] >> np.arange(3)) & 1
        return self.bbox_min + bits * self.bbox_size

    def centre(self):
        """Centre of the box, metres."""
        return self.bbox_min + self.bbox_size / 2.0

    def diameter(self):
        """Largest distance between two vertices, metres (on the convex hull)."""
        points = self.vertices.astype(np.float64)
        if len(points) > 4:
            points = points[ConvexHull(points).vertices]
        return float(pdist(points).max())

    def sample_points(self, count=500, seed=0):
        """``(count, 3)`` vertices (or all, if fewer) for the ADD metric, metres."""
        if len(self.vertices) <= count:
            return self.vertices.astype(np.float64)
        index = np.random.default_rng(seed).choice(len(self.vertices), count, replace=False)
        return self.vertices[np.sort(index)].astype(np.float64)

    def info(self):
        """JSON-friendly description saved with the weights (object_metadata).

        ``symmetries`` (S, 4, 4) is there only when the targets used some (S > 1).
        """
        info = {'name': self.name, 'corners_m': self.corners().tolist(),
                'diameter_m': self.diameter(), 'symmetric': bool(self.symmetric),
                'points_m': np.round(self.sample_points(), 6).tolist()}
        if len(self.symmetries) > 1:
            info['symmetries'] = np.round(self.symmetries, 9).tolist()
        return info


def resolve_mesh_path(path):
    """``pybullet_data/<file>`` -> inside the installed pybullet_data package; else as is."""
    if not os.path.exists(path) and path.startswith(PACKAGE_PREFIXES):
        import pybullet_data
        return os.path.join(pybullet_data.getDataPath(), path.split('/', 1)[1])
    return path


def load_mesh(path, units='m', scale=1.0, symmetric=False, name=None, symmetries=None):
    """Load a PLY/OBJ file; vertices x UNITS[units] x ``scale`` become metres.

    ``symmetries``: ``(S, 4, 4)`` transforms in metres, the identity first (default: none).
    """
    import trimesh
    if units not in UNITS:
        raise ValueError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
    path = resolve_mesh_path(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'mesh file not found: {path}')
    mesh = trimesh.load(path, force='mesh', process=False)
    if len(mesh.faces) == 0:
        raise ValueError(f'{path}: no triangles')
    count = len(mesh.vertices)
    colors, uv, texture = np.ones((count, 3), np.float32), np.zeros((count, 2), np.float32), \
        np.full((1, 1, 3), 255, np.uint8)
    visual = mesh.visual
    if visual.kind == 'texture' and visual.uv is not None and \
            getattr(visual.material, 'image', None) is not None:
        uv = np.asarray(visual.uv, np.float32)
        texture = np.asarray(visual.material.image.convert('RGB'), np.uint8)
    elif visual.kind in ('vertex', 'face'):
        colors = np.asarray(visual.vertex_colors, np.float32)[:, :3] / 255.0
    return ObjectMesh(
        name=name or os.path.splitext(os.path.basename(path))[0],
        vertices=(np.asarray(mesh.vertices) * UNITS[units] * scale).astype(np.float32),
        faces=np.asarray(mesh.faces, np.int32),
        normals=np.asarray(mesh.vertex_normals, np.float32),
        colors=colors, uv=uv, texture=texture, symmetric=bool(symmetric),
        symmetries=np.eye(4)[None] if symmetries is None else np.asarray(symmetries, np.float64))
