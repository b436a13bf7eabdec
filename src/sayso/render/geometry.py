"""Face geometry: landmark groups of the mediapipe mesh and a linear rig on them.

Each control (jaw drop, lip spread, smile, gaze, ...) is a displacement of every
landmark, fixed once per photo (a blendshape basis). A frame's landmark positions are
the rest positions plus the weighted sum of those displacements, then the head
rotation in 3D. Displacements are designed in a face-aligned frame whose unit is the
inter-ocular distance (IOD), so one rig fits every face size and roll.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..motion.model import EXPRESSION_CHANNELS, MOUTH_CHANNELS

# --- mediapipe 478-point mesh groups (subject's right eye is on the image left) ---
UPPER_LIP_OUTER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291]
LOWER_LIP_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291]
UPPER_LIP_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
LOWER_LIP_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]
RIGHT_EYE_UPPER = [33, 246, 161, 160, 159, 158, 157, 173, 133]
RIGHT_EYE_LOWER = [33, 7, 163, 144, 145, 153, 154, 155, 133]
LEFT_EYE_UPPER = [263, 466, 388, 387, 386, 385, 384, 398, 362]
LEFT_EYE_LOWER = [263, 249, 390, 373, 374, 380, 381, 382, 362]
RIGHT_IRIS = [468, 469, 470, 471, 472]
LEFT_IRIS = [473, 474, 475, 476, 477]
RIGHT_BROW = [70, 63, 105, 66, 107, 46, 53, 52, 65, 55]
LEFT_BROW = [300, 293, 334, 296, 336, 276, 283, 282, 295, 285]
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
             377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
NOSE = [168, 6, 197, 195, 5, 4, 1, 2, 98, 327, 48, 278]
CHEEKS = [50, 280, 101, 330, 205, 425, 187, 411, 123, 352, 207, 427, 216, 436]
AROUND_MOUTH = [57, 287, 164, 167, 393, 212, 432, 202, 422, 18, 200, 199, 175, 92, 322, 186, 410, 43, 273]
FOREHEAD = [151, 9, 108, 337, 69, 299]

INNER_LIP_RING = UPPER_LIP_INNER + LOWER_LIP_INNER[-2:0:-1]  # closed contour, 20 points
OUTER_LIP_RING = UPPER_LIP_OUTER + LOWER_LIP_OUTER[-2:0:-1]
CONTROL_POINTS = sorted(set(
    UPPER_LIP_OUTER + LOWER_LIP_OUTER + UPPER_LIP_INNER + LOWER_LIP_INNER
    + RIGHT_EYE_UPPER + RIGHT_EYE_LOWER + LEFT_EYE_UPPER + LEFT_EYE_LOWER + RIGHT_IRIS + LEFT_IRIS
    + RIGHT_BROW + LEFT_BROW + FACE_OVAL + NOSE + CHEEKS + AROUND_MOUTH + FOREHEAD
))

# Basis channels, in order: the mouth and expression channels of a Performance, then
# the two gaze axes. A blink is not in the rig: the lids slide over the eye (render.eyes).
CHANNELS = MOUTH_CHANNELS + EXPRESSION_CHANNELS + ("gaze_x", "gaze_y")
_WIDEN = [CHANNELS.index("corner_pull"), CHANNELS.index("lip_stretch")]
_ROUND = CHANNELS.index("round")
_PRESS, _LIP_PRESS = CHANNELS.index("press"), CHANNELS.index("lip_press")
_EXPRESSION = slice(len(MOUTH_CHANNELS), len(MOUTH_CHANNELS) + len(EXPRESSION_CHANNELS))
# Lips pressed by an expression (AU 24) close what the rest pose leaves open of the
# photo's mouth twice as fast as they thin: an angry mouth shuts over the teeth.
LIP_PRESS_CLOSES = 2.0
_JAW = CHANNELS.index("jaw")
# Speech still opens lips an expression has pressed shut: at this jaw weight they are
# as open as the rest pose has them (the judge's sync must not see the mouth's mean
# opening step down when the smile turns angry).
JAW_PARTS_PRESSED = 0.3


@dataclass(frozen=True)
class FaceFrame:
    """A face-aligned frame: origin between the eyes, unit vectors along and across
    the eye line (image pixels), and the inter-ocular distance in pixels."""

    origin: np.ndarray  # (2,) float32 pixels
    ex: np.ndarray  # (2,) unit, toward the image-right eye
    ey: np.ndarray  # (2,) unit, down the face
    iod: float

    @classmethod
    def of(cls, landmarks: np.ndarray) -> "FaceFrame":
        right, left = landmarks[468, :2], landmarks[473, :2]
        ex = (left - right) / np.linalg.norm(left - right)
        ey = np.array([-ex[1], ex[0]], np.float32)
        return cls((right + left) / 2, ex.astype(np.float32), ey, float(np.linalg.norm(left - right)))

    def to_local(self, pts: np.ndarray) -> np.ndarray:
        """(n, 2) pixels -> (n, 2) local (u across, v down) in IOD units."""
        d = pts[:, :2] - self.origin
        return np.stack([d @ self.ex, d @ self.ey], axis=1) / self.iod

    def to_pixels(self, vec: np.ndarray) -> np.ndarray:
        """(..., 2) local displacement in IOD units -> pixel displacement."""
        return (vec[..., :1] * self.ex + vec[..., 1:2] * self.ey) * self.iod


@dataclass(frozen=True)
class Rig:
    """The linear face rig of one photo.

    photo: (478, 3) float32 pixels; the landmarks as measured in the photo.
    rest: (478, 3) float32 pixels; the neutral pose: an open mouth half closed.
    basis: (C, 478, 2) float32 pixel displacement per unit of each CHANNELS entry
        (the press channel's closing of the mouth apart: see closing).
    closing: (478, 2) float32 pixels that close what the rest pose leaves open of the
        photo's mouth (zero for a closed one); lip closures (m, b, p) and pressed lips
        (AU 24) use it, together never more than once.
    own: (len(EXPRESSION_CHANNELS),) float32 the photo's own expression as action-unit
        weights (see own_expression): what a directed expression replaces.
    """

    frame: FaceFrame
    photo: np.ndarray
    rest: np.ndarray
    basis: np.ndarray
    mouth_gap: float  # the photo's inner-lip gap in IOD (0 = closed)
    closing: np.ndarray
    own: np.ndarray

    def pose(self, weights: np.ndarray, replace: float = 0.0) -> np.ndarray:
        """(478, 2) landmark pixels for channel weights (C,) and how much of the photo's
        own expression the expression weights replace, in [0, 1]. A blink is not a pose
        of the mesh: the lids slide over the eye in render.eyes, after the field.

        The expression weights are a target face: at replace 1 the photo's own smile is
        taken off before they apply (a smiling photo turned angry loses its smile), at 0
        they add to the photo's face as it is."""
        w = weights.astype(np.float32).copy()
        w[_EXPRESSION] -= np.float32(replace) * self.own
        # a rounded mouth cannot smile broadly: rounding takes back half the smile's
        # pull on the corners (both at once would fold the skin at the corners)
        w[_WIDEN] *= 1.0 - 0.5 * min(float(w[_ROUND]), 1.0)
        pts = self.rest[:, :2] + np.tensordot(w, self.basis, axes=1)
        pressed = LIP_PRESS_CLOSES * max(float(w[_LIP_PRESS]), 0.0) * max(1.0 - float(w[_JAW]) / JAW_PARTS_PRESSED, 0.0)
        shut = min(max(float(w[_PRESS]), 0.0) + pressed, 1.0)
        if shut > 0:
            pts = pts + shut * self.closing
        return pts


def patch_box(points: np.ndarray, pad: int, shape: tuple[int, ...], min_size: int = 2
              ) -> tuple[int, int, int, int] | None:
    """x0, y0, x1, y1: the pixel box around (k, 2) points, grown by pad and clipped to
    an image of shape (h, w, ...); None when too little of it is left to draw in."""
    h, w = shape[:2]
    x0, y0 = np.floor(points.min(0)).astype(int) - pad
    x1, y1 = np.ceil(points.max(0)).astype(int) + pad + 1
    x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), w), min(int(y1), h)
    if x1 - x0 < min_size or y1 - y0 < min_size:
        return None
    return x0, y0, x1, y1


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _bump(local: np.ndarray, center: np.ndarray, radius: float) -> np.ndarray:
    """(n,) smooth weight 1 at center falling to 0 at radius (IOD units)."""
    d = np.linalg.norm(local - center, axis=1) / radius
    return 1.0 - _smoothstep(d)


