"""The matte at the person's outline: composited over a new plate, no old background
comes along (hair and ears keep their own colour), and the photo at rest is unchanged."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sayso.face import analyze
from sayso.photo import load_photo
from sayso.render import frame_for, prepare
from sayso.render.layers import clean_plate, person_alpha

PLATES = {"green": (0.0, 255.0, 0.0), "magenta": (255.0, 0.0, 255.0), "black": (0.0, 0.0, 0.0)}
BAND = 0.10  # IOD each side of the mask's outline that is measured


def _cut(photo: str):
    """The stage of a scene render and what a viewer compares: the photo at output size,
    the segmentation's own (hard, lightly feathered) alpha there, the old background's
    colour near the outline, and the bands just outside and just inside the outline."""
    rig = analyze(load_photo(photo))
    stage = prepare(rig, frame_for(rig, "480p", "auto"), scene=("night",))
    h, w = stage.static.shape[:2]
    ox, oy = (int(v) for v in stage.origin)
    landmarks = rig.landmarks * (stage.work.shape[1] / rig.image.shape[1])
    mask = person_alpha(rig, landmarks, stage.work.shape[:2])
    iod = stage.rig.frame.iod
    # what the renderer did before the matte: the photo less the inpainted plate under the mask
    plate = clean_plate(stage.work, mask, (0, 0, stage.work.shape[1], stage.work.shape[0]), iod)
    inpainted = plate[oy:oy + h, ox:ox + w].astype(np.float32)
    hard = mask[oy:oy + h, ox:ox + w]
    edge = (hard > 0.5).astype(np.uint8)
    outside = cv2.distanceTransform(1 - edge, cv2.DIST_L2, 5)
    inside = cv2.distanceTransform(edge, cv2.DIST_L2, 5)
    reach = BAND * iod
    bands = {"outside": (outside > 0) & (outside <= reach), "inside": (inside > 0) & (inside <= reach)}
    bands["across"] = bands["outside"] | bands["inside"]
    # the old background near the outline: the photo where it is surely background,
    # spread inward by a normalized blur
    photo = stage.static.astype(np.float32)
    old, known = _spread(photo, outside > 0.2 * iod, 0.25 * iod)
    # and the person's own colour near it, from the surely-person pixels
    own, mine = _spread(photo, inside > 0.25 * iod, 0.2 * iod)
    # only where the old background differs from the person can a viewer tell them apart
    known &= mine & (np.linalg.norm(old - own, axis=2) > 60.0)
    # the head: hair and ears, down to the chin
    chin = int((landmarks[:, 1] - oy).max())
    head = np.zeros_like(known)
    head[:chin] = True
    bands = {k: v & known & head for k, v in bands.items()}
    return stage, photo, hard, inpainted, (old, own), bands


def _spread(photo: np.ndarray, sure: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """The photo's colour where sure (h, w) bool is, spread around by a normalized blur,
    and where that reaches."""
    weight = cv2.GaussianBlur(sure.astype(np.float32), (0, 0), sigma)
    spread = cv2.GaussianBlur(photo * sure[..., None], (0, 0), sigma) / np.maximum(weight, 1e-3)[..., None]
    return spread, weight > 0.02


def _old_share(comp: np.ndarray, colours: tuple[np.ndarray, np.ndarray], plate: tuple[float, float, float],
               band: np.ndarray) -> float:
    """How much of the photo's old background colour is in the band's pixels: each pixel
    unmixed (least squares, RGB) into the new plate's colour plus w_old x (old - plate)
    plus w_own x (person - plate), w_old clipped to [0, 1] and averaged, over the pixels
    where the three colours are far apart (0..255 RGB distance > 60)."""
    old, own = colours
    new = np.asarray(plate, np.float32)
    a, b, y = old - new, own - new, comp - new
    aa, bb, ab = (a * a).sum(2), (b * b).sum(2), (a * b).sum(2)
    ay, by = (a * y).sum(2), (b * y).sum(2)
    det = aa * bb - ab * ab
    w_old = (ay * bb - by * ab) / np.maximum(det, 1e-6)
    apart = (np.sqrt(aa) > 60) & (np.sqrt(bb) > 60) & (np.linalg.norm(old - own, axis=2) > 60) & (det > 0.1 * aa * bb)
    where = band & apart
    return float(np.clip(w_old, 0, 1)[where].mean())


def leaks(photo: str) -> dict[str, dict[str, float]]:
    """For each way of cutting the person out (the matte, the segmentation's hard mask,
    that mask feathered), each band: the old background's share, mean over PLATES."""
    stage, image, hard, inpainted, old, bands = _cut(photo)
    feathered = cv2.GaussianBlur(hard, (0, 0), 0.04 * stage.rig.frame.iod)
    person = stage.layers.person
    cuts = {"matte": (person[..., :3], person[..., 3]),
            "before": (image - inpainted * (1 - hard[..., None]), hard),
            "hard": (image * hard[..., None], hard),
            "feathered": (image * feathered[..., None], feathered)}
    out: dict[str, dict[str, float]] = {}
    for name, (premultiplied, alpha) in cuts.items():
        out[name] = {}
        for side, band in bands.items():
            shares = [_old_share(premultiplied + np.asarray(c, np.float32) * (1 - alpha[..., None]), old, c, band)
                      for c in PLATES.values()]
            out[name][side] = float(np.mean(shares))
    return out


@pytest.fixture(scope="module", params=["fr_obama_official_portrait.jpg", "skimage_astronaut.png"])
def measured(request, photos):
    return request.param, leaks(str(photos / request.param))


def test_the_matte_leaves_the_old_background_behind(measured):
    name, figures = measured
    print(name, figures)
    for side in ("outside", "inside"):
        best_mask = min(figures["hard"][side], figures["feathered"][side])
        assert figures["matte"][side] < 0.5 * best_mask + 0.01, (side, figures)
