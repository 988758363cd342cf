# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""BOP-format object pose datasets (LINEMOD / LM, LM-O, ...), read in the BOP layout.

Format: https://github.com/thodan/bop_toolkit/blob/master/docs/bop_datasets_format.md ::

    <root>/models/models_info.json        {"<obj_id>": {"diameter", "min_x".., "size_x".. mm,
                                            "symmetries_discrete"?, "symmetries_continuous"?}}
    <root>/models/obj_<obj_id:06d>.ply    mesh in mm
    <root>/<split>/<scene_id:06d>/scene_camera.json   {"<im_id>": {"cam_K", "depth_scale"}}
                                 /scene_gt.json       {"<im_id>": [{"obj_id", "cam_R_m2c",
                                                                    "cam_t_m2c"}, ...]}
                                 /scene_gt_info.json  optional, {"<im_id>": [{"visib_fract"}]}
                                 /rgb/<im_id:06d>.png (or .jpg; gray/ for grayscale sets)
                                 /depth/<im_id:06d>.png      uint16, mm = value * depth_scale
                                 /mask_visib/<im_id:06d>_<gt_index:06d>.png
    <root>/test_targets_bop19.json        optional [{"scene_id", "im_id", "obj_id", ...}]

Everything returned here is in metres; rotations are row-major model -> camera matrices.
"""

import argparse
from dataclasses import dataclass, field
import json
import os
import sys

import cv2
import numpy as np

IMAGE_CANDIDATES = (('rgb', '.png'), ('rgb', '.jpg'), ('gray', '.png'), ('gray', '.tif'),
                    ('gray', '.jpg'))


class BopError(ValueError):
    """A BOP file or field is missing or invalid (the message names the file)."""


@dataclass(frozen=True, eq=False)
class ObjectInfo:
    """One object of ``models_info.json``, converted to metres (arrays are read-only)."""

    obj_id: int
    diameter_m: float            # largest distance between two model points, metres
    bbox_min_m: np.ndarray       # (3,) float64 lower corner of the model-frame box, metres
    bbox_size_m: np.ndarray      # (3,) float64 box extent along x, y, z, metres
    symmetric: bool              # any discrete or continuous symmetry (evaluate with ADD-S)
    mesh_path: str               # <root>/models/obj_<obj_id:06d>.ply (mm; not checked here)
    symmetries_discrete: np.ndarray = field(    # (N, 4, 4) float64, translation in metres
        default_factory=lambda: np.zeros((0, 4, 4)))
    symmetries_continuous: tuple = ()    # ((axis (3,), offset_m (3,)), ...)


def read_json(path):
    """Return the parsed JSON of ``path``; BopError when missing or not valid JSON."""
    path = os.fspath(path)
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise BopError(f'{path}: file not found') from None
    except (OSError, ValueError) as exc:
        raise BopError(f'{path}: cannot read JSON ({exc})') from None


def _numbers(value, count, path, name):
    """``value`` as a float64 array of ``count`` finite numbers; BopError otherwise."""
    try:
        array = np.asarray(value, np.float64).reshape(-1)
    except (TypeError, ValueError):
        array = None
    if array is None or array.size != count or not np.all(np.isfinite(array)):
        raise BopError(f'{path}: {name} must be {count} finite numbers, got {value!r}')
    return array


def _field(entry, key, path, where):
    """``entry[key]``; BopError naming the file and entry when absent."""
    if not isinstance(entry, dict) or key not in entry:
        raise BopError(f'{path}: {where} has no "{key}"')
    return entry[key]


def _int_keys(data, path):
    """``{int(key): value}`` of a JSON object keyed by decimal ids; BopError otherwise."""
    if not isinstance(data, dict):
        raise BopError(f'{path}: expected a JSON object keyed by id')
    try:
        return {int(key): value for key, value in data.items()}
    except ValueError:
        raise BopError(f'{path}: keys must be integer ids, got {list(data)[:3]}') from None


def _object_info(root, obj_id, entry, path):
    """Build the ObjectInfo of one ``models_info.json`` entry (mm -> m)."""
    where = f'object {obj_id}'
    diameter = _numbers(_field(entry, 'diameter', path, where), 1, path, f'{where} diameter')
    low = [_field(entry, f'min_{axis}', path, where) for axis in 'xyz']
    size = [_field(entry, f'size_{axis}', path, where) for axis in 'xyz']
    discrete = []
    for i, flat in enumerate(entry.get('symmetries_discrete', [])):
        matrix = _numbers(flat, 16, path, f'{where} symmetries_discrete[{i}]').reshape(4, 4)
        matrix[:3, 3] /= 1000.0
        discrete.append(matrix)
    continuous = []
    for i, sym in enumerate(entry.get('symmetries_continuous', [])):
        name = f'{where} symmetries_continuous[{i}]'
        axis = _numbers(_field(sym, 'axis', path, name), 3, path, f'{name} axis')
        offset = _numbers(_field(sym, 'offset', path, name), 3, path, f'{name} offset')
        continuous.append((_frozen(axis), _frozen(offset / 1000.0)))
    discrete = np.stack(discrete) if discrete else np.zeros((0, 4, 4))
    return ObjectInfo(
        obj_id=obj_id, diameter_m=float(diameter[0]) / 1000.0,
        bbox_min_m=_frozen(_numbers(low, 3, path, f'{where} min_x/y/z') / 1000.0),
        bbox_size_m=_frozen(_numbers(size, 3, path, f'{where} size_x/y/z') / 1000.0),
        symmetric=bool(discrete.shape[0] or continuous),
        mesh_path=os.path.join(os.fspath(root), 'models', f'obj_{obj_id:06d}.ply'),
        symmetries_discrete=_frozen(discrete), symmetries_continuous=tuple(continuous))


def _frozen(array):
    """``array`` made read-only (ObjectInfo is immutable)."""
    array.setflags(write=False)
    return array


def load_models_info(root, models_dir='models'):
    """``{obj_id: ObjectInfo}`` from ``<root>/<models_dir>/models_info.json`` (metres)."""
    path = os.path.join(os.fspath(root), models_dir, 'models_info.json')
    entries = _int_keys(read_json(path), path)
    return {obj_id: _object_info(root, obj_id, entry, path)
            for obj_id, entry in sorted(entries.items())}


def bbox_corners(info):
    """(8, 3) float64 corners of the model-frame box of ``info``, metres.

    Corner ``i`` takes max along x if bit 0 of ``i`` is set, along y if bit 1, along z if
    bit 2 (x varies fastest): index bits ``(ix, iy, iz) = (i & 1, i >> 1 & 1, i >> 2 & 1)``.
    """
    bits = (np.arange(8)[:, None] >> np.arange(3)[None, :]) & 1
    return np.asarray(info.bbox_min_m, np.float64) + bits * np.asarray(info.bbox_size_m)


def read_rgb(path):
    """Image file -> (H, W, 3) uint8 RGB (grayscale replicated, alpha dropped, 16 bit scaled)."""
    image = cv2.imread(os.fspath(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise BopError(f'{path}: cannot read image')
    if image.dtype == np.uint16:
        image = np.rint(image / 257.0).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise BopError(f'{path}: unsupported image type {image.dtype}')
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    if image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_depth(path, depth_scale):
    """BOP depth PNG -> (H, W) float32 metres (``value * depth_scale`` mm; 0 = no depth)."""
    depth = cv2.imread(os.fspath(path), cv2.IMREAD_UNCHANGED)
    if depth is None or depth.ndim != 2:
        raise BopError(f'{path}: cannot read a single-channel depth image')
    return (depth.astype(np.float64) * depth_scale / 1000.0).astype(np.float32)


def read_mask(path):
    """Mask PNG -> (H, W) bool (nonzero = object pixel)."""
    mask = cv2.imread(os.fspath(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise BopError(f'{path}: cannot read mask image')
    return (mask > 0) if mask.ndim == 2 else np.any(mask > 0, axis=2)


def load_targets(path, obj_id):
    """``{(scene_id, im_id)}`` of ``obj_id`` in a BOP targets file (test_targets_bop19.json)."""
    targets = read_json(path)
    if not isinstance(targets, list):
        raise BopError(f'{path}: expected a JSON list of targets')
    keys = set()
    for i, target in enumerate(targets):
        values = [_field(target, key, path, f'target {i}')
                  for key in ('obj_id', 'scene_id', 'im_id')]
        try:
            target_obj, scene_id, im_id = (int(v) for v in values)
        except (TypeError, ValueError):
            raise BopError(f'{path}: target {i} has non-integer ids {values}') from None
        if target_obj == obj_id:
            keys.add((scene_id, im_id))
    return keys


def _scene_folders(split_dir, scene_ids):
    """``[(scene_id, folder)]`` of the requested scenes (all 6-digit folders when None)."""
    if not os.path.isdir(split_dir):
        raise BopError(f'{split_dir}: split folder not found')
    if scene_ids is None:
        scene_ids = sorted(int(name) for name in os.listdir(split_dir)
                           if name.isdigit() and os.path.isdir(os.path.join(split_dir, name)))
    folders = [(int(s), os.path.join(split_dir, f'{int(s):06d}')) for s in scene_ids]
    for _, folder in folders:
        if not os.path.isdir(folder):
            raise BopError(f'{folder}: scene folder not found')
    return folders


def _camera(cameras, im_id, path):
    """``(K (3, 3) float64, depth_scale float or None)`` of one image of scene_camera.json."""
    where = f'image {im_id}'
    if im_id not in cameras:
        raise BopError(f'{path}: no camera for {where}')
    entry = cameras[im_id]
    K = _numbers(_field(entry, 'cam_K', path, where), 9, path, f'{where} cam_K').reshape(3, 3)
    scale = entry.get('depth_scale') if isinstance(entry, dict) else None
    if scale is not None:
        scale = float(_numbers(scale, 1, path, f'{where} depth_scale')[0])
    return K, scale


def _pose(gt, path, where):
    """``(R (3, 3) model->camera, t (3,) metres)`` of one scene_gt.json entry."""
    R = _numbers(_field(gt, 'cam_R_m2c', path, where), 9, path, f'{where} cam_R_m2c')
    t = _numbers(_field(gt, 'cam_t_m2c', path, where), 3, path, f'{where} cam_t_m2c')
    return R.reshape(3, 3), t / 1000.0


def _visib_fract(infos, im_id, gt_index, path):
    """``visib_fract`` of one instance from scene_gt_info.json (None when not given)."""
    if infos is None:
        return None
    entries = infos.get(im_id)
    if not isinstance(entries, list) or gt_index >= len(entries):
        raise BopError(f'{path}: no entry {gt_index} for image {im_id}')
    value = entries[gt_index].get('visib_fract') if isinstance(entries[gt_index], dict) else None
    return None if value is None else float(_numbers(value, 1, path, 'visib_fract')[0])


def scene_instances(folder, scene_id, obj_id, images=None):
    """Index entries (no pixels) of every ``obj_id`` instance in one scene folder.

    ``images``: optional set of im_ids to keep. Entries are dicts with scene_id, im_id,
    gt_index, folder, K, depth_scale, R, t (metres) and visib_fract.
    """
    gt_path = os.path.join(folder, 'scene_gt.json')
    cam_path = os.path.join(folder, 'scene_camera.json')
    info_path = os.path.join(folder, 'scene_gt_info.json')
    gts = _int_keys(read_json(gt_path), gt_path)
    cameras = _int_keys(read_json(cam_path), cam_path)
    infos = _int_keys(read_json(info_path), info_path) if os.path.isfile(info_path) else None
    entries = []
    for im_id in sorted(gts):
        if images is not None and im_id not in images:
            continue
        if not isinstance(gts[im_id], list):
            raise BopError(f'{gt_path}: image {im_id} must map to a list of instances')
        for gt_index, gt in enumerate(gts[im_id]):
            where = f'image {im_id} instance {gt_index}'
            if int(_field(gt, 'obj_id', gt_path, where)) != obj_id:
                continue
            K, scale = _camera(cameras, im_id, cam_path)
            R, t = _pose(gt, gt_path, where)
            entries.append({'scene_id': scene_id, 'im_id': im_id, 'gt_index': gt_index,
                            'folder': folder, 'K': K, 'depth_scale': scale, 'R': R, 't': t,
                            'visib_fract': _visib_fract(infos, im_id, gt_index, info_path)})
    return entries


class BopSource:
    """Instances of one object in one split of a BOP dataset, images read lazily.

    ``split``: folder name under ``root`` (``test``, ``train``, ``train_pbr``, ...).
    ``scene_ids``: scenes to read (default: every 6-digit folder). ``targets_file``: a BOP
    targets list (e.g. ``test_targets_bop19.json``, relative to ``root`` or absolute) that
    restricts the images. ``max_frames``: keep at most this many records (instances).
    All JSON is read and checked in the constructor; ``len()`` reads no image.
    """

    def __init__(self, root, split, obj_id, scene_ids=None, targets_file=None,
                 max_frames=None):
        """Read and check the scenes' JSON files and index the instances of ``obj_id``."""
        self.root = os.fspath(root)
        self.split = split
        self.obj_id = int(obj_id)
        images = None
        if targets_file is not None:
            images = load_targets(os.path.join(self.root, os.fspath(targets_file)),
                                  self.obj_id)
        self.entries = []
        for scene_id, folder in _scene_folders(os.path.join(self.root, split), scene_ids):
            keep = None if images is None else {im for s, im in images if s == scene_id}
            self.entries += scene_instances(folder, scene_id, self.obj_id, keep)
            if max_frames is not None and len(self.entries) >= max_frames:
                break
        if max_frames is not None:
            self.entries = self.entries[:max_frames]

    def __len__(self):
        """Return the number of records (object instances); reads no image."""
        return len(self.entries)

    def record(self, index):
        """Record ``index`` (see ``records``), its images read now."""
        entry = self.entries[index]
        folder, im_id = entry['folder'], entry['im_id']
        depth_path = os.path.join(folder, 'depth', f'{im_id:06d}.png')
        mask_path = os.path.join(folder, 'mask_visib', f'{im_id:06d}_{entry["gt_index"]:06d}.png')
        depth = None
        if os.path.isfile(depth_path):
            if entry['depth_scale'] is None:
                raise BopError(f'{folder}/scene_camera.json: image {im_id} has no depth_scale')
            depth = read_depth(depth_path, entry['depth_scale'])
        return {'rgb': read_rgb(image_path(folder, im_id)), 'K': entry['K'].copy(),
                'R': entry['R'].copy(), 't': entry['t'].copy(), 'obj_id': self.obj_id,
                'scene_id': entry['scene_id'], 'im_id': im_id, 'gt_index': entry['gt_index'],
                'depth_m': depth,
                'mask': read_mask(mask_path) if os.path.isfile(mask_path) else None,
                'visib_fract': entry['visib_fract']}

    def records(self):
        """Yield one dict per instance, in scene, image, gt_index order.

        Keys: ``rgb`` (H, W, 3) uint8 RGB; ``K`` (3, 3) float64; ``R`` (3, 3) float64 model ->
        camera; ``t`` (3,) float64 metres; ``obj_id``, ``scene_id``, ``im_id``, ``gt_index``
        ints; ``depth_m`` (H, W) float32 metres or None; ``mask`` (H, W) bool visible pixels
        or None; ``visib_fract`` float or None.
        """
        for index in range(len(self.entries)):
            yield self.record(index)