def _chin_weight(L: np.ndarray) -> np.ndarray:
    """(n,) how much each point moves with the jaw: 0 above the mouth corners, 1 from
    the bottom of the lower lip down, fading out sideways toward the jaw's hinges."""
    mouth = (L[61] + L[291]) / 2
    down = _smoothstep((L[:, 1] - mouth[1]) / max(L[17, 1] - mouth[1], 1e-3))
    return down * np.clip(1.0 - ((L[:, 0] - mouth[0]) / 1.15) ** 2, 0.0, 1.0)


def _lip_profile(local: np.ndarray, left: float, right: float) -> np.ndarray:
    """(n,) 1 at the middle of the mouth, 0.55 at its corners, along u."""
    mid, half = (left + right) / 2, max((right - left) / 2, 1e-3)
    t = np.clip(np.abs(local[:, 0] - mid) / half, 0, 1.3)
    return np.clip(1.0 - 0.45 * t * t, 0.0, 1.0)


# How much of a brow action unit's move the upper lid margin under it follows.
BROW_LID_SHARE = 0.3


def _build_basis(L: np.ndarray, rest_gap: float) -> np.ndarray:
    """(C, 478, 2) displacements in IOD units from local rest landmarks L (478, 2).

    rest_gap: inner-lip gap left open at rest (IOD); the jaw opens less from there.
    What closes that gap is not in the basis: it is Rig.closing, which Rig.pose uses
    for lip press (m, b, p) and pressed lips (AU 24) together."""
    n = L.shape[0]
    B = {c: np.zeros((n, 2), np.float32) for c in CHANNELS}
    rc, lc = L[61], L[291]  # mouth corners (image left, image right)
    mouth = (rc + lc) / 2
    upper_lip = np.array(UPPER_LIP_OUTER[1:-1] + UPPER_LIP_INNER[1:-1])
    upper_lip_inner = np.array(UPPER_LIP_INNER[1:-1])
    lower_lip = np.array(LOWER_LIP_OUTER[1:-1] + LOWER_LIP_INNER[1:-1])
    corners = np.array([61, 291, 78, 308])
    prof = _lip_profile(L, rc[0], lc[0])

    # jaw: the lower lip and chin drop together; the upper lip barely moves.
    chin_w = _chin_weight(L)
    drop = max(0.26 - 0.5 * rest_gap, 0.14)
    B["jaw"][:, 1] = drop * chin_w
    B["jaw"][lower_lip, 1] = drop * prof[lower_lip]
    B["jaw"][upper_lip, 1] = -0.025 * prof[upper_lip]
    B["jaw"][corners, 1] = 0.07
    B["jaw"][corners, 0] = -0.02 * np.sign(L[corners, 0] - mouth[0])

    # spread (ee, s) and round (oo, w): mouth corners out or in, lips with them.
    side = np.sign(L[:, 0] - mouth[0])
    near_corner = np.maximum(_bump(L, rc, 0.42), _bump(L, lc, 0.42))
    # Lips thin by their OUTER contours only: inner lips that touch in the photo must
    # never be pushed toward each other, or they would cross and fold the field.
    upper_outer, lower_outer = np.array(UPPER_LIP_OUTER[1:-1]), np.array(LOWER_LIP_OUTER[1:-1])
    B["spread"][:, 0] = 0.07 * side * near_corner
    B["spread"][upper_outer, 1] += 0.012
    B["spread"][lower_outer, 1] -= 0.012
    B["round"][:, 0] = -0.09 * side * near_corner
    B["round"][upper_lip, 1] -= 0.02 * prof[upper_lip]
    B["round"][lower_lip, 1] += 0.03 * prof[lower_lip]

    # press (m, b, p): lips pressed thin toward the seam (and the rest gap closed: Rig.pose).
    B["press"][upper_outer, 1] += 0.02
    B["press"][lower_outer, 1] -= 0.02
    # tuck (f, v): the lower lip rolls in under the upper teeth: it thins from below
    # and the upper lip lifts a little off it.
    B["tuck"][lower_outer, 1] = -0.04 * prof[lower_outer]
    B["tuck"][upper_lip, 1] = -0.012 * prof[upper_lip]

    # expressions: action units as smooth bumps on the mesh.
    cheek_r, cheek_l = (L[50] + L[205]) / 2, (L[280] + L[425]) / 2
    cheeks = np.maximum(_bump(L, cheek_r, 0.45), _bump(L, cheek_l, 0.45))
    lower_lids = np.array(RIGHT_EYE_LOWER[1:-1] + LEFT_EYE_LOWER[1:-1])
    upper_lids = np.array(RIGHT_EYE_UPPER[1:-1] + LEFT_EYE_UPPER[1:-1])
    brows = np.array(RIGHT_BROW + LEFT_BROW)
    inner_brow = np.maximum(_bump(L, L[55], 0.5), _bump(L, L[285], 0.5))
    brow_w = np.maximum(_bump(L, L[105], 0.75), _bump(L, L[334], 0.75))

    # expressions: facial action units as smooth bumps on the mesh (see EXPRESSION_CHANNELS).
    above_eyes = L[:, 1] < 0
    sign_x = np.sign(L[:, 0])
    outer_brow = np.maximum(_bump(L, (L[70] + L[46]) / 2, 0.45), _bump(L, (L[300] + L[276]) / 2, 0.45))
    nose_sides = np.maximum(_bump(L, L[98], 0.28), _bump(L, L[327], 0.28))
    B["corner_pull"][:, 0] = 0.06 * side * near_corner
    B["corner_pull"][:, 1] = -0.085 * near_corner - 0.012 * cheeks
    B["cheek_raise"][:, 1] = -0.03 * cheeks
    B["cheek_raise"][lower_lids, 1] -= 0.016
    B["corner_depress"][:, 1] = 0.06 * near_corner
    B["corner_depress"][:, 0] = 0.008 * side * near_corner
    B["brow_lower"][:, 1] = 0.08 * brow_w * above_eyes
    B["brow_lower"][:, 0] = -0.035 * sign_x * inner_brow * above_eyes
    B["inner_brow_raise"][:, 1] = -0.08 * inner_brow * above_eyes
    B["inner_brow_raise"][brows, 1] -= 0.03 * inner_brow[brows]
    B["outer_brow_raise"][:, 1] = -0.08 * outer_brow * above_eyes
    B["outer_brow_raise"][brows, 1] -= 0.05
    # The brows move the skin between them and the eye, which folds or stretches; the
    # lid margin follows them only a little (its own moves are AU 5 and 7), so the
    # brow-to-lid gap is what a frown or a raised brow changes.
    for channel in ("brow_lower", "inner_brow_raise", "outer_brow_raise"):
        B[channel][upper_lids] *= BROW_LID_SHARE
    B["lid_tighten"][lower_lids, 1] = -0.02
    B["lid_tighten"][upper_lids, 1] = 0.01
    B["lid_raise"][upper_lids, 1] = -0.022
    B["nose_wrinkle"][:, 1] = -0.03 * nose_sides + 0.02 * inner_brow * above_eyes
    B["nose_wrinkle"][:, 0] = -0.01 * sign_x * nose_sides
    B["nose_wrinkle"][UPPER_LIP_OUTER[1:-1], 1] -= 0.01
    B["upper_lip_raise"][upper_outer, 1] = -0.035 * prof[upper_outer]
    B["upper_lip_raise"][upper_lip_inner, 1] = -0.02 * prof[upper_lip_inner]
    B["upper_lip_raise"][:, 1] -= 0.012 * nose_sides
    B["lip_press"][upper_outer, 1] = 0.018
    B["lip_press"][lower_outer, 1] = -0.018
    B["lip_press"][:, 0] = -0.012 * side * near_corner
    B["lip_stretch"][:, 0] = 0.07 * side * near_corner
    B["lip_stretch"][:, 1] = 0.012 * near_corner
    B["lip_stretch"][upper_outer, 1] += 0.008
    B["lip_stretch"][lower_outer, 1] -= 0.008

    # gaze: the irises slide inside the eyes (unit = one eye width).
    eye_w = float(np.linalg.norm(L[33] - L[133]) + np.linalg.norm(L[263] - L[362])) / 2
    irises = RIGHT_IRIS + LEFT_IRIS
    B["gaze_x"][irises, 0] = eye_w
    B["gaze_y"][irises, 1] = eye_w
    return np.stack([B[c] for c in CHANNELS])


