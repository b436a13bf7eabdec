"""The photo's layers, made once: the person's alpha, the clean background plate, and
a copy whose open mouth is filled with lip."""

from __future__ import annotations

import cv2
import numpy as np

from ..face.model import FaceRig
from .geometry import INNER_LIP_RING


def person_alpha(rig: FaceRig, landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Hardened person mask at working scale, always covering the face itself."""
    mask = cv2.resize(rig.mask, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    alpha = np.clip((mask - 0.3) / 0.4, 0, 1)
    hull = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.round(landmarks[:, :2]).astype(np.int32)), 1)
    alpha = np.maximum(alpha, hull.astype(np.float32))
    return cv2.GaussianBlur(alpha, (0, 0), 0.8)


def clean_plate(work: np.ndarray, alpha: np.ndarray, box: tuple[int, int, int, int], iod: float) -> np.ndarray:
    """The background with the person removed inside box (working pixels): inpainted
    at low resolution from a dilated mask, so head motion reveals background, not a halo."""
    x0, y0, x1, y1 = box
    region = work[y0:y1, x0:x1]
    hole = (alpha[y0:y1, x0:x1] > 0.05).astype(np.uint8)
    grow = max(3, int(0.12 * iod))
    hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    small = max(1.0, max(region.shape[:2]) / 200.0)
    sw, sh = max(2, int(region.shape[1] / small)), max(2, int(region.shape[0] / small))
    lo = cv2.inpaint(cv2.resize(region, (sw, sh), interpolation=cv2.INTER_AREA),
                     cv2.resize(hole, (sw, sh), interpolation=cv2.INTER_NEAREST), 5, cv2.INPAINT_TELEA)
    filled = cv2.resize(lo, (region.shape[1], region.shape[0]), interpolation=cv2.INTER_LINEAR)
    # only where the person is (alpha > 0) is the background unknown
    inside = (alpha[y0:y1, x0:x1] > 0.0)[..., None]
    plate = work.copy()
    plate[y0:y1, x0:x1] = np.where(inside, filled, region)
    return plate


def lips_over_mouth(work: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The photo with its open mouth filled from the lips around it (inpainted).

    The warp closes an open mouth by squeezing the opening into the lip seam; with
    this fill, what lands in the seam is lip, not a line of teeth. The teeth are
    still drawn, from the untouched photo, wherever the mouth is open."""
    ring = np.round(landmarks[INNER_LIP_RING, :2]).astype(np.int32)
    x, y, w, h = cv2.boundingRect(ring)
    pad = max(w, h) // 2 + 4
    x0, y0 = max(x - pad, 0), max(y - pad, 0)
    x1, y1 = min(x + w + pad, work.shape[1]), min(y + h + pad, work.shape[0])
    hole = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(hole, [ring - (x0, y0)], 255)
    hole = cv2.dilate(hole, np.ones((3, 3), np.uint8))
    out = work.copy()
    out[y0:y1, x0:x1] = cv2.inpaint(np.ascontiguousarray(work[y0:y1, x0:x1]), hole, 4, cv2.INPAINT_TELEA)
    return out


def open_mouth_mask(work: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(h, w) float32 in [0, 1]: the inside of the photo's open mouth, just within the lips."""
    inner = np.zeros(work.shape[:2], np.uint8)
    ring = landmarks[INNER_LIP_RING, :2]
    cv2.fillPoly(inner, [np.round(ring * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
    inner = cv2.erode(inner, np.ones((3, 3), np.uint8))
    return cv2.GaussianBlur(inner.astype(np.float32) / 255.0, (0, 0), 0.7)
