# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""``sensor_msgs/Image`` <-> numpy without cv_bridge, and depth in REP 118 units.

Works on any object with the Image fields (``height``, ``width``, ``encoding``,
``is_bigendian``, ``step``, ``data``): rclpy messages and rosbags messages alike, so the
node, the bag tools and the tests share it. PyPI's ``cv-bridge`` misreads 16UC1, so it is
not used; every layout rule (row ``step`` padding, endianness) is handled here.
"""

import numpy as np

# encoding -> (numpy dtype without byte order, channels)
ENCODINGS = {
    '16UC1': ('u2', 1),
    'mono16': ('u2', 1),
    '32FC1': ('f4', 1),
    'mono8': ('u1', 1),
    '8UC1': ('u1', 1),
    'rgb8': ('u1', 3),
    'bgr8': ('u1', 3),
    'rgba8': ('u1', 4),
    'bgra8': ('u1', 4),
}
DEPTH_ENCODINGS = ('16UC1', 'mono16', '32FC1')


class ImageFormatError(ValueError):
    """An Image message that cannot be read as the array it claims to hold."""


def image_to_array(msg):
    """Return the pixels of an Image message as a native-endian array.

    Shape ``(H, W)`` for one channel, ``(H, W, C)`` otherwise, dtype from the encoding.
    Raises ImageFormatError for unknown encodings, empty images or a step/size mismatch.
    """
    if msg.encoding not in ENCODINGS:
        raise ImageFormatError(
            f"unsupported encoding '{msg.encoding}' (supported: {', '.join(ENCODINGS)})")
    kind, channels = ENCODINGS[msg.encoding]
    dtype = np.dtype(kind).newbyteorder('>' if msg.is_bigendian else '<')
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height == 0 or width == 0:
        raise ImageFormatError(f'empty image ({width}x{height})')
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ImageFormatError(
            f'step {step} is smaller than width*channels*bytes = {row_bytes} '
            f'for {msg.encoding} {width}x{height}')
    buffer = np.frombuffer(bytes(msg.data) if isinstance(msg.data, list) else msg.data,
                           dtype=np.uint8)
    if buffer.size != step * height:
        raise ImageFormatError(
            f'data has {buffer.size} bytes, expected step*height = {step}*{height} '
            f'= {step * height}')
    rows = buffer.reshape(height, step)[:, :row_bytes]
    pixels = np.ascontiguousarray(rows).view(dtype).astype(dtype.newbyteorder('='), copy=False)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return pixels.reshape(shape)


def depth_to_mm(msg):
    """Return a depth Image as float32 millimetres, ``(H, W)``, with 0 = no measurement.

    REP 118: 16UC1/mono16 hold millimetres with 0 = invalid; 32FC1 holds metres with
    NaN (or +-inf, or <= 0, or too large for float32 millimetres) = invalid.
    """
    if msg.encoding not in DEPTH_ENCODINGS:
        raise ImageFormatError(
            f"depth image has encoding '{msg.encoding}', expected one of "
            f"{', '.join(DEPTH_ENCODINGS)}")
    pixels = image_to_array(msg)
    if msg.encoding == '32FC1':
        with np.errstate(over='ignore', invalid='ignore'):  # > 3.4e35 m: inf, then invalid
            depth = pixels.astype(np.float32) * np.float32(1000.0)
        depth[~np.isfinite(depth) | (depth < 0)] = 0.0
        return depth
    return pixels.astype(np.float32)


def fill_image(msg, array, encoding):
    """Fill an Image message (fields only; header untouched) from a numpy array.

    The array must match the encoding's dtype kind and channel count; the data is
    written little-endian with a tight ``step``.
    """
    if encoding not in ENCODINGS:
        raise ImageFormatError(f"unsupported encoding '{encoding}'")
    kind, channels = ENCODINGS[encoding]
    array = np.asarray(array)
    expected_ndim = 2 if channels == 1 else 3
    if array.ndim != expected_ndim or (channels > 1 and array.shape[2] != channels):
        raise ImageFormatError(
            f'array of shape {array.shape} does not fit encoding {encoding}')
    data = np.ascontiguousarray(array, dtype=np.dtype(kind).newbyteorder('<'))
    msg.height, msg.width = int(array.shape[0]), int(array.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = int(msg.width * channels * data.dtype.itemsize)
    msg.data = data.tobytes()
    return msg


def mm_to_depth_array(depth_mm, encoding):
    """Convert float mm depth (0 = none) to the array for a 16UC1 or 32FC1 message."""
    depth_mm = np.asarray(depth_mm, dtype=np.float32)
    if encoding in ('16UC1', 'mono16'):
        return np.clip(np.rint(depth_mm), 0, 65535).astype(np.uint16)
    if encoding == '32FC1':
        metres = depth_mm / np.float32(1000.0)
        metres[depth_mm <= 0] = np.nan
        return metres
    raise ImageFormatError(f"'{encoding}' is not a depth encoding")
