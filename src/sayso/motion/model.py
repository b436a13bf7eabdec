"""The Performance value: per-frame controls that drive the renderer. Saveable."""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction
from pathlib import Path

import numpy as np

# Column names of Performance.mouth and Performance.expression, in order.
MOUTH_CHANNELS = ("jaw", "spread", "round", "press", "tuck")
# Facial action units (FACS numbers in brackets): expressions are mixes of these, so
# they combine with speech; the mouth's own shapes stay in MOUTH_CHANNELS.
EXPRESSION_CHANNELS = (
    "cheek_raise",  # [6] cheeks up, lower lids pushed up
    "corner_pull",  # [12] lip corners out and up
    "corner_depress",  # [15] lip corners down
    "brow_lower",  # [4] brows down and together
    "inner_brow_raise",  # [1]
    "outer_brow_raise",  # [2]
    "lid_tighten",  # [7] lids narrowed
    "lid_raise",  # [5] upper lids up, eyes wide
    "nose_wrinkle",  # [9]
    "upper_lip_raise",  # [10]
    "lip_press",  # [24] lips pressed thin
    "lip_stretch",  # [20] lips pulled sideways
)
CAMERA_CHANNELS = ("zoom", "pan_x", "pan_y")


@dataclass(frozen=True)
class Performance:
    """What the face does in each frame; all arrays have num_frames rows, float32.

    mouth: (n, 5) in [0, 1], columns MOUTH_CHANNELS (jaw drop, lip spread, lip round,
        lip press, lower lip tucked under the upper teeth).
    expression: (n, 12) in [0, 1], columns EXPRESSION_CHANNELS (action units).
    blink: (n,) in [0, 1], 1 = lids closed.
    gaze: (n, 2) iris offset as a fraction of the eye width, x right, y down.
    head: (n, 3) yaw, pitch, roll in degrees (yaw right, pitch down, roll clockwise).
    breath: (n,) in [-1, 1], chest and head rise.
    camera: (n, 3) columns CAMERA_CHANNELS: zoom (1 = the framing as is, > 1 closer) and
        pan x, y as fractions of the frame's width and height (+ = the view moves right, down).
    replace: (n,) in [0, 1], how much of the photo's own expression (its smile) the
        expression columns take the place of: 0 = they add to the photo's face as it is,
        1 = they are the whole target (a smiling photo turned angry loses its smile).
        None (an older performance) reads as zeros.
    """

    fps: Fraction
    mouth: np.ndarray
    expression: np.ndarray
    blink: np.ndarray
    gaze: np.ndarray
    head: np.ndarray
    breath: np.ndarray
    camera: np.ndarray
    replace: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.replace is None:
            object.__setattr__(self, "replace", np.zeros(self.num_frames, np.float32))

    @property
    def num_frames(self) -> int:
        return int(self.blink.shape[0])

    def save(self, path: str | Path) -> None:
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "fps"}
        np.savez_compressed(path, fps=np.array([self.fps.numerator, self.fps.denominator]), **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "Performance":
        with np.load(path) as data:
            num, den = (int(v) for v in data["fps"])
            arrays = {f.name: data[f.name].astype(np.float32) for f in fields(cls)
                      if f.name != "fps" and f.name in data.files}
        return cls(fps=Fraction(num, den), **arrays)
