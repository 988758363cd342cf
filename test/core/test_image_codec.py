# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Image <-> numpy: round trips, step padding, endianness, and readable errors."""

import re
import warnings

import numpy as np
import pytest
from sensor_msgs.msg import Image

from fm_pose_ros.core.image_codec import (
    depth_to_mm, ENCODINGS, fill_image, image_to_array, ImageFormatError, mm_to_depth_array)


def random_array(encoding, rng, shape=(5, 7)):
    kind, channels = ENCODINGS[encoding]
    full = shape if channels == 1 else shape + (channels,)
    if kind == 'f4':
        return rng.normal(size=full).astype(np.float32)
    return rng.integers(0, np.iinfo(kind).max, size=full).astype(kind)


@pytest.mark.parametrize('encoding', sorted(ENCODINGS))
def test_round_trip_every_encoding(encoding):
    array = random_array(encoding, np.random.default_rng(0))
    msg = fill_image(Image(), array, encoding)
    np.testing.assert_array_equal(image_to_array(msg), array)


@pytest.mark.parametrize('encoding', ['16UC1', '32FC1', 'rgb8'])
def test_step_padding_is_skipped(encoding):
    array = random_array(encoding, np.random.default_rng(1))
    msg = fill_image(Image(), array, encoding)
    pad = 6
    rows = np.frombuffer(bytes(msg.data), np.uint8).reshape(msg.height, msg.step)
    padded = np.concatenate([rows, np.full((msg.height, pad), 0xAB, np.uint8)], axis=1)
    msg.step += pad
    msg.data = padded.tobytes()
    np.testing.assert_array_equal(image_to_array(msg), array)


@pytest.mark.parametrize('encoding', ['16UC1', '32FC1'])
def test_big_endian_data(encoding):
    array = random_array(encoding, np.random.default_rng(2))
    msg = fill_image(Image(), array, encoding)
    msg.is_bigendian = 1
    msg.data = array.astype(array.dtype.newbyteorder('>')).tobytes()
    np.testing.assert_array_equal(image_to_array(msg), array)


def test_depth_units_16uc1_and_32fc1_agree():
    depth_mm = np.array([[0.0, 500.0], [1234.0, 65535.0]], np.float32)
    from_mm = depth_to_mm(fill_image(Image(), mm_to_depth_array(depth_mm, '16UC1'), '16UC1'))
    from_m = depth_to_mm(fill_image(Image(), mm_to_depth_array(depth_mm, '32FC1'), '32FC1'))
    np.testing.assert_allclose(from_mm, depth_mm)
    np.testing.assert_allclose(from_m, depth_mm, rtol=1e-6)


def test_32fc1_nan_inf_and_negative_become_missing():
    metres = np.array([[np.nan, np.inf], [-np.inf, -0.5]], np.float32)
    depth = depth_to_mm(fill_image(Image(), metres, '32FC1'))
    np.testing.assert_array_equal(depth, np.zeros((2, 2)))


def test_32fc1_beyond_float32_millimetres_is_missing_without_a_numpy_warning():
    metres = np.array([[3e38, 0.55], [-3e38, 3.4e35]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # an overflow warning would raise here
        depth = depth_to_mm(fill_image(Image(), metres, '32FC1'))
    np.testing.assert_allclose(depth, [[0.0, 550.0], [0.0, 3.4e38]], rtol=1e-6)


@pytest.mark.parametrize('mutate, message', [
    (lambda m: setattr(m, 'encoding', 'yuv422'), 'unsupported encoding'),
    (lambda m: setattr(m, 'step', 3), 'step 3 is smaller'),
    (lambda m: setattr(m, 'data', bytes(10)), 'expected step*height'),
    (lambda m: (setattr(m, 'height', 0), setattr(m, 'data', b'')), 'empty image'),
])
def test_bad_images_raise_readable_errors(mutate, message):
    msg = fill_image(Image(), np.zeros((4, 4), np.uint16), '16UC1')
    mutate(msg)
    with pytest.raises(ImageFormatError, match=re.escape(message)):
        image_to_array(msg)


def test_depth_rejects_colour_encoding():
    msg = fill_image(Image(), np.zeros((2, 2, 3), np.uint8), 'rgb8')
    with pytest.raises(ImageFormatError, match='expected one of'):
        depth_to_mm(msg)
