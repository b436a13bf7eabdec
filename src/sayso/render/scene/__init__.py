"""Scene effects over the composited frame: rain, snow, fog, night, golden hour, neon,
black and white, film grain, vignette.

build() precomputes everything random (particles, bokeh, noise tiles, masks) from the
seed; Scene.plate() changes the clean background once per clip (the static, costly
part: defocus, bokeh, heavy haze); Scene.frame() changes every frame, as a pure
function of its index. Effects apply in a fixed order whatever order they are named
in: weather, light, grade, grain, vignette (grain and vignette last, as in a camera).

A Scene holds per-thread scratch buffers only, so one Scene may render frames on
several threads at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...errors import BadOptionError
from .base import Effect
from .film import BlackAndWhite, Grain, Vignette
from .light import GoldenHour, Neon, Night
from .weather import Fog, Rain, Snow

__all__ = ["SCENES", "Effect", "Scene", "build"]

SCENES = ("rain", "snow", "fog", "night", "golden-hour", "neon", "bw", "grain", "vignette")  # canonical order


@dataclass(frozen=True, eq=False)
class Scene:
    """The effects of one clip, in canonical order, with their precomputed state."""

    names: tuple[str, ...]  # canonical order, each once
    effects: tuple[Effect, ...]  # one per name
    size: tuple[int, int]  # (width, height) of the frames it was built for

    def _check(self, image: np.ndarray, what: str) -> None:
        if image.shape[:2] != (self.size[1], self.size[0]):
            raise ValueError(f"scene built for {self.size[0]}x{self.size[1]} got a {what} of shape {image.shape}")

    def plate(self, plate: np.ndarray) -> np.ndarray:
        """(h, w, 3) float32 RGB 0..255 background without the person -> the same, changed
        (a new array; the input is never written). With no effect, the input itself."""
        self._check(plate, "plate")
        out = np.ascontiguousarray(plate, np.float32)  # cv2 wants contiguous float32: a copy only if not
        for effect in self.effects:
            out = effect.plate(out)
        return out if out is plate else np.clip(out, 0, 255, out=out)

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        """Frame i: (h, w, 3) float32 RGB 0..255 composite, near (h, w) float32 0..1 (1 on the
        person, 0 on the far background) -> the frame with effects, float32 roughly 0..255
        (the caller clips and rounds). frame may be changed in place and returned."""
        self._check(frame, "frame")
        frame, near = np.ascontiguousarray(frame, np.float32), np.ascontiguousarray(near, np.float32)
        for effect in self.effects:
            frame = effect.frame(frame, near, i)
        return frame


def build(names: Sequence[str], width: int, height: int, fps: Fraction, seed: int,
          face_box: tuple[int, int, int, int]) -> Scene:
    """The named effects (any order, repeats ignored) for width x height frames at fps.

    face_box: x0, y0, x1, y1 of the face in output pixels: front particles thin out over it,
    lights keep away from it, neon's two colours meet across it, the sun sits away from it.
    Raises BadOptionError for a name not in SCENES."""
    unknown = [n for n in names if n not in SCENES]
    if unknown:
        raise BadOptionError(f"unknown scene effect {unknown[0]!r}: choose from {', '.join(SCENES)}")
    if width < 1 or height < 1 or fps <= 0:
        raise BadOptionError(f"scene size {width}x{height} at {fps} fps is not a video frame")
    chosen = tuple(n for n in SCENES if n in names)
    rate = float(fps)
    box = _clip_box(face_box, width, height)
    makers = {
        # at night the person is already darker: rain darkening them again cost the face its identity
        "rain": lambda: Rain.make(width, height, rate, seed, box, 1.0 if "night" in chosen else 0.82),
        "snow": lambda: Snow.make(width, height, rate, seed, box),
        "fog": lambda: Fog.make(width, height, rate, seed),
        "night": lambda: Night.make(width, height, rate, seed, box),
        "golden-hour": lambda: GoldenHour.make(width, height, seed, box),
        "neon": lambda: Neon.make(width, height, seed, box),
        "bw": lambda: BlackAndWhite.make(),
        "grain": lambda: Grain.make(seed),
        "vignette": lambda: Vignette.make(width, height),
    }
    return Scene(chosen, tuple(makers[n]() for n in chosen), (width, height))


def _clip_box(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """The face box as ints inside the frame, at least one pixel wide and high."""
    x0, y0 = min(max(int(box[0]), 0), width - 1), min(max(int(box[1]), 0), height - 1)
    return x0, y0, max(x0 + 1, min(int(box[2]), width)), max(y0 + 1, min(int(box[3]), height))
