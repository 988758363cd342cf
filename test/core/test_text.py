# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Text from files and messages made safe to log: one line, no terminal control, bounded."""

import pytest

from fm_pose_ros.core.text import LOG_LIMIT, printable


def test_plain_text_is_unchanged():
    assert printable("object 'driller', frame camera_color_optical_frame") == (
        "object 'driller', frame camera_color_optical_frame")
    assert printable(ValueError('bad K')) == 'bad K'


@pytest.mark.parametrize('hostile, shown', [
    ('box\x1b[2J\n[FATAL] [hand_node]: forged', 'box\\x1b[2J\\n[FATAL] [hand_node]: forged'),
    ('a\rb\tc\x00d\x7f', 'a\\rb\\tc\\x00d\\x7f'),
    ('line\u2028sep\u202eltr', 'line\\u2028sep\\u202eltr'),
])
def test_control_characters_are_escaped_on_one_line(hostile, shown):
    text = printable(hostile)
    assert text == shown and text.isprintable()


def test_long_text_is_cut():
    assert printable('x' * 10_000) == 'x' * (LOG_LIMIT - 3) + '...'
    assert printable('\n' * 10_000, limit=20) == '\\n' * 8 + '...'
    assert printable('abcdef', limit=6) == 'abcdef' and printable('abcdefg', 6) == 'abc...'