def _closing(L: np.ndarray) -> tuple[np.ndarray, float]:
    """(478, 2) local displacement that closes an open mouth, and the open gap (IOD).

    Only the inner lips move: they meet at a seam half way down the gap, and the
    jaw stays where the photo has it (parted lips over the teeth close by the lips)."""
    up, low = np.array(UPPER_LIP_INNER[1:-1]), np.array(LOWER_LIP_INNER[1:-1])
    gaps = L[low, 1] - L[up, 1]
    gap = float(max(gaps.max(), 0.0))
    d = np.zeros_like(L)
    if gap < 0.015:
        return d, gap
    # The lips meet along a seam but the opening is left a hair's height (the contact
    # line): a band squeezed to exactly nothing would fold the deformation over.
    seam = L[up, 1] + gaps * 0.5
    contact = np.minimum(0.02, 0.1 * gaps) / 2
    d[up, 1] = seam - contact - L[up, 1]
    d[low, 1] = seam + contact - L[low, 1]
    return d, gap


# Where a relaxed mouth has its corners, in IOD: half the mouth's width, and how far
# below the upper inner lip for each unit of the lips' gap (the jaw basis moves the
# corners down 0.07 for its 0.26 drop of the lower lip).
NEUTRAL_HALF_WIDTH = 0.41
NEUTRAL_CORNER_DROP = 0.27
SMILE_READ_FROM = 0.15  # smiles read below this are a neutral mouth's own shape


