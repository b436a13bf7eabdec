"""The camera: the frame's layers, and how a move shows them with parallax.

When the camera moves or a scene is on, a frame is built from full-frame layers: the
clean background plate and the premultiplied person with its alpha. A move zooms and
pans the person fully and the background by PARALLAX of that, as a camera moving
toward a person in front of a distant background sees them. Each layer's pan is held
within what its zoom leaves outside the frame, so no edge of the photo ever shows;
what the person uncovers as they grow or shrink against the background is the plate.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PARALLAX = 0.55  # the background's share of the person's zoom and pan


@dataclass(frozen=True)
class Layers:
    """Full-frame layers at rest, output pixels.

    plate: (H, W, 3) float32 0..255 the background without the person (scene applied).
    person: (H, W, 4) float32 the person premultiplied by alpha, then alpha [0, 1], at
        rest: one array, so a frame copies and moves both at once.
    center: (2,) float32 the point zooms close in on: the face.
    """

    plate: np.ndarray
    person: np.ndarray
    center: np.ndarray


def view(camera: np.ndarray, center: np.ndarray, size: tuple[int, int], depth: float) -> np.ndarray | None:
    """(2, 3) affine from output pixels to layer pixels for camera (zoom, pan_x, pan_y)
    and a layer at depth (1 = the person, PARALLAX = the background); None if still."""
    zoom, pan_x, pan_y = (float(v) for v in camera)
    z = 1.0 + (zoom - 1.0) * depth
    width, height = size
    shift = np.array([pan_x * width, pan_y * height]) * depth
    if abs(z - 1.0) < 1e-6 and not shift.any():
        return None
    room = 1.0 - 1.0 / max(z, 1.0)  # share of the layer left outside the frame
    c = np.asarray(center, np.float64)
    shift = np.clip(shift, -c * room, (np.array([width, height]) - c) * room)
    # p = c + (q - c) / z + shift
    return np.array([[1 / z, 0, c[0] * (1 - 1 / z) + shift[0]],
                     [0, 1 / z, c[1] * (1 - 1 / z) + shift[1]]], np.float64)


def _warp(image: np.ndarray, matrix: np.ndarray | None) -> np.ndarray:
    if matrix is None:
        return image
    h, w = image.shape[:2]
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def shoot(layers: Layers, person: np.ndarray, camera: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The frame through the camera: (H, W, 3) float32 0..255 and the person's (H, W)
    coverage in it. person: this frame's (H, W, 4) premultiplied person and alpha."""
    h, w = person.shape[:2]
    near = view(camera, layers.center, (w, h), 1.0)
    far = view(camera, layers.center, (w, h), PARALLAX)
    person = _warp(person, near)
    # OpenCV's channel ops: numpy's broadcasting over a 4-channel view is 3x slower here
    alpha = cv2.extractChannel(person, 3)
    behind = cv2.merge([cv2.subtract(1.0, alpha)] * 3)
    frame = cv2.multiply(_warp(layers.plate, far), behind)
    frame = cv2.add(frame, cv2.cvtColor(person, cv2.COLOR_RGBA2RGB), dst=frame)
    return frame, alpha