def image_path(folder, im_id):
    """Colour (``rgb/``) or grayscale (``gray/``) image of ``im_id``; BopError when absent."""
    for sub, ext in IMAGE_CANDIDATES:
        path = os.path.join(folder, sub, f'{im_id:06d}{ext}')
        if os.path.isfile(path):
            return path
    raise BopError(f'{os.path.join(folder, "rgb", f"{im_id:06d}.png")}: image not found')


def main(argv=None):
    """Print the number of instances of an object in a split and its diameter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', required=True, help='BOP dataset folder (e.g. .../lmo)')
    parser.add_argument('--split', default='test')
    parser.add_argument('--obj-id', type=int, required=True)
    parser.add_argument('--targets', help='targets file, e.g. test_targets_bop19.json')
    args = parser.parse_args(argv)
    try:
        infos = load_models_info(args.root)
        if args.obj_id not in infos:
            raise BopError(f'{os.path.join(args.root, "models", "models_info.json")}: '
                           f'no object {args.obj_id}')
        source = BopSource(args.root, args.split, args.obj_id, targets_file=args.targets)
    except (BopError, OSError) as exc:
        print(f'training.object.bop: {exc}', file=sys.stderr)
        return 2
    info = infos[args.obj_id]
    print(f'object {args.obj_id} in {args.split}: {len(source)} instances, '
          f'diameter {info.diameter_m:.4f} m{" (symmetric)" if info.symmetric else ""}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
