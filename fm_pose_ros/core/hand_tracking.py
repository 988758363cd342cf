# Copyright 2026 fm_pose_ros contributors
# SPDX-License-Identifier: Apache-2.0
"""Hand tracking between learned-locator runs: follow the centre by centre-of-mass steps.

While the hand is found, the next frame's centre is the last centre refined by one
centre-of-mass-in-the-cube step (``hand_com.centre_of_mass_in_cube``). The tracker gives up,
so that the locator runs again, when that step fails (too few pixels in the cube), when the
cube lost more than half its pixels or the centre jumped by more than ``TRACK_JUMP_MM``, and
at least every ``every`` frames. Centres ``(3,)`` mm, camera optical frame; depth ``(H, W)``
float mm; ``K`` (3, 3) intrinsics; ``settings`` a ``hand_codec.HandCropSettings``.
"""

import numpy as np

from fm_pose_ros.core.hand_com import centre_of_mass_in_cube, count_in_cube

TRACK_JUMP_MM = 80.0        # tracked centre moving farther than this in one frame: re-locate
TRACK_KEEP_FRACTION = 0.5   # pixels in the cube falling below this share: re-locate


class HandTracker:
    """The last hand centre, the pixels in its cube and the frames since the locator ran."""

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget the hand: the next frame needs the locator."""
        self.state = None  # (centre mm (3,), pixels in its cube, frames since the locator)

    def follow(self, depth_mm, K, settings, every):
        """Return the last centre refined on this frame, or None when the locator must run."""
        if self.state is None or every <= 1:
            return None
        com, pixels, age = self.state
        if age + 1 >= every:
            return None
        depth = np.asarray(depth_mm, np.float32)
        refined = centre_of_mass_in_cube(depth, com, K, settings)
        if refined is None or np.linalg.norm(refined - com) > TRACK_JUMP_MM:
            return None
        if count_in_cube(depth, refined, K, settings) < TRACK_KEEP_FRACTION * pixels:
            return None
        return refined

    def update(self, depth_mm, K, com, settings, tracked):
        """Remember this frame's centre ``com`` (None: the hand is lost).

        ``tracked``: the centre came from ``follow`` (else from the locator).
        """
        if com is None:
            self.state = None
            return
        age = self.state[2] + 1 if tracked else 0
        pixels = count_in_cube(np.asarray(depth_mm, np.float32), com, K, settings)
        self.state = (np.asarray(com, np.float64), pixels, age)
