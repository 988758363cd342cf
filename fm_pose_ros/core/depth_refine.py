# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Refine an object pose against an aligned depth image: robust point-to-plane ICP. No ROS.

Inputs: the RGB pose (``R`` ``(3, 3)`` model -> camera, ``t`` ``(3,)`` m), a depth image
``(H, W)`` float32 metres registered to the colour image (0 or NaN = no measurement), the
colour camera's ``K`` ``(3, 3)``, and the model's point sample ``(P, 3)`` m in the model frame
(the weights' ``points_m``) with its diameter.

Steps of ``DepthRefiner.refine``:

1. Visible model points: points whose normal faces the camera (normals of the point sample by
   PCA of its 12 nearest neighbours, turned away from the centroid: right for the convex
   parts of an object), then z-buffered on a coarse grid (a cell is about two point spacings
   wide) against self-occlusion: a point is visible when it lies within ``visible_tolerance``
   x diameter of the nearest facing point of its 3 x 3 cells.
2. Silhouette: the grid cells holding projected points, closed and dilated by ``margin_px``
   (the RGB pose's 2D error), as a pixel mask.
3. Depth points: the silhouette's pixels whose depth lies within ``window`` x diameter of the
   model's median visible depth, back-projected; normals from the organised cloud (depth
   smoothed by a normalised box filter, central differences). First the object is moved along
   the ray through its centre so that the two medians agree (PnP's error is mostly depth).
4. Point-to-plane ICP of the visible points against the depth points: nearest neighbours by
   scipy's ``cKDTree`` (built once per frame), Tukey's biweight on the residuals (scale from
   their MAD), a damped 6 x 6 Gauss-Newton step linearised about the points' centroid.
5. Gate: the fit is accepted only with enough depth points, an inlier fraction of the visible
   points of at least ``min_inlier_fraction``, an inlier point-to-plane RMS of at most
   ``max_rms_m``, and a move of the object's centre of at most ``max_shift`` x diameter and
   of at most ``max_rotation_deg``; otherwise the RGB pose stands (``DepthFit.accepted``).
"""

from dataclasses import dataclass
import time

import cv2
import numpy as np
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class RefineSettings:
    """ICP and gate settings; lengths marked ``x diameter`` scale with the object."""

    iterations: int = 8               # ICP iterations at most
    margin_px: float = 6.0            # silhouette dilation: the RGB pose's 2D error, pixels
    window: float = 0.75              # depth points within this x diameter of the model depth
    visible_tolerance: float = 0.25   # z-buffer tolerance, x diameter
    facing: float = 0.1               # visible: cos(normal, ray) below this
    max_correspondence: float = 0.2   # nearest neighbours farther than this x diameter: none
    max_targets: int = 1500           # about this many depth points (decimated)
    max_model_points: int = 200       # visible model points used (evenly subsampled)
    normal_window_px: int = 7         # box filter side for the depth the normals come from
    min_points: int = 30              # fewer visible points or depth points: no refinement
    inlier_m: float = 0.006           # a visible point is an inlier within this of the depth
    min_inlier_fraction: float = 0.75  # gate: inliers / visible points
    max_rms_m: float = 0.004          # gate: point-to-plane RMS of the inliers, metres
    max_shift: float = 1.0            # gate: largest move of the object's centre, x diameter
    max_rotation_deg: float = 30.0    # gate: largest rotation change

    def validate(self):
        """Raise ValueError with a readable message if a setting is out of range."""
        if not 1 <= self.iterations <= 100 or self.min_points < 3:
            raise ValueError('iterations must be in [1, 100] and min_points >= 3')
        if not 0 < self.min_inlier_fraction <= 1 or self.inlier_m <= 0 or self.max_rms_m <= 0:
            raise ValueError('0 < min_inlier_fraction <= 1, inlier_m > 0 and max_rms_m > 0 '
                             'required')
        return self


# why a fit was refused: no data, then the gate's checks
REASONS = ('model_behind_camera', 'few_visible_points', 'few_depth_points',
           'few_correspondences', 'non_finite', 'inliers', 'residual', 'shift', 'rotation')


@dataclass
class DepthFit:
    """Outcome of one refinement; ``R``, ``t`` are the RGB pose when not ``accepted``."""

    R: np.ndarray                 # (3, 3) model -> camera
    t: np.ndarray                 # (3,) metres
    accepted: bool
    reason: str                   # 'ok' or why the RGB pose stands (REASONS)
    inlier_fraction: float = 0.0  # inliers / visible model points at the refined pose
    rms_m: float = float('nan')   # point-to-plane RMS of the inliers, metres
    shift_m: float = 0.0          # move of the object's centre, metres
    rotation_deg: float = 0.0     # rotation change, degrees
    depth_points: int = 0         # depth points the fit used
    visible_points: int = 0       # visible model points
    iterations: int = 0
    ms: float = 0.0               # wall-clock of the refinement


def model_spacing(points):
    """Median distance (m) from each model point ``(P, 3)`` to its nearest neighbour."""
    points = np.asarray(points, np.float64)
    if len(points) < 2:
        return 0.0
    return float(np.median(cKDTree(points).query(points, k=2)[0][:, 1]))


def point_normals(points, neighbours=12):
    """Unit normals ``(P, 3)`` of a point sample ``(P, 3)``: PCA of the nearest neighbours.

    Each normal is the direction of least spread of the point's neighbourhood, turned away
    from the centroid (outward on the convex parts of an object).
    """
    points = np.asarray(points, np.float64)
    k = min(neighbours, len(points))
    _, index = cKDTree(points).query(points, k=k)
    local = points[index] - points[index].mean(axis=1, keepdims=True)
    _, vectors = np.linalg.eigh(np.einsum('nki,nkj->nij', local, local))
    normals = vectors[:, :, 0]
    outward = np.sum(normals * (points - points.mean(axis=0)), axis=1) >= 0
    return np.where(outward[:, None], normals, -normals)


def _grid(uv, cell):
    """Grid cells ``(N, 2)`` (col, row) of pixels ``uv`` ``(N, 2)``; origin and grid shape."""
    origin = np.floor(uv.min(axis=0)) - cell
    cells = np.floor((uv - origin) / cell).astype(np.int64)
    shape = (int(cells[:, 1].max()) + 2, int(cells[:, 0].max()) + 2)  # rows, cols
    return cells, origin, shape


def visible_points(camera_points, K, cell_px, tolerance_m):
    """Mask ``(P,)`` of the camera-frame points ``(P, 3)`` m not hidden by nearer ones.

    z-buffer on a grid of ``cell_px`` pixel cells, min over the 3 x 3 neighbourhood.
    """
    uv = _project(camera_points, K)
    cells, _, shape = _grid(uv, cell_px)
    flat = cells[:, 1] * shape[1] + cells[:, 0]
    zbuffer = np.full(shape[0] * shape[1], np.inf, np.float32)
    np.minimum.at(zbuffer, flat, camera_points[:, 2].astype(np.float32))
    nearest = cv2.erode(zbuffer.reshape(shape), np.ones((3, 3), np.uint8),
                        borderType=cv2.BORDER_CONSTANT, borderValue=np.inf).ravel()
    return camera_points[:, 2] <= nearest[flat] + tolerance_m


def _project(points, K):
    return (points[:, :2] / points[:, 2:3]) * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]


def silhouette(camera_points, K, cell_px, margin_px, image_shape):
    """Pixel mask of the projected points: ``(roi (y0, y1, x0, x1), mask (h, w) bool)``.

    The grid cells holding a point, closed (one cell) and dilated by ``margin_px``; the
    region is clipped to the image (None when it falls outside).
    """
    uv = _project(camera_points, K)
    cells, origin, shape = _grid(uv, cell_px)
    grid = np.zeros(shape, np.uint8)
    grid[cells[:, 1], cells[:, 0]] = 1
    grid = cv2.morphologyEx(grid, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    grow = int(np.ceil(margin_px / cell_px))
    grid = cv2.dilate(np.pad(grid, grow), np.ones((2 * grow + 1,) * 2, np.uint8))
    origin = origin - grow * cell_px
    height, width = image_shape
    x0, y0 = max(int(origin[0]), 0), max(int(origin[1]), 0)
    x1 = min(int(origin[0] + grid.shape[1] * cell_px) + 1, width)
    y1 = min(int(origin[1] + grid.shape[0] * cell_px) + 1, height)
    if x1 <= x0 or y1 <= y0:
        return None
    cols = np.clip(((np.arange(x0, x1) - origin[0]) // cell_px).astype(np.int64), 0,
                   grid.shape[1] - 1)
    rows = np.clip(((np.arange(y0, y1) - origin[1]) // cell_px).astype(np.int64), 0,
                   grid.shape[0] - 1)
    return (y0, y1, x0, x1), grid[rows[:, None], cols[None, :]] > 0


def depth_normals(depth, K, offset, window_px, stride=1):
    """Points ``(h, w, 3)`` m and unit normals ``(h, w, 3)`` (towards the camera) of a region.

    ``depth`` ``(h, w)`` m (0 = none) holds every ``stride``-th pixel of a region whose
    top-left pixel is ``offset`` ``(x, y)``. Normals come from the depth smoothed by a normalised box filter of
    ``window_px``; pixels whose smoothing mixes surfaces (> 1 cm off) get a zero normal.
    """
    valid = (depth > 0).astype(np.float32)
    size = (window_px, window_px)
    weight = cv2.boxFilter(valid, -1, size, normalize=True, borderType=cv2.BORDER_CONSTANT)
    smooth = cv2.boxFilter(depth * valid, -1, size, normalize=True,
                           borderType=cv2.BORDER_CONSTANT) / np.maximum(weight, 1e-6)
    rows, cols = np.mgrid[:depth.shape[0], :depth.shape[1]].astype(np.float32)
    rays_x = (cols * stride + offset[0] - K[0, 2]) / K[0, 0]
    rays_y = (rows * stride + offset[1] - K[1, 2]) / K[1, 1]
    cloud = np.stack([rays_x * smooth, rays_y * smooth, smooth], axis=-1)
    step = 2
    du = np.zeros_like(cloud)
    dv = np.zeros_like(cloud)
    du[:, step:-step] = cloud[:, 2 * step:] - cloud[:, :-2 * step]
    dv[step:-step] = cloud[2 * step:] - cloud[:-2 * step]
    normals = np.cross(du, dv)
    norm = np.linalg.norm(normals, axis=-1, keepdims=True)
    good = (norm[..., 0] > 0) & (weight > 0.6) & (np.abs(smooth - depth) < 0.01)
    normals = np.where(good[..., None], normals / np.maximum(norm, 1e-12), 0.0)
    facing = np.sum(normals * cloud, axis=-1, keepdims=True) > 0
    normals = np.where(facing, -normals, normals)
    points = np.stack([rays_x * depth, rays_y * depth, depth], axis=-1)
    return points, normals


def tukey_weights(residuals, scale):
    """Tukey's biweight ``(1 - (r / c)^2)^2`` for ``|r| < c``, else 0."""
    ratio = np.clip(np.abs(residuals) / scale, 0.0, 1.0)
    return (1.0 - ratio ** 2) ** 2


def rotation_angle_deg(R):
    """Angle of a rotation matrix, degrees."""
    return float(np.degrees(np.arccos(np.clip((np.trace(R) - 1.0) / 2.0, -1.0, 1.0))))


class DepthRefiner:
    """Refine poses of one object (its point sample and diameter) against depth images."""

    def __init__(self, points_m, diameter_m, settings=RefineSettings()):
        self.points = np.asarray(points_m, np.float64).reshape(-1, 3)
        self.diameter = float(diameter_m)
        if len(self.points) < 4 or not self.diameter > 0:
            raise ValueError('depth refinement needs at least 4 model points and a diameter '
                             f'> 0, got {len(self.points)} points, diameter {diameter_m}')
        self.settings = settings.validate()
        self.centre = self.points.mean(axis=0)  # model frame, m
        self.normals = point_normals(self.points)  # model frame, unit
        self.spacing = max(model_spacing(self.points), 1e-4)

    def refine(self, R, t, depth_m, K):
        """Return a DepthFit for the pose ``R``, ``t`` against ``depth_m`` ``(H, W)`` metres."""
        start = time.perf_counter()
        R0, t0 = np.asarray(R, np.float64), np.asarray(t, np.float64)
        K = np.asarray(K, np.float64)
        fit = self._fit(R0, t0, np.nan_to_num(np.asarray(depth_m, np.float32)), K)
        if fit.accepted and not (np.isfinite(fit.R).all() and np.isfinite(fit.t).all()):
            fit.accepted, fit.reason = False, 'non_finite'
        if fit.accepted:
            self._gate(fit, R0, t0)
        if not fit.accepted:
            fit.R, fit.t = R0, t0
        fit.ms = (time.perf_counter() - start) * 1e3
        return fit

    def _cell_px(self, camera, K):
        """z-buffer cell side, pixels: two point spacings at the points' median depth."""
        depth = max(float(np.median(camera[:, 2])), 0.05)
        return max(2.0, 2.0 * K[0, 0] * self.spacing / depth)

    def _visible(self, R, camera, K):
        """Mask ``(P,)`` of the model points seen from the camera (``camera``: (P, 3) m)."""
        rays = camera / np.linalg.norm(camera, axis=1, keepdims=True)
        visible = np.sum((self.normals @ R.T) * rays, axis=1) < self.settings.facing
        if visible.any():
            visible[visible] = visible_points(camera[visible], K, self._cell_px(camera, K),
                                              self.settings.visible_tolerance * self.diameter)
        return visible

    def _fit(self, R, t, depth, K):
        """Select the points, shift along the ray, run ICP; DepthFit with accepted = ran."""
        s = self.settings
        camera = self.points @ R.T + t
        if np.any(camera[:, 2] <= 0.01):
            return DepthFit(R, t, False, 'model_behind_camera')
        visible = self._visible(R, camera, K)
        region = silhouette(camera, K, self._cell_px(camera, K), s.margin_px, depth.shape)
        if visible.sum() < s.min_points or region is None:
            return DepthFit(R, t, False, 'few_visible_points', visible_points=int(visible.sum()))
        targets, normals = self._targets(depth, K, region, camera[visible, 2])
        if len(targets) < s.min_points:
            return DepthFit(R, t, False, 'few_depth_points', depth_points=len(targets),
                            visible_points=int(visible.sum()))
        # move along the ray through the centre so that the median depths agree
        scale = 1.0 + (np.median(targets[:, 2]) - np.median(camera[visible, 2])) / t[2]
        t = t * scale
        model = self.points[visible]
        if len(model) > s.max_model_points:
            model = model[np.linspace(0, len(model) - 1, s.max_model_points).astype(np.int64)]
        return self._icp(R, t, model, targets, normals)

    def _targets(self, depth, K, region, model_z):
        """Depth points ``(N, 3)`` m and normals ``(N, 3)`` inside the silhouette.

        The region is decimated by an integer stride so that about ``max_targets`` pixels
        remain (a near object costs no more than a far one).
        """
        s = self.settings
        (y0, y1, x0, x1), mask = region
        patch = depth[y0:y1, x0:x1]
        centre_z = float(np.median(model_z))
        half = s.window * self.diameter + (model_z.max() - model_z.min()) / 2.0
        keep = mask & (patch > 0) & (np.abs(patch - centre_z) < half)
        stride = max(1, int(round(np.sqrt(keep.sum() / s.max_targets))))
        keep, patch = keep[::stride, ::stride], patch[::stride, ::stride]
        window = max(3, int(round(s.normal_window_px / stride)) | 1)
        points, normals = depth_normals(np.where(keep, patch, 0.0).astype(np.float32), K,
                                        (x0, y0), window, stride)
        keep &= np.any(normals != 0.0, axis=-1)
        return points[keep].astype(np.float64), normals[keep].astype(np.float64)

    def _icp(self, R, t, model, targets, normals):
        """Point-to-plane ICP of ``model`` ``(V, 3)`` (model frame) onto the depth points."""
        s = self.settings
        tree = cKDTree(targets, balanced_tree=False, compact_nodes=False)  # built fastest
        reach = s.max_correspondence * self.diameter
        iteration = 0
        for iteration in range(1, s.iterations + 1):
            source = model @ R.T + t
            distance, index = tree.query(source, distance_upper_bound=reach)
            found = np.isfinite(distance)
            if found.sum() < s.min_points:
                return DepthFit(R, t, False, 'few_correspondences', depth_points=len(targets),
                                visible_points=len(model), iterations=iteration)
            src, n = source[found], normals[index[found]]
            residual = np.sum(n * (src - targets[index[found]]), axis=1)
            mad = 1.4826 * np.median(np.abs(residual - np.median(residual)))
            weight = tukey_weights(residual, np.clip(4.685 * mad, 0.003, reach))
            centroid = src.mean(axis=0)
            jacobian = np.hstack([np.cross(src - centroid, n), n])  # (M, 6): d r / (w, tau)
            A = jacobian.T @ (jacobian * weight[:, None])
            A += np.eye(6) * (1e-6 + 1e-4 * np.trace(A) / 6.0)
            step = np.linalg.solve(A, -jacobian.T @ (weight * residual))
            turn = cv2.Rodrigues(step[:3].reshape(3, 1))[0]
            R, t = turn @ R, turn @ (t - centroid) + centroid + step[3:]
            if np.linalg.norm(step[3:]) < 1e-4 and np.linalg.norm(step[:3]) < 1e-3:
                break
        fit = DepthFit(R, t, True, 'ok', depth_points=len(targets), visible_points=len(model),
                       iterations=iteration)
        self._score(fit, model, targets, normals, tree)
        return fit

    def _score(self, fit, model, targets, normals, tree):
        """Inlier fraction and inlier point-to-plane RMS at the fitted pose."""
        source = model @ fit.R.T + fit.t
        distance, index = tree.query(source, distance_upper_bound=self.settings.inlier_m)
        inlier = np.isfinite(distance)
        fit.inlier_fraction = float(inlier.mean())
        if inlier.any():
            residual = np.sum(normals[index[inlier]] * (source[inlier] - targets[index[inlier]]),
                              axis=1)
            fit.rms_m = float(np.sqrt(np.mean(residual ** 2)))

    def _gate(self, fit, R0, t0):
        """Accept the fit only if it is good and close to the RGB pose (sets reason)."""
        s = self.settings
        fit.shift_m = float(np.linalg.norm((fit.R - R0) @ self.centre + fit.t - t0))
        fit.rotation_deg = rotation_angle_deg(fit.R @ R0.T)
        checks = (('inliers', fit.inlier_fraction >= s.min_inlier_fraction),
                  ('residual', fit.rms_m <= s.max_rms_m),
                  ('shift', fit.shift_m <= s.max_shift * self.diameter),
                  ('rotation', fit.rotation_deg <= s.max_rotation_deg))
        for reason, good in checks:
            if not good:
                fit.accepted, fit.reason = False, reason
                return
