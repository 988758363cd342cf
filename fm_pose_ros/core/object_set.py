# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Several objects in one image: one ObjectEstimator per weights file, named for topics. No ROS.

Each weights file holds its own networks (locator and corner network), so the objects of a
frame cannot be batched together: they run one after the other on the same converted image,
and a frame costs the sum of its objects' times. Each object is named after the ``name`` in
its weights metadata, made topic-safe (``topic_name``); two objects may not share a name.
"""

from dataclasses import dataclass
import re
import time

from fm_pose_ros.core.object_estimator import NoObjectError

MAX_NAME_CHARS = 64  # topic names have a length limit; longer object names are cut
_UNSAFE = re.compile('[^a-z0-9_]')


def topic_name(name, reserved=()):
    """Return object ``name`` (weights metadata) as a topic-safe name.

    Lowercase; every character outside ``[a-z0-9_]`` becomes '_'; a leading digit gets an
    'o_' prefix; empty -> 'object'; cut to MAX_NAME_CHARS. A name in ``reserved`` (a topic
    the node publishes beside the objects' own) gets an '_object' suffix.
    """
    safe = _UNSAFE.sub('_', str(name).lower()) or 'object'
    safe = ('o_' + safe if safe[0].isdigit() else safe)[:MAX_NAME_CHARS]
    return safe + '_object' if safe in reserved else safe


def unique_names(names, paths, reserved=()):
    """Topic names of objects ``names`` from files ``paths``; ValueError when two are the same.

    The error is one line naming both files.
    """
    safe = [topic_name(name, reserved) for name in names]
    for i, name in enumerate(safe):
        first = safe.index(name)
        if first != i:
            raise ValueError(f"{paths[first]} and {paths[i]} both hold an object named '{name}' "
                             '(as a topic name): each object needs its own name (the name in '
                             'its weights metadata)')
    return safe


@dataclass
class NamedObject:
    """One object of an ObjectSet: topic name, weights file, estimator and frame counts."""

    name: str
    path: str
    estimator: object        # ObjectEstimator
    found: int = 0           # frames in which it was found
    not_found: int = 0       # frames in which it was not
    last_ms: float = None    # wall time of its last estimate (+ depth refinement), ms
    problem: str = ''        # why it was not found in the last frame that missed it


class ObjectSet:
    """The objects of one node, in the order of their weights files; run one after the other."""

    def __init__(self, paths, make, reserved=()):
        """``make(path)`` -> ObjectEstimator; names as ``unique_names`` (ValueError on a clash)."""
        estimators = [make(path) for path in paths]
        names = unique_names([e.metadata['object'].get('name', '') for e in estimators], paths,
                             reserved)
        self.objects = [NamedObject(*parts) for parts in zip(names, paths, estimators)]

    @property
    def device(self):
        """Inference device: every object's estimator runs on it."""
        return self.objects[0].estimator.device

    @property
    def backend_name(self):
        """Inference backend: the first object's (the others were asked for the same)."""
        return self.objects[0].estimator.backend_name

    @property
    def trained(self):
        """False when any object's weights are untrained placeholders."""
        return all(obj.estimator.trained for obj in self.objects)

    def estimate(self, rgb, K):
        """Run every object's estimator on ``rgb`` ``(H, W, 3)`` uint8 RGB with ``K`` (3, 3).

        Returns ``[(NamedObject, ObjectEstimate)]`` of the objects found, in the order of
        ``objects``, and counts found / not found per object. Errors other than NoObjectError
        (camera.IntrinsicsError, finite.NonFiniteOutput) end the frame for every object.
        """
        found = []
        for obj in self.objects:
            start = time.perf_counter()
            try:
                found.append((obj, obj.estimator.estimate(rgb, K)))
                obj.found += 1
            except NoObjectError as exc:
                obj.not_found, obj.problem = obj.not_found + 1, str(exc)
            finally:
                obj.last_ms = (time.perf_counter() - start) * 1e3
        return found

    def refine(self, found, depth_m, K):
        """Refine each of ``found`` against ``depth_m`` ``(H, W)`` m; return their DepthFits."""
        fits = []
        for obj, estimate in found:
            start = time.perf_counter()
            fits.append(obj.estimator.refine(estimate, depth_m, K).depth_fit)
            obj.last_ms += (time.perf_counter() - start) * 1e3
        return fits

    def problems(self):
        """One line on why no object was found: each object's name and reason."""
        return '; '.join(f'{obj.name}: {obj.problem}' for obj in self.objects)
