"""The inside of an open mouth, drawn behind the lips.

Layers, back to front: a dark warm cavity shaded from the lip colour, a tongue low in
the mouth when the jaw drops far, lower teeth mostly hidden by the lower lip, upper
teeth hanging from the upper lip. Teeth are kept small and shaded: big bright teeth
look false. Everything is drawn in a small patch around the mouth only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import patch_box

_SUB = 4  # fillPoly sub-pixel bits: polygons are placed to 1/16 px


@dataclass(frozen=True)
class MouthLook:
    """Colours taken from the photo once. RGB float32 in [0, 255]."""

    lip: np.ndarray
    teeth: np.ndarray

    @classmethod
    def of(cls, image: np.ndarray, outer: np.ndarray, inner: np.ndarray) -> "MouthLook":
        """Lip colour: median of the pixels between the outer and inner lip contours."""
        ring = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(ring, [np.round(outer).astype(np.int32)], 1)
        cv2.fillPoly(ring, [np.round(inner).astype(np.int32)], 0)
        pixels = image[ring > 0]
        lip = np.median(pixels, axis=0) if len(pixels) else np.array([150.0, 90.0, 90.0])
        # teeth: a warm ivory, dimmed a little toward the photo's own brightness
        brightness = float(np.mean(image)) / 255.0
        teeth = np.array([236.0, 226.0, 204.0]) * (0.85 + 0.15 * brightness)
        return cls(lip.astype(np.float32), teeth.astype(np.float32))


def _poly_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """(h, w) float32 anti-aliased mask of a polygon given in patch pixels."""
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts * (1 << _SUB)).astype(np.int32)], 255, cv2.LINE_AA, _SUB)
    return m.astype(np.float32) / 255.0


def _edge_y(line: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """y of a lip line (k, 2) sorted by x, at columns xs."""
    order = np.argsort(line[:, 0])
    return np.interp(xs, line[order, 0], line[order, 1])


def draw_mouth(image: np.ndarray, upper: np.ndarray, lower: np.ndarray, iod: float, look: MouthLook,
               photo_mouth: Callable[[int, int, int, int], tuple[np.ndarray, np.ndarray]] | None = None) -> None:
    """Draw the mouth interior into image (h, w, 3) (uint8 or float32 in [0, 255]), in place.

    upper, lower: (11, 2) inner lip lines corner to corner, image pixels.
    iod: inter-ocular distance in image pixels, the scale of teeth and tongue.
    photo_mouth: when the photo shows its teeth, a function giving, for the patch
        x0, y0, x1, y1, the photo's own mouth interior there ((h, w, 3) float32) and
        its coverage ((h, w) float32); it is laid over the drawn cavity and teeth.
    """
    ring = np.concatenate([upper, lower[-2:0:-1]])
    gap = float(np.max(lower[1:-1, 1] - upper[1:-1, 1]))
    if gap < 0.6:  # closed to within a pixel: nothing shows
        return
    box = patch_box(ring, 2, image.shape)
    if box is None:
        return
    x0, y0, x1, y1 = box
    off = np.array([x0, y0], np.float32)
    up, low = upper - off, lower - off
    ph, pw = y1 - y0, x1 - x0
    mask = _poly_mask((ph, pw), ring - off)

    ys, xs = np.mgrid[0:ph, 0:pw].astype(np.float32)
    cols = np.arange(pw, dtype=np.float32)
    top, bottom = _edge_y(up, cols)[None, :], _edge_y(low, cols)[None, :]
    left, right = float(up[:, 0].min()), float(up[:, 0].max())
    across = np.clip(np.abs(xs - (left + right) / 2) / max((right - left) / 2, 1.0), 0, 1)
    depth = np.clip((ys - top) / np.maximum(bottom - top, 1.0), 0, 1)

    # cavity: darkest at the back, a little lighter under the lips and at the corners
    shade = 0.55 + 0.45 * np.abs(depth - 0.45) * 2 + 0.3 * across  # darkest at the back
    cavity = 0.5 * look.lip * 0.32 + 0.5 * np.array([70.0, 18.0, 20.0])  # dark, warm, red
    patch = cavity[None, None, :] * shade[..., None]

    openness = min(gap / (0.2 * iod), 1.0)
    # tongue: a soft low ellipse, seen only when the jaw drops far
    if openness > 0.45:
        tongue = np.clip(1 - ((xs - (left + right) / 2) / (0.32 * (right - left))) ** 2
                         - ((ys - bottom) / (0.45 * gap)) ** 2, 0, 1)
        tongue = np.clip(tongue * 3, 0, 1) * min((openness - 0.45) / 0.3, 1.0) * 0.85
        colour = look.lip * 0.62 + np.array([14.0, 0.0, 0.0])
        patch += (colour[None, None, :] * (0.7 + 0.3 * depth[..., None]) - patch) * tongue[..., None]

    # teeth: upper row hangs from the upper lip, lower row peeks above the lower lip
    tooth_h = min(0.06 * iod, 0.4 * gap)
    width_w = np.clip(1.0 - (across / 0.68) ** 4, 0, 1)
    upper_t = np.clip((top + tooth_h - ys) / 1.2, 0, 1) * (ys >= top - 1) * width_w
    low_h = min(0.03 * iod, 0.25 * gap) * min(max(openness - 0.3, 0) / 0.4, 1.0)
    lower_t = np.clip((ys - (bottom - low_h)) / 1.2, 0, 1) * width_w * 0.8
    # a faint gap between neighbouring teeth, one tooth ~0.075 IOD wide
    gaps = 1.0 - 0.12 * np.clip(1.0 - np.abs(((xs - (left + right) / 2) / (0.075 * iod)) % 1.0 - 0.5) * 8, 0, 1)
    tooth_shade = ((0.95 - 0.45 * across ** 2) * gaps)[..., None]
    rows = () if photo_mouth is not None else ((lower_t, 0.72), (upper_t, 1.0))
    for t, dim in rows:
        patch += (look.teeth[None, None, :] * tooth_shade * dim - patch) * t[..., None]
    # the lip casts a soft shadow on what is right under it
    shadow = 1.0 - 0.25 * np.clip(1.0 - (ys - top) / max(0.02 * iod, 1.0), 0, 1)
    patch *= shadow[..., None]

    if photo_mouth is not None:
        # The photo's open mouth, nearly shut (m, b, p, or pressed by anger), meets along
        # a shaded seam: what shows between the lips is lip in shadow, not the photo's
        # teeth squeezed into a slit: all seam up to a gap of 0.025 IOD (the contact
        # line a closure leaves), none from 0.045. Its own mouth shows from 0.03 IOD,
        # fully from 0.08.
        seen = float(np.clip((gap - 0.03 * iod) / (0.05 * iod), 0.0, 1.0))
        seen = seen * seen * (3 - 2 * seen)
        if seen > 0:
            own, cover = photo_mouth(x0, y0, x1, y1)
            patch += (own - patch) * (seen * cover)[..., None]
        shut = float(np.clip((0.045 * iod - gap) / (0.02 * iod), 0.0, 1.0))
        if shut > 0:
            patch += (look.lip * 0.55 - patch) * shut
    region = image[y0:y1, x0:x1].astype(np.float32)
    a = mask[..., None]
    image[y0:y1, x0:x1] = np.clip(region * (1 - a) + patch * a, 0, 255).astype(image.dtype)
