"""The FaceRig value: one analysed photo, ready to be animated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FaceBox:
    """A detected face: box in photo pixels and the detector's score."""

    x: float
    y: float
    width: float
    height: float
    score: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height / 2)


@dataclass(frozen=True)
class FaceRig:
    """A photo with the chosen face measured once.

    image: (H, W, 3) uint8 RGB, upright (EXIF applied), alpha flattened.
    landmarks: (478, 3) float32; x, y in photo pixels, z in the same pixel scale
        (mediapipe's relative depth times the image width; smaller is nearer).
    mask: (H, W) float32 in [0, 1], the person (selfie segmentation).
    faces: every face found, numbered left to right; chosen is an index into it.
    """

    image: np.ndarray
    landmarks: np.ndarray
    mask: np.ndarray
    faces: tuple[FaceBox, ...]
    chosen: int

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the photo in pixels."""
        return (int(self.image.shape[1]), int(self.image.shape[0]))
