"""Blinks and glasses, measured in rendered frames and clips as a viewer sees them."""

from fractions import Fraction

import cv2
import numpy as np
import pytest
from measure import eye_gaps, frames

import sayso
from sayso.face import analyze
from sayso.motion.model import EXPRESSION_CHANNELS, MOUTH_CHANNELS, Performance
from sayso.photo import load_photo
from sayso.render import frame_for, prepare, render_frame

# the eye openings of the mediapipe mesh, corner to corner and back (image-left eye first)
OPENINGS = ([33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7],
            [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249])
UNDER = ([144, 145, 153], [373, 374, 380])  # the lower lids' middles


def pose(blink: float = 0.0, jaw: float = 0.0) -> Performance:
    mouth = np.zeros((1, len(MOUTH_CHANNELS)), np.float32)
    mouth[0, MOUTH_CHANNELS.index("jaw")] = jaw
    return Performance(Fraction(24), mouth, np.zeros((1, len(EXPRESSION_CHANNELS)), np.float32),
                       np.array([blink], np.float32), np.zeros((1, 2), np.float32), np.zeros((1, 3), np.float32),
                       np.zeros(1, np.float32), np.array([[1.0, 0.0, 0.0]], np.float32))


@pytest.fixture(scope="module")
def stages(photos):
    out = {}
    for name in ("mpl_grace_hopper.jpg", "fr_biden_official_portrait.jpg", "skimage_astronaut.png",
                 "fr_obama_official_portrait.jpg"):
        rig = analyze(load_photo(photos / name))
        out[name] = prepare(rig, frame_for(rig, "480p", "1:1"))
    return out


@pytest.mark.parametrize("name", ["mpl_grace_hopper.jpg", "fr_biden_official_portrait.jpg"])
def test_a_blink_closes_both_eyes_together(stages, name):
    """Glasses and hooded lids: each eye, re-detected on its own, closes to well under
    half its open gap in the same frame, and half a blink is half closed in both."""
    stage = stages[name]
    open_, half, shut = (np.array(eye_gaps(render_frame(stage, pose(blink=b), 0))) for b in (0.0, 0.5, 1.0))
    assert np.all(shut < 0.5 * open_), (open_, shut)  # 0.16-0.37 of open here; up to 0.56-0.75 before
    assert np.all(half < 0.9 * open_) and np.all(half > shut), (open_, half, shut)


@pytest.mark.parametrize("name", ["mpl_grace_hopper.jpg", "fr_biden_official_portrait.jpg", "skimage_astronaut.png",
                                  "fr_obama_official_portrait.jpg"])
def test_a_closed_eye_is_lid_not_a_dark_smear(stages, name):
    """Where the open eye showed iris and lashes, a closed one shows lid skin: the share
    of pixels much darker than the skin under the eye falls to under 0.6 of the open
    eye's in both eyes (0.22-0.40 here; the squeezed, painted eye of before read 0.5-1.9)."""
    stage = stages[name]
    rest = render_frame(stage, pose(), 0)
    lm = analyze(rest).landmarks[:, :2]
    iod = float(np.linalg.norm(lm[468] - lm[473]))
    grey = {b: cv2.cvtColor(render_frame(stage, pose(blink=b), 0), cv2.COLOR_RGB2GRAY).astype(np.float32)
            for b in (0.0, 1.0)}
    for ring, under in zip(OPENINGS, UNDER):
        inside = np.zeros(rest.shape[:2], np.uint8)
        cv2.fillPoly(inside, [np.round(lm[ring]).astype(np.int32)], 1)
        inside = inside.astype(bool)
        cx, cy = lm[under].mean(0)
        skin = float(np.median(grey[0.0][int(cy + 0.08 * iod):int(cy + 0.16 * iod),
                                         int(cx - 0.1 * iod):int(cx + 0.1 * iod)]))
        dark = {b: float((g[inside] < 0.55 * skin).mean()) for b, g in grey.items()}
        assert dark[1.0] < 0.6 * dark[0.0], dark


@pytest.mark.parametrize("controls", [dict(blink=1.0), dict(jaw=1.0)])
def test_glasses_stay_rigid_in_a_blink_and_as_the_mouth_opens(stages, controls):
    """Grace Hopper's frames (the dark rims from the brows to under the eyes, outside
    the eye openings) keep their pixels when she blinks or opens her mouth: a mean
    change under 5 grey levels (about 1.8 now; 17 when the blink bent the rims down)."""
    stage = stages["mpl_grace_hopper.jpg"]
    rest = render_frame(stage, pose(), 0)
    lm = analyze(rest).landmarks[:, :2]
    iod = float(np.linalg.norm(lm[468] - lm[473]))
    grey = cv2.cvtColor(rest, cv2.COLOR_RGB2GRAY).astype(np.float32)
    band = np.zeros(grey.shape, bool)
    x0, x1 = int(lm[[33, 263], 0].min() - 0.4 * iod), int(lm[[33, 263], 0].max() + 0.4 * iod)
    y0, y1 = int(lm[[105, 334], 1].min()), int(lm[[145, 374], 1].max() + 0.45 * iod)
    band[y0:y1, x0:x1] = True
    eyes = np.zeros(grey.shape, np.uint8)
    for ring in OPENINGS:
        cv2.fillPoly(eyes, [np.round(lm[ring]).astype(np.int32)], 1)
    eyes = cv2.dilate(eyes, np.ones((5, 5), np.uint8)).astype(bool)
    rims = band & ~eyes & (grey < 70)
    assert rims.sum() > 500  # the rims are there to be measured
    moved = cv2.cvtColor(render_frame(stage, pose(**controls), 0), cv2.COLOR_RGB2GRAY).astype(np.float32)
    assert float(np.abs(moved - grey)[rims].mean()) < 5.0


@pytest.mark.parametrize("name", ["mpl_grace_hopper.jpg", "fr_biden_official_portrait.jpg"])
def test_a_four_second_clip_blinks_with_both_eyes(photos, tmp_path, name):
    """The made MP4, re-detected frame by frame: some frame has both eyes under 0.6 of
    their own median gap (a blink seen in both eyes at once; 0.32-0.40 in 4.5 s clips).
    mediapipe saw the old smear close too; the judge's dlib did not, which
    tests/test_judge.py checks."""
    result = sayso.make(photos / name, "Says 'I will always love you, no matter what happens.'",
                        tmp_path / "clip.mp4", duration=4.0, size="480p")
    gaps = np.array([eye_gaps(f) for f in frames(result.video)])
    ratio = gaps / np.median(gaps, axis=0)
    assert ratio.max(axis=1).min() < 0.6, np.round(ratio.max(axis=1).min(), 3)
