"""What every scene effect shares: the Effect protocol, colour grades as one affine
matrix, per-thread scratch buffers, and a frame-index hash.

Arrays here are (h, w, 3) float32 RGB 0..255 unless a docstring says otherwise.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # Rec. 601 weights, as cv2's RGB2GRAY


class Effect:
    """A scene effect: plate() once per clip on the background, frame() on every frame.

    Both default to identity. Subclasses are frozen dataclasses holding what build()
    precomputed; frame i depends on i alone, never on earlier frames."""

    def plate(self, plate: np.ndarray) -> np.ndarray:
        """(h, w, 3) float32 0..255 background without the person -> the same, changed."""
        return plate

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        """(h, w, 3) float32 frame, near (h, w) float32 0..1 -> the frame (may be changed in place)."""
        return frame


RGB = tuple[float, float, float]


def grade(exposure: float = 1.0, gains: RGB = (1.0, 1.0, 1.0), saturation: float = 1.0,
          contrast: float = 1.0, pivot: float = 118.0, lift: RGB = (0.0, 0.0, 0.0)) -> np.ndarray:
    """(3, 4) float32 affine colour matrix for cv2.transform: saturation about luma, then
    contrast about pivot (0..255), then exposure times per-channel gains, then lift (added, 0..255)."""
    sat = saturation * np.eye(3) + (1.0 - saturation) * np.outer(np.ones(3), LUMA)
    scale = exposure * np.asarray(gains, np.float64)[:, None]
    matrix = scale * contrast * sat
    offset = scale[:, 0] * (1.0 - contrast) * pivot + np.asarray(lift, np.float64)
    return np.hstack([matrix, offset[:, None]]).astype(np.float32)


def apply_grade(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Grade image in place with a (3, 4) matrix from grade(); returns it."""
    # cv2.transform works pixel by pixel, so writing into its own input is safe, and
    # reusing the frame's memory is several times faster than a fresh 6 MB array.
    return cv2.transform(image, matrix, dst=image)


_local = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
    """A reusable buffer of this shape and dtype for this thread (contents undefined).

    Allocating a frame-sized array costs ~1 ms in page faults, more than the maths done
    in it; one buffer per name, shape and thread keeps frame() cheap and thread-safe."""
    pool: dict[tuple[str, tuple[int, ...], type], np.ndarray] = _local.__dict__.setdefault("pool", {})
    buf = pool.get((name, shape, dtype))
    if buf is None:
        buf = pool[(name, shape, dtype)] = np.empty(shape, dtype)
    return buf


def lerp_to(frame: np.ndarray, target: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """frame += amount * (target - frame), in place, for target (h, w, 3) float32 and amount
    (h, w) float32 (0 keeps the frame, 1 gives target; outside 0..1 extrapolates). Returns frame."""
    keep = np.subtract(np.float32(1), amount, out=scratch("keep", amount.shape))
    # one pass of (keep * frame + amount * target) / (keep + amount), three times faster than
    # numpy's temporaries; keep + amount is 1, so the division changes nothing
    return cv2.blendLinear(frame, target, keep, amount, dst=frame)


def paint(width: int, height: int, colour: RGB) -> np.ndarray:
    """(height, width, 3) float32 filled with colour (0..255): a target for lerp_to."""
    return np.full((height, width, 3), colour, np.float32)


def screen(image: np.ndarray, light: np.ndarray) -> np.ndarray:
    """Screen blend light (h, w, 3) float32 0..255 onto image: brightens, never past 255."""
    return image + light * (1.0 - image / 255.0)


def mix(seed: int, i: int) -> int:
    """A well-spread 32-bit hash of (seed, i): the same i always gives the same number."""
    x = (seed * 0x9E3779B1 + i * 0x85EBCA77 + 0x165667B1) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """0 below edge0, 1 above edge1, a smooth cubic between (float32)."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def face_light(width: int, height: int, face_box: tuple[int, int, int, int]) -> np.ndarray:
    """(height, width) float32: 1 over the face box, falling smoothly to 0 about half a
    face beyond it, elliptically: where a light in front of the person falls on the face."""
    x0, y0, x1, y1 = face_box
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    rx, ry = max(0.5 * (x1 - x0), 1.0), max(0.5 * (y1 - y0), 1.0)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
    return 1.0 - smoothstep(1.0, 1.9, r)


def graded_by(near: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """How much of the person's grade each pixel gets: near times keep (h, w), in a scratch buffer."""
    return np.multiply(near, keep, out=scratch("graded", near.shape))
