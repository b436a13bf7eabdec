"""The person's outline as a real matte: a soft alpha through hair and ears, and the
photo's old background behind each partly covered pixel.

The segmentation mask is right within a few pixels but hard and blobby at the outline:
hair is cut into a jagged rim, ears are clipped, and a strip of the old background
(a white flag, a grey wall) rides along with the person. Here a trimap is made from the
mask (sure person well inside it, sure background well outside it, unknown in a band
of BAND_IN + BAND_OUT inter-ocular distances across the outline) and the band is
solved with closed-form matting (pymatting's estimate_alpha_cf, Levin et al. 2008);
pymatting's estimate_foreground_ml then splits each band pixel into the person's colour
F and the background's colour B, photo = F * alpha + B * (1 - alpha).

Only the band's bounding box is solved, at working scale, once per photo. pymatting's
numba kernels compile once (cached beside the package: install.sh warms them) and are
imported only when a matte is made.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

BAND_IN = 0.12  # IOD: how far inside the mask's edge the person is not yet sure
BAND_OUT = 0.06  # IOD: how far outside it the background is not yet sure
EAR_BAND_OUT = 0.14  # IOD: the same beside the ears, which the mask often clips
EAR_REACH = 0.4  # IOD: radius of the ear zones around the face's sides
EAR_POINTS = (234, 454)  # mesh points at the face's sides, by the ears (right, left in the image)
SURE = 0.02  # a solved alpha within this of 0 or 1 is taken as 0 or 1 (no faint haze on a new plate)

# numba's workqueue threading layer, where no other is installed, must not be entered
# from two threads at once; a studio prepares several photos on threads
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Matte:
    """The person's alpha at working scale and the old background under its soft edge.

    alpha: (h, w) float32 in [0, 1]: 1 on the person, 0 off it, soft across the band.
    background: (h, w, 3) float32 0..255: the photo's background colour B where
        0 < alpha < 1 (photo = F * alpha + B * (1 - alpha)); elsewhere the photo itself.
    band: (h, w) bool: the pixels the matte solved (the trimap's unknown region).
    """

    alpha: np.ndarray
    background: np.ndarray
    band: np.ndarray


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def trimap(alpha: np.ndarray, landmarks: np.ndarray, iod: float) -> tuple[np.ndarray, np.ndarray]:
    """From the person alpha (h, w) float32 and the face's (n, 2+) landmarks (their hull
    is always person): the trimap (h, w) float64, 1 sure person, 0 sure background, 0.5
    unknown; and (h, w) float32 the most alpha each pixel may take: 1 inside the mask,
    falling linearly to 0 across the outer band, so a background that looks like the
    person (a pale wall beside a pale collar) gains no haze far from the outline."""
    hard = (alpha > 0.5).astype(np.uint8)
    inner = cv2.erode(hard, _disc(max(2, round(BAND_IN * iod))), borderType=cv2.BORDER_REPLICATE)
    face = np.zeros_like(hard)
    cv2.fillConvexPoly(face, cv2.convexHull(np.round(landmarks[:, :2]).astype(np.int32)), 1)
    inner |= cv2.erode(face, _disc(2))
    # the band reaches further out beside the ears, a little below the face's side points
    ears = np.zeros_like(hard)
    for i in EAR_POINTS:
        x, y = landmarks[i, :2]
        cv2.circle(ears, (round(float(x)), round(float(y) + 0.1 * iod)), round(EAR_REACH * iod), 1, -1)
    reach = np.where(ears > 0, max(2.0, EAR_BAND_OUT * iod), max(2.0, BAND_OUT * iod)).astype(np.float32)
    away = cv2.distanceTransform(1 - hard, cv2.DIST_L2, 5)  # pixels outside the mask's edge
    outer = away <= reach
    cap = np.clip(1.0 - away / (reach + 1.0), 0.0, 1.0).astype(np.float32)
    return np.where(inner > 0, 1.0, np.where(outer, 0.5, 0.0)), cap


def refine(work: np.ndarray, alpha: np.ndarray, landmarks: np.ndarray, iod: float,
           box: tuple[int, int, int, int] | None = None) -> Matte:
    """The matte of the person in work (h, w, 3) uint8 RGB, from the segmentation's
    alpha (h, w) float32 [0, 1] and the face's landmarks (n, 2+) at working scale,
    solved inside box (x0, y0, x1, y1 working pixels: what the frame shows; default all).

    Deterministic: the same photo and mask give the same matte. Outside box, and with
    no outline to solve (the person fills the photo, or is absent), alpha stays as it is."""
    h, w = alpha.shape
    x0, y0, x1, y1 = box if box is not None else (0, 0, w, h)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    part = _refine(work[y0:y1, x0:x1], alpha[y0:y1, x0:x1], landmarks[:, :2] - (x0, y0), iod)
    out, background, band = alpha.astype(np.float32), work.astype(np.float32), np.zeros((h, w), bool)
    out[y0:y1, x0:x1], background[y0:y1, x0:x1], band[y0:y1, x0:x1] = part.alpha, part.background, part.band
    return Matte(out, background, band)


def _refine(work: np.ndarray, alpha: np.ndarray, landmarks: np.ndarray, iod: float) -> Matte:
    """refine() over the whole of work."""
    tri, cap = trimap(alpha, landmarks, iod)
    unknown = tri == 0.5
    if not (unknown.any() and (tri == 1.0).any() and (tri == 0.0).any()):
        return Matte(alpha.astype(np.float32), work.astype(np.float32), np.zeros(alpha.shape, bool))
    ys, xs = np.nonzero(unknown)
    h, w = alpha.shape
    # the closed-form Laplacian looks one pixel around each unknown one: a margin of two
    y0, y1 = max(int(ys.min()) - 2, 0), min(int(ys.max()) + 3, h)
    x0, x1 = max(int(xs.min()) - 2, 0), min(int(xs.max()) + 3, w)
    image = work[y0:y1, x0:x1].astype(np.float64) / 255.0
    part = tri[y0:y1, x0:x1]
    with _LOCK:
        import numba
        from pymatting import estimate_alpha_cf, estimate_foreground_ml

        # pymatting's only parallel loops here are small resizes: a second thread costs
        # more CPU (OpenMP's idle spinning) than it saves, on the cores speech needs
        numba.set_num_threads(1)
        solved = np.minimum(estimate_alpha_cf(image, part), cap[y0:y1, x0:x1])
        solved = np.where(solved < SURE, 0.0, np.where(solved > 1.0 - SURE, 1.0, solved))
        _, behind = estimate_foreground_ml(image, solved, return_background=True)
    out = tri.astype(np.float32)
    out[unknown] = solved.astype(np.float32)[unknown[y0:y1, x0:x1]]
    background = work.astype(np.float32)
    soft = np.zeros_like(unknown)
    soft[y0:y1, x0:x1] = (solved > 0) & (solved < 1)
    soft &= unknown
    background[y0:y1, x0:x1][soft[y0:y1, x0:x1]] = np.clip(behind * 255.0, 0, 255)[soft[y0:y1, x0:x1]]
    return Matte(out, background, unknown)
