# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Object pose from 2D-3D correspondences: PnP with RANSAC and refinement (OpenCV).

Pose ``(R, t)``: ``R`` ``(3, 3)`` model -> camera rotation, ``t`` ``(3,)`` metres in the camera
optical frame (x right, y down, z forward); image points in full-image pixels with integer
pixel centres; ``K`` the (3, 3) intrinsics. The object estimator turns its 8 decoded corner
projections (``object_codec.decode_corners``) into a pose here.
"""

import cv2
import numpy as np


def solve_pnp(corners, uv, K, threshold_px):
    """Pose ``(R (3, 3), t (3,) m)`` from 8 corner projections ``(8, 2)`` px, or None.

    RANSAC (EPnP minimal sets) with ``threshold_px`` inlier threshold, then Levenberg-
    Marquardt refinement on the inliers; falls back to all corners if RANSAC finds nothing.
    """
    obj = np.ascontiguousarray(corners, np.float64).reshape(-1, 1, 3)
    img = np.ascontiguousarray(uv, np.float64).reshape(-1, 1, 2)
    K = np.asarray(K, np.float64)
    ok, rvec, tvec, inliers = cv2.solvePnPRansac(
        obj, img, K, None, iterationsCount=64, reprojectionError=float(threshold_px),
        confidence=0.999, flags=cv2.SOLVEPNP_EPNP)
    keep = inliers.ravel() if ok and inliers is not None and len(inliers) >= 5 else None
    if keep is None:
        ok, rvec, tvec = cv2.solvePnP(obj, img, K, None, flags=cv2.SOLVEPNP_EPNP)
        if not ok:
            return None
        keep = np.arange(len(obj))
    rvec, tvec = cv2.solvePnPRefineLM(obj[keep], img[keep], K, None, rvec, tvec)
    if not np.all(np.isfinite(tvec)) or tvec[2, 0] <= 0:
        return None
    return cv2.Rodrigues(rvec)[0], tvec.ravel()