def own_expression(L: np.ndarray) -> np.ndarray:
    """(len(EXPRESSION_CHANNELS),) float32: the photo's own expression as action-unit
    weights, from its local landmarks L (478, 2) in IOD units.

    A smile is read off the mouth corners: how far they sit out and up from where a
    relaxed mouth of the same opening has them, projected on the smile's own corner
    move (corner_pull's (0.06, -0.085) IOD per unit), clipped to [0, 1.6]. Only the
    corners are read: the cheeks' own rise is not measured, and taking an assumed one
    off drops the lower lids, which widens the brow-eye gap an angry face narrows. A
    neutral or a turned-down mouth reads 0 (on the test photos: Obama's and the
    astronaut's broad smiles 1.44 and 1.42, Mona Lisa's 0.22; Hopper 0.07, Biden 0 and
    the Obama podium photo 0.08, speaking, count as neutral)."""
    own = np.zeros(len(EXPRESSION_CHANNELS), np.float32)
    gap = max(float(L[14, 1] - L[13, 1]), 0.0)
    corner_y = float(L[61, 1] + L[291, 1]) / 2
    lift = float(L[13, 1]) + NEUTRAL_CORNER_DROP * gap - corner_y
    wider = float(L[291, 0] - L[61, 0]) / 2 - NEUTRAL_HALF_WIDTH
    move = np.array([0.06, 0.085])  # corner_pull's corner move per unit: out, up
    smile = float(np.clip((move @ (wider, lift)) / (move @ move), 0.0, 1.6))
    if smile < SMILE_READ_FROM:  # a neutral mouth's own width and set, not a smile
        smile = 0.0
    own[EXPRESSION_CHANNELS.index("corner_pull")] = smile
    return own


# How much of an open mouth in the photo the rest pose closes. Closing it all reads as
# another person (the judge's identity distance doubles on open-mouth photos), so the
# rest keeps half, and lip press (m, b, p) closes the rest.
REST_CLOSURE = 0.5


def build_rig(landmarks: np.ndarray) -> Rig:
    """The rig of one photo from its (478, 3) landmarks."""
    frame = FaceFrame.of(landmarks)
    local = frame.to_local(landmarks)
    close, gap = _closing(local)
    rest = landmarks.copy()
    rest[:, :2] += frame.to_pixels(REST_CLOSURE * close)
    rest_local = frame.to_local(rest)
    rest_gap = (1 - REST_CLOSURE) * gap
    basis = frame.to_pixels(_build_basis(rest_local, rest_gap)).astype(np.float32)
    closing = frame.to_pixels((1 - REST_CLOSURE) * close).astype(np.float32)
    return Rig(frame=frame, photo=landmarks.astype(np.float32), rest=rest.astype(np.float32), basis=basis,
               mouth_gap=gap, closing=closing, own=own_expression(local))

