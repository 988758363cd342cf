# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
r"""Text from files and messages made safe to log: one line, no terminal control, bounded.

A string read from a weights file, a parameters file, a bag or a message (an object name, a
frame id, an encoding, a topic name) may hold escape sequences that clear or recolour the
terminal, or a newline that forges a second log line. ``printable`` escapes every character
that is not printable (control and format characters, line and paragraph separators) the way
Python writes them in a string literal (``\x1b``, ``\n``, ``\u2028``), and cuts the text to
a length.
"""

LOG_LIMIT = 500  # characters of one logged value, after escaping


def printable(value, limit=LOG_LIMIT):
    """Return ``str(value)`` on one line, control characters escaped, at most ``limit`` chars.

    A cut text ends with ``...`` after the last whole escape that fits; ``limit`` counts the
    escaped characters.
    """
    text = str(value)
    if len(text) <= limit and text.isprintable():
        return text
    pieces = [c if c.isprintable() else c.encode('unicode_escape').decode('ascii')
              for c in text[:limit + 1]]
    if len(text) <= limit and sum(map(len, pieces)) <= limit:
        return ''.join(pieces)
    kept, length = [], 0
    for piece in pieces:
        if length + len(piece) > limit - 3:
            break
        kept.append(piece)
        length += len(piece)
    return ''.join(kept) + '...'
