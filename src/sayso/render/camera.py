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
    person: (H, W, 3) float32 the person premultiplied by alpha, at rest.
    alpha: (H, W) float32 [0, 1] the person's coverage at rest.
    center: (2,) float32 the point zooms close in on: the face.
    """

    plate: np.ndarray
    person: np.ndarray
    alpha: np.ndarray
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


def shoot(layers: Layers, person: np.ndarray, alpha: np.ndarray, camera: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """The frame through the camera: (H, W, 3) float32 0..255 and the person's (H, W)
    coverage in it. person and alpha are this frame's full-frame person layers."""
    h, w = alpha.shape
    near = view(camera, layers.center, (w, h), 1.0)
    far = view(camera, layers.center, (w, h), PARALLAX)
    if near is not None:
        moved = _warp(np.dstack([person, alpha]), near)
        person, alpha = moved[..., :3], moved[..., 3]
    frame = person + _warp(layers.plate, far) * (1.0 - alpha)[..., None]
    return frame, alpha
