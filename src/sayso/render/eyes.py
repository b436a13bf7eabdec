"""Closed eyelids, drawn over the eye when a blink nears its end.

The warp brings the lid margins together, but what lies between them (the iris and
the white of the eye) is only squeezed, and a squeezed eye still reads as open. So as
the lids meet, the opening is painted with the photo's own lid skin colour and a lash
line along the seam, faded in over the last part of the blink.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import patch_box

_SUB = 4


@dataclass(frozen=True)
class LidLook:
    """Colours taken from the photo once, RGB float32: lid skin and lash, per eye."""

    skin: tuple[np.ndarray, np.ndarray]
    lash: tuple[np.ndarray, np.ndarray]

    @classmethod
    def of(cls, image: np.ndarray, eyes: tuple[tuple[np.ndarray, np.ndarray], ...]) -> "LidLook":
        """eyes: per eye, (upper, lower) lid lines (k, 2) in image pixels."""
        skins, lashes = [], []
        h, w = image.shape[:2]
        for upper, lower in eyes:
            height = max(float(np.mean(lower[:, 1] - upper[:, 1])), 2.0)
            band = []
            for x, y in upper[1:-1]:
                for f in (0.35, 0.55, 0.75):  # skin just above the lid crease
                    yy, xx = int(round(y - f * height)), int(round(x))
                    if 0 <= yy < h and 0 <= xx < w:
                        band.append(image[yy, xx])
            margin = [image[int(round(y)), int(round(x))] for x, y in upper[1:-1] if 0 <= int(round(y)) < h and 0 <= int(round(x)) < w]
            skin = np.median(band, axis=0) if band else np.array([180.0, 140.0, 120.0])
            lash = np.min(margin, axis=0) if margin else skin * 0.3
            skins.append(np.asarray(skin, np.float32))
            lashes.append(np.minimum(np.asarray(lash, np.float32), skin * 0.45))
        return cls((skins[0], skins[1]), (lashes[0], lashes[1]))


def draw_lids(image: np.ndarray, upper: np.ndarray, lower: np.ndarray, closure: float,
              skin: np.ndarray, lash: np.ndarray, iod: float) -> None:
    """Paint a closing eye into image (h, w, 3) (uint8 or float32 in [0, 255]), in place.

    upper, lower: (k, 2) lid margins corner to corner in image pixels (posed).
    closure: the blink in [0, 1]; nothing is painted below 0.5.
    """
    weight = float(np.clip((closure - 0.5) / 0.4, 0.0, 1.0))
    if weight <= 0.0:
        return
    weight = weight * weight * (3 - 2 * weight)
    ring = np.concatenate([upper, lower[-2:0:-1]])
    box = patch_box(ring, int(0.05 * iod) + 3, image.shape)
    if box is None:
        return
    x0, y0, x1, y1 = box
    off = np.array([x0, y0], np.float32)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round((ring - off) * (1 << _SUB)).astype(np.int32)], 255, cv2.LINE_AA, _SUB)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    cover = np.broadcast_to(skin, mask.shape + (3,)).astype(np.float32).copy()
    # the lash line along where the lids meet (lower lid margin at full closure)
    lashes = np.zeros(mask.shape, np.uint8)
    seam = (lower - off) * (1 << _SUB)
    thickness = max(1, int(round(0.012 * iod)))
    cv2.polylines(lashes, [np.round(seam).astype(np.int32)], False, 255, thickness, cv2.LINE_AA, _SUB)
    lashes = cv2.GaussianBlur(lashes.astype(np.float32) / 255.0, (0, 0), 0.6)
    cover += (lash - cover) * (0.75 * lashes[..., None])
    a = (np.maximum(mask.astype(np.float32) / 255.0, lashes) * weight)[..., None]
    region = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = np.clip(region * (1 - a) + cover * a, 0, 255).astype(image.dtype)
