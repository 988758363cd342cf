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
   parts of an object), then z-buffered on a coarse grid (a cell is 1.5 point spacings wide,
   the spacing of the sample's sparse parts) against self-occlusion: a point is visible when
   it lies within ``visible_tolerance`` x diameter of the nearest facing point of its 3 x 3
   cells. After the shift of step 3, a point more than ``occlusion_tolerance`` x diameter
   behind the measured depth at its pixel is hidden too (an occluder, or a far side the
   z-buffer missed).
2. Silhouette: the grid cells holding projected points, closed and dilated by ``margin_px``
   (the RGB pose's 2D error), as a pixel mask.
3. Depth points: the silhouette's pixels whose depth lies within ``window`` x diameter (plus
   half the model's depth extent) of the model's median visible depth, back-projected. First
   the object is moved along the ray through its centre by the most common difference between
   the measured depth and the visible points' depth at their pixels (PnP errs mostly in depth).
4. Point-to-plane ICP of the visible points against the depth points, on the model points'
   planes: nearest neighbours by scipy's ``cKDTree`` (built once per frame), Tukey's biweight
   on the residuals (scale from their MAD), a damped 6 x 6 Gauss-Newton step linearised about
   the points' centroid.
5. Gate: the fit is accepted only with enough depth points, an inlier fraction of the visible
   points of at least ``min_inlier_fraction``, an inlier point-to-plane RMS of at most
   ``max_rms_m``, a move of the object's centre across its ray (the RGB pose's 2D position is
   trusted; its depth is not) of at most ``max_shift`` x diameter and a rotation change of at
   most ``max_rotation_deg``; otherwise the RGB pose stands (``DepthFit.accepted``).
"""

from dataclasses import dataclass
import time

import cv2
import numpy as np
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class RefineSettings:
    """ICP and gate settings; lengths marked ``x diameter`` scale with the object."""

    iterations: int = 20              # ICP iterations at most
    converged_m: float = 3e-4         # ... or until a step moves less than this
    converged_deg: float = 0.2        # ... and turns less than this
    neighbour_eps: float = 0.0        # approximate nearest neighbours (cKDTree eps)
    margin_px: float = 6.0            # silhouette dilation: the RGB pose's 2D error, pixels
    window: float = 0.75              # depth points within this x diameter of the model depth
    visible_tolerance: float = 0.25   # z-buffer tolerance, x diameter
    facing: float = 0.1               # visible: cos(normal, ray) below this
    occlusion_tolerance: float = 0.08  # hidden: this x diameter behind the measured depth
    max_correspondence: float = 0.2   # nearest neighbours farther than this x diameter: none
    max_targets: int = 1500           # about this many depth points (decimated)
    max_model_points: int = 200       # visible model points used (evenly subsampled)
    min_points: int = 30              # fewer visible points or depth points: no refinement
    inlier_m: float = 0.006           # a visible point is an inlier within this of the depth
    min_inlier_fraction: float = 0.6  # gate: inliers / visible points
    max_rms_m: float = 0.004          # gate: point-to-plane RMS of the inliers, metres
    max_shift: float = 0.5            # gate: largest move of the centre across its ray, x diameter
    search_m: float = 0.3             # the object's depth is searched this far along its ray
    search_fraction: float = 0.5      # ... or this fraction of its distance, if farther
    max_rotation_deg: float = 30.0    # gate: largest rotation change
    restart_deg: float = 15.0         # a fit failing the gate: ICP again from 6 turns by this

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


RESTART_REASONS = ('inliers', 'residual', 'rotation')  # a fit that ran but failed the gate


@dataclass
class DepthFit:
    """Outcome of one refinement; ``R``, ``t`` are the RGB pose when not ``accepted``."""

    R: np.ndarray                 # (3, 3) model -> camera
    t: np.ndarray                 # (3,) metres
    accepted: bool
    reason: str                   # 'ok' or why the RGB pose stands (REASONS)
    inlier_fraction: float = 0.0  # inliers / visible model points at the refined pose
    rms_m: float = float('nan')   # point-to-plane RMS of the inliers, metres
    shift_m: float = 0.0          # move of the object's centre across its ray, metres
    rotation_deg: float = 0.0     # rotation change, degrees
    depth_points: int = 0         # depth points the fit used
    visible_points: int = 0       # visible model points
    iterations: int = 0
    ms: float = 0.0               # wall-clock of the refinement


def model_spacing(points, percentile=90):
    """Distance (m) from a model point ``(P, 3)`` to its nearest neighbour: a percentile.

    A high percentile: the sparse parts of an uneven sample (a mesh's vertices) must not leave
    z-buffer cells empty.
    """
    points = np.asarray(points, np.float64)
    if len(points) < 2:
        return 0.0
    return float(np.percentile(cKDTree(points).query(points, k=2)[0][:, 1], percentile))


def point_normals(points, neighbours=12):
    """Estimate unit normals ``(P, 3)`` of a point sample ``(P, 3)`` by PCA of neighbours.

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


def depth_offset(camera_points, depth, K, window_m, bin_m=0.005):
    """Most common ``measured - model`` depth (m) at the points' pixels, or None.

    The points' depths ``(P,)`` against the depth at their pixels: the visible surface gives
    one peak (the pose's depth error); hidden points and occluders spread elsewhere. The peak
    of a histogram of ``bin_m`` bins within +- ``window_m``, refined by the median of its
    neighbourhood.
    """
    uv = np.round(_project(camera_points, K)).astype(np.int64)
    height, width = depth.shape
    inside = (uv[:, 0] >= 0) & (uv[:, 0] < width) & (uv[:, 1] >= 0) & (uv[:, 1] < height)
    measured = depth[uv[inside, 1], uv[inside, 0]]
    difference = (measured - camera_points[inside, 2])[measured > 0]
    difference = difference[np.abs(difference) < window_m]
    if len(difference) < 3:
        return None
    counts, edges = np.histogram(difference, bins=max(1, int(2 * window_m / bin_m)),
                                 range=(-window_m, window_m))
    peak = (edges[np.argmax(counts)] + edges[np.argmax(counts) + 1]) / 2.0
    return float(np.median(difference[np.abs(difference - peak) < 1.5 * bin_m]))


def in_front_of_depth(camera_points, depth, K, tolerance_m):
    """Mask ``(P,)``: points not hidden behind the measured surface (occluders, far side).

    A point is hidden when the depth at its pixel is more than ``tolerance_m`` nearer than it;
    a pixel without depth hides nothing; a point outside the image is hidden.
    """
    uv = np.round(_project(camera_points, K)).astype(np.int64)
    height, width = depth.shape
    inside = (uv[:, 0] >= 0) & (uv[:, 0] < width) & (uv[:, 1] >= 0) & (uv[:, 1] < height)
    measured = np.zeros(len(camera_points), np.float32)
    measured[inside] = depth[uv[inside, 1], uv[inside, 0]]
    return inside & ((measured <= 0) | (camera_points[:, 2] < measured + tolerance_m))


def half_window(settings, diameter, model_z):
    """Half the depth range (m) searched around the model: ``window`` x diameter + its extent."""
    model_z = np.asarray(model_z)
    z = model_z[:, 2] if model_z.ndim == 2 else model_z
    return settings.window * diameter + (z.max() - z.min()) / 2.0


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
        depth = np.nan_to_num(np.asarray(depth_m, np.float32))
        fit = self._checked(R0, t0, R0, t0, depth, K)
        if not fit.accepted and fit.reason in RESTART_REASONS:
            fit = self._restarts(fit, R0, t0, depth, K)
        if not fit.accepted:
            fit.R, fit.t = R0, t0
        fit.ms = (time.perf_counter() - start) * 1e3
        return fit

    def _checked(self, R, t, R0, t0, depth, K):
        """ICP from ``R``, ``t``, then the gate against the RGB pose ``R0``, ``t0``."""
        fit = self._fit(R, t, depth, K)
        if fit.accepted and not (np.isfinite(fit.R).all() and np.isfinite(fit.t).all()):
            fit.accepted, fit.reason = False, 'non_finite'
        if fit.accepted:
            self._gate(fit, R0, t0)
        return fit

    def _restarts(self, first, R0, t0, depth, K):
        """ICP again from the RGB pose turned about its centre; the best passing fit, or first.

        For the frames whose fit failed the gate (a rotation outside ICP's reach): turns of
        ``restart_deg`` about the camera's x, y and z axes, each way.
        """
        best = first
        centre = R0 @ self.centre + t0
        for axis in np.vstack([np.eye(3), -np.eye(3)]):
            turn = cv2.Rodrigues(np.radians(self.settings.restart_deg) * axis.reshape(3, 1))[0]
            fit = self._checked(turn @ R0, centre - turn @ (R0 @ self.centre), R0, t0, depth, K)
            if fit.accepted and (not best.accepted
                                 or fit.inlier_fraction > best.inlier_fraction):
                best = fit
        return best

    def _cell_px(self, camera, K):
        """z-buffer cell side, pixels: 1.5 point spacings at the points' median depth."""
        depth = max(float(np.median(camera[:, 2])), 0.05)
        return max(2.0, 1.5 * K[0, 0] * self.spacing / depth)

    def _visible(self, R, camera, K):
        """Mask ``(P,)`` of the model points seen from the camera (``camera``: (P, 3) m)."""
        rays = camera / np.linalg.norm(camera, axis=1, keepdims=True)
        visible = np.sum((self.normals @ R.T) * rays, axis=1) < self.settings.facing
        if visible.any():
            visible[visible] = visible_points(camera[visible], K, self._cell_px(camera, K),
                                              self.settings.visible_tolerance * self.diameter)
        return visible

    def _fit(self, R, t, depth, K):
        """Place the object along its ray, select the points, run ICP (accepted = it ran)."""
        s = self.settings
        camera = self.points @ R.T + t
        if np.any(camera[:, 2] <= 0.01):
            return DepthFit(R, t, False, 'model_behind_camera')
        visible = self._visible(R, camera, K)
        if visible.sum() < s.min_points:
            return DepthFit(R, t, False, 'few_visible_points', visible_points=int(visible.sum()))
        # PnP errs mostly in depth, by up to metres when the corners are a few px off: move the
        # object along the ray through its centre, first coarsely over the whole search range
        # (the 2D position is trusted), then finely
        fine = half_window(s, self.diameter, camera)
        for window, step in ((max(s.search_m, s.search_fraction * t[2], fine), 0.01),
                             (fine, 0.005)):
            offset = depth_offset(camera[visible], depth, K, window, step)
            if offset is None:
                return DepthFit(R, t, False, 'few_depth_points', visible_points=int(visible.sum()))
            t = t * (1.0 + offset / t[2])
            camera = self.points @ R.T + t
        region = silhouette(camera, K, self._cell_px(camera, K), s.margin_px, depth.shape)
        targets = (self._targets(depth, K, region, camera[visible, 2]) if region is not None
                   else np.zeros((0, 3)))
        visible &= in_front_of_depth(camera, depth, K, s.occlusion_tolerance * self.diameter)
        if len(targets) < s.min_points or visible.sum() < s.min_points:
            return DepthFit(R, t, False, 'few_depth_points' if len(targets) < s.min_points
                            else 'few_visible_points', depth_points=len(targets),
                            visible_points=int(visible.sum()))
        index = np.flatnonzero(visible)
        if len(index) > s.max_model_points:
            index = index[np.linspace(0, len(index) - 1, s.max_model_points).astype(np.int64)]
        return self._icp(R, t, self.points[index], self.normals[index], targets)

    def _targets(self, depth, K, region, model_z):
        """Depth points ``(N, 3)`` m inside the silhouette, back-projected.

        The region is decimated by an integer stride so that about ``max_targets`` pixels
        remain (a near object costs no more than a far one).
        """
        s = self.settings
        (y0, y1, x0, x1), mask = region
        patch = depth[y0:y1, x0:x1]
        centre_z = float(np.median(model_z))
        half = half_window(s, self.diameter, model_z)
        keep = mask & (patch > 0) & (np.abs(patch - centre_z) < half)
        stride = max(1, int(round(np.sqrt(keep.sum() / s.max_targets))))
        rows, cols = np.nonzero(keep[::stride, ::stride])
        z = patch[rows * stride, cols * stride].astype(np.float64)
        u, v = cols * stride + x0, rows * stride + y0
        return np.stack([(u - K[0, 2]) * z / K[0, 0], (v - K[1, 2]) * z / K[1, 1], z], axis=1)

    def _icp(self, R, t, model, model_normals, targets):
        """Point-to-plane ICP of ``model`` ``(V, 3)`` (model frame) onto the depth points.

        The planes are the model points' own (normals ``(V, 3)``, model frame): the depth's
        normals are unreliable along the object's outline, where a small object has many of
        its points. Residual ``n . (s - q)``; its derivative by a turn ``w`` about the
        centroid ``c`` (normal and point both turn) is ``(q - c) x n``, by a shift ``n``.
        """
        s = self.settings
        tree = cKDTree(targets, balanced_tree=False, compact_nodes=False)  # built fastest
        reach = s.max_correspondence * self.diameter
        iteration = 0
        for iteration in range(1, s.iterations + 1):
            source = model @ R.T + t
            distance, index = tree.query(source, eps=s.neighbour_eps, distance_upper_bound=reach)
            found = np.isfinite(distance)
            if found.sum() < s.min_points:
                return DepthFit(R, t, False, 'few_correspondences', depth_points=len(targets),
                                visible_points=len(model), iterations=iteration)
            src, n, q = source[found], model_normals[found] @ R.T, targets[index[found]]
            residual = np.sum(n * (src - q), axis=1)
            mad = 1.4826 * np.median(np.abs(residual - np.median(residual)))
            weight = tukey_weights(residual, np.clip(4.685 * mad, 0.003, reach))
            centroid = src.mean(axis=0)
            jacobian = np.hstack([np.cross(q - centroid, n), n])  # (M, 6): d r / (w, tau)
            A = jacobian.T @ (jacobian * weight[:, None])
            A += np.eye(6) * (1e-6 + 1e-4 * np.trace(A) / 6.0)
            step = np.linalg.solve(A, -jacobian.T @ (weight * residual))
            turn = cv2.Rodrigues(step[:3].reshape(3, 1))[0]
            R, t = turn @ R, turn @ (t - centroid) + centroid + step[3:]
            if (np.linalg.norm(step[3:]) < s.converged_m
                    and np.linalg.norm(step[:3]) < np.radians(s.converged_deg)):
                break
        fit = DepthFit(R, t, True, 'ok', depth_points=len(targets), visible_points=len(model),
                       iterations=iteration)
        self._score(fit, model, model_normals, targets, tree)
        return fit

    def _score(self, fit, model, model_normals, targets, tree):
        """Inlier fraction and inlier point-to-plane RMS at the fitted pose."""
        source = model @ fit.R.T + fit.t
        distance, index = tree.query(source, distance_upper_bound=self.settings.inlier_m)
        inlier = np.isfinite(distance)
        fit.inlier_fraction = float(inlier.mean())
        if inlier.any():
            residual = np.sum((model_normals[inlier] @ fit.R.T)
                              * (source[inlier] - targets[index[inlier]]), axis=1)
            fit.rms_m = float(np.sqrt(np.mean(residual ** 2)))

    def _gate(self, fit, R0, t0):
        """Accept the fit only if it is good and close to the RGB pose (sets reason)."""
        s = self.settings
        before, after = R0 @ self.centre + t0, fit.R @ self.centre + fit.t
        ray = before / np.linalg.norm(before)
        move = after - before
        fit.shift_m = float(np.linalg.norm(move - (move @ ray) * ray))  # across the ray
        fit.rotation_deg = rotation_angle_deg(fit.R @ R0.T)
        checks = (('inliers', fit.inlier_fraction >= s.min_inlier_fraction),
                  ('residual', fit.rms_m <= s.max_rms_m),
                  ('shift', fit.shift_m <= s.max_shift * self.diameter),
                  ('rotation', fit.rotation_deg <= s.max_rotation_deg))
        for reason, good in checks:
            if not good:
                fit.accepted, fit.reason = False, reason
                return
