"""The Performance value: per-frame controls that drive the renderer. Saveable."""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction
from pathlib import Path

import numpy as np

# Column names of Performance.mouth and Performance.expression, in order.
MOUTH_CHANNELS = ("jaw", "spread", "round", "press", "tuck")
EXPRESSION_CHANNELS = ("smile", "sad", "angry", "surprised")


@dataclass(frozen=True)
class Performance:
    """What the face does in each frame; all arrays have num_frames rows, float32.

    mouth: (n, 5) in [0, 1], columns MOUTH_CHANNELS (jaw drop, lip spread, lip round,
        lip press, lower lip tucked under the upper teeth).
    expression: (n, 4) in [0, 1], columns EXPRESSION_CHANNELS.
    blink: (n,) in [0, 1], 1 = lids closed.
    gaze: (n, 2) iris offset as a fraction of the eye width, x right, y down.
    head: (n, 3) yaw, pitch, roll in degrees (yaw right, pitch down, roll clockwise).
    breath: (n,) in [-1, 1], chest and head rise.
    """

    fps: Fraction
    mouth: np.ndarray
    expression: np.ndarray
    blink: np.ndarray
    gaze: np.ndarray
    head: np.ndarray
    breath: np.ndarray

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
            arrays = {f.name: data[f.name].astype(np.float32) for f in fields(cls) if f.name != "fps"}
        return cls(fps=Fraction(num, den), **arrays)
