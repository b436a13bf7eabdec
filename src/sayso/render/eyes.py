"""Blinks: the lids slide over the eye, drawn by moving the photo's own lid skin.

A blink is not a deformation of the face: the upper lid, its skin, crease and lash
line, slides down over the eyeball, which stays where it is and is covered; the
lower lid rises a little to meet it. So it is not left to the smooth face field
(which would squeeze the iris into a dark smear and bend whatever lies near the
eye, such as the frames of glasses), but applied as a map of its own, in the photo,
per eye and along the lid's curve:

    above the lid skin          the photo, untouched
    lid skin (margin to crease) stretched down: it unfolds over the eye
    lash band at the margin     moved down whole, so the lash line stays a line
    eyeball still uncovered     the photo, untouched (the lid edge covers the rest)
    lower lid skin              stretched up a little
    below it                    the photo, untouched

The lid skin that unfolds is the band from the margin up to the first strong dark
edge above it (the crease, a brow, or the rim of a pair of glasses), so a rim is
never stretched. Both eyes close by the same share of their own opening, so they
close together and equally. The renderer composes this map after the face field:
an output pixel's photo position from the field is looked up here once more.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import patch_box

SAMPLES = 33  # lid curve samples from corner to corner
MEET = 0.8  # where the lids meet, as a share of the opening from the upper lid down
SKIN_MAX = 0.11  # lid skin that unfolds, at most (IOD)
SKIN_MIN = 0.035  # ... and at least (IOD), even when a rim sits right above the lid
LASH = 0.016  # lash band at the upper margin, moved whole (IOD)
BELOW = 0.07  # skin under the lower lid that stretches up with it (IOD)
EDGE = 22.0  # a dark edge: luminance this far (0-255) below the brightest lid skin under it
WHITE_MAX = 0.05  # the white of the eye is looked for this far under the lower lid line (IOD)
WHITE_EDGE = 25.0  # ... when it is this much brighter (0-255) than the skin under the eye
DETAIL = 0.55  # how much of the lid skin's own texture the relit lid keeps
GAIN_MAX = 2.2  # the most the lid skin's texture is scaled with its light
GAIN_DARK, DARK_BAND = 1.0, 0.35  # a band darker than this share of the skin is not lit up
RELIGHT = 0.8  # how far the unfolded lid's light is drawn toward the skin under the eye


@dataclass(frozen=True)
class Lid:
    """One eye's lids in the photo, in an eye-aligned frame (pixels).

    origin: (2,) float32 the eye's centre; ex, ey: (2,) unit vectors along and down the eye.
    u: (k,) float32 positions along the eye, corner to corner, ascending.
    upper, lower: (k,) float32 the lid margins' v at u (lower >= upper).
    skin: (k,) float32 height of the upper lid skin that unfolds, above the margin.
    lash: lash band height; below: lower lid skin height (pixels).
    """

    origin: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    u: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    skin: np.ndarray
    lash: float
    below: float

    def local(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Photo pixels (any shape) -> (u, v) in this eye's frame."""
        dx, dy = x - self.origin[0], y - self.origin[1]
        return dx * self.ex[0] + dy * self.ex[1], dx * self.ey[0] + dy * self.ey[1]

    def photo(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(u, v) in this eye's frame -> photo pixels x, y."""
        return (self.origin[0] + u * self.ex[0] + v * self.ey[0],
                self.origin[1] + u * self.ex[1] + v * self.ey[1])

    def outline(self) -> np.ndarray:
        """(2k, 2) float32 photo pixels around everything a blink moves."""
        top = self.upper - self.skin
        bottom = self.lower + self.below
        u = np.concatenate([self.u, self.u[::-1]])
        v = np.concatenate([top, bottom[::-1]])
        x, y = self.photo(u, v)
        return np.stack([x, y], 1).astype(np.float32)


def _sample(gray: np.ndarray, lid: Lid, v: np.ndarray) -> np.ndarray:
    """(k, s) luminance at v (k, s) pixels in the eye's frame, column i at lid.u[i]."""
    u = np.broadcast_to(lid.u[:, None], v.shape)
    x, y = lid.photo(u, v)
    return cv2.remap(gray, x.astype(np.float32), y.astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def _profile(gray: np.ndarray, lid: Lid, v_from: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(k, s) luminance sampled up each column from v_from (k,) by steps (s,) pixels."""
    return _sample(gray, lid, v_from[:, None] - steps[None, :])


def lids_of(image: np.ndarray, upper_lines: tuple[np.ndarray, np.ndarray], lower_lines: tuple[np.ndarray, np.ndarray],
            ex: np.ndarray, ey: np.ndarray, iod: float) -> tuple[Lid, Lid]:
    """Both eyes' lids from the photo (h, w, 3) uint8 and the lid margins (k, 2) pixels
    corner to corner (upper_lines[e], lower_lines[e] for eye e); ex, ey the face's axes."""
    gray = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 0.7)
    out = []
    for up_pts, low_pts in zip(upper_lines, lower_lines):
        origin = np.concatenate([up_pts, low_pts]).mean(0).astype(np.float32)
        probe = Lid(origin, ex.astype(np.float32), ey.astype(np.float32), np.zeros(1, np.float32),
                    np.zeros(1, np.float32), np.zeros(1, np.float32), np.zeros(1, np.float32), 0.0, 0.0)
        uu, uv = probe.local(up_pts[:, 0], up_pts[:, 1])
        lu, lv = probe.local(low_pts[:, 0], low_pts[:, 1])
        lo, hi = float(min(uu.min(), lu.min())), float(max(uu.max(), lu.max()))
        u = np.linspace(lo, hi, SAMPLES).astype(np.float32)
        upper = np.interp(u, *_ascending(uu, uv)).astype(np.float32)
        lower = np.maximum(np.interp(u, *_ascending(lu, lv)), upper).astype(np.float32)
        lash = max(LASH * iod, 1.0)
        lid = Lid(origin, probe.ex, probe.ey, u, upper, lower, np.zeros_like(u), lash, BELOW * iod)
        lower = lower + _white_below(gray, lid, iod)
        lid = Lid(origin, probe.ex, probe.ey, u, upper, lower, np.zeros_like(u), lash, BELOW * iod)
        # the lid skin: from the lash band up to the first strong dark edge above it
        steps = np.arange(0.0, SKIN_MAX * iod, 0.5, dtype=np.float32)
        prof = _profile(gray, lid, upper - lash, steps)
        brightest = np.maximum.accumulate(prof, axis=1)
        dark = prof < brightest - EDGE
        first = np.where(dark.any(1), dark.argmax(1), len(steps) - 1)
        skin = np.clip(steps[first] + lash - 1.0, SKIN_MIN * iod, SKIN_MAX * iod)
        skin = _smooth(skin)
        out.append(Lid(origin, probe.ex, probe.ey, u, upper, lower, skin.astype(np.float32), lash, BELOW * iod))
    return out[0], out[1]


def _white_below(gray: np.ndarray, lid: Lid, iod: float) -> np.ndarray:
    """(k,) how far the white of the eye reaches below the lower lid line (pixels).

    The mesh's lower lid often runs a little inside the eye (a wide-open eye, a glance
    aside); closed on that line, a strip of white would stay under the lashes."""
    steps = np.arange(0.0, WHITE_MAX * iod, 0.5, dtype=np.float32)
    below = _profile(gray, lid, lid.lower, -steps)  # down each column from the lower lid line
    skin = float(np.median(_profile(gray, lid, lid.lower + 0.1 * iod, -steps[:8])))
    share = np.linspace(0.3, 0.95, 8, dtype=np.float32)[None, :]
    white = float(np.percentile(_sample(gray, lid, lid.upper[:, None] + share * (lid.lower - lid.upper)[:, None]), 90))
    if white < skin + WHITE_EDGE:
        return np.zeros_like(lid.lower)
    bright = below > (skin + white) / 2
    # the white runs on from the lid line down to the first step that is not white
    run = np.where(bright.all(1), len(steps), np.argmin(bright, axis=1))
    reach = np.where(run > 0, steps[np.maximum(run - 1, 0)] + 1.0, 0.0)
    return -_smooth(-reach.astype(np.float32), 11)  # a running maximum, then a mean


def _ascending(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(u)
    return u[order], v[order]


def _smooth(a: np.ndarray, k: int = 7) -> np.ndarray:
    """(k,) a running minimum then mean: a skin height never reaches past an edge."""
    pad = np.pad(a, k // 2, mode="edge")
    low = np.min(np.lib.stride_tricks.sliding_window_view(pad, k), axis=1)
    pad = np.pad(low, k // 2, mode="edge")
    return np.mean(np.lib.stride_tricks.sliding_window_view(pad, k), axis=1)


def _colour(image: np.ndarray, lid: Lid, v_lo: np.ndarray, v_hi: np.ndarray) -> np.ndarray:
    """(3,) float32 median colour of image between v_lo and v_hi (k,) over the eye's middle half."""
    mid = slice(SAMPLES // 4, SAMPLES - SAMPLES // 4)
    t = np.linspace(0.0, 1.0, 6, dtype=np.float32)[None, :]
    v = v_lo[mid, None] + t * (v_hi - v_lo)[mid, None]
    u = np.broadcast_to(lid.u[mid, None], v.shape)
    x, y = lid.photo(u, v)
    px = cv2.remap(image, x.astype(np.float32), y.astype(np.float32), cv2.INTER_LINEAR,
                   borderMode=cv2.BORDER_REPLICATE)
    return np.median(px.reshape(-1, px.shape[-1]).astype(np.float32), axis=0)


def relit(image: np.ndarray, lids: tuple[Lid, Lid], iod: float) -> np.ndarray:
    """(h, w, c) float32: image whose upper lid skin bands carry the light of the skin
    under the eyes. The band over an open eye is often in shadow (a hooded lid, the rim
    of a pair of glasses); unfolded over the eye it would read as a dark, open eye.
    Only the band's low frequencies change (its texture stays), and the change fades in
    from the crease down, so the crease still shows where the fold begins."""
    out = image.astype(np.float32).copy()
    low = cv2.GaussianBlur(out, (0, 0), max(0.025 * iod, 0.8))
    h, w = image.shape[:2]
    for lid in lids:
        box = patch_box(lid.outline(), 3, (h, w))
        if box is None:
            continue
        x0, y0, x1, y1 = box
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        u, v = lid.local(xs, ys)
        upper = np.interp(u, lid.u, lid.upper)
        skin = np.interp(u, lid.u, lid.skin)
        top = upper - skin
        ramp = np.clip((v - top) / np.maximum(0.4 * skin, 1e-3), 0.0, 1.0)
        ramp *= np.clip(upper - v, 0.0, 1.0) * _toward_corners(lid, u)
        target = _colour(image, lid, lid.lower + 0.05 * iod, lid.lower + 0.15 * iod)
        region, smooth = out[y0:y1, x0:x1], low[y0:y1, x0:x1]
        # a band far darker than the skin is mostly lashes and shadow, not lid skin: lit up, it
        # would read as the white of an open eye
        band = _colour(image, lid, lid.upper - lid.skin, lid.upper - lid.lash)
        gain = (target + 1.0) / (smooth + 1.0)
        if float(band.mean()) < DARK_BAND * float(target.mean()):
            lit = (smooth + (region - smooth) * DETAIL) * np.clip(gain, 0.6, GAIN_DARK)
        else:  # the skin's light, the band's texture (softened: stretched, it streaks)
            lit = target + (region - smooth) * np.clip(gain, 0.6, GAIN_MAX) * DETAIL
        weight = (RELIGHT * ramp * ramp * (3 - 2 * ramp))[..., None]
        out[y0:y1, x0:x1] = region + (lit - region) * weight
    return out


def _toward_corners(lid: Lid, u: np.ndarray) -> np.ndarray:
    """(same shape as u) 1 where the eye is open wide, falling to 0 at its corners."""
    gap = np.interp(u, lid.u, lid.lower - lid.upper, left=0.0, right=0.0)
    return np.clip(gap / max(0.45 * float((lid.lower - lid.upper).max()), 1e-3), 0.0, 1.0)


def close(lid: Lid, x: np.ndarray, y: np.ndarray, closure: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a blink of closure in [0, 1] takes photo pixels x, y (float32, any shape)
    from: (x', y', lid), lid (same shape) in [0, 1] where the unfolded upper lid
    shows, to be drawn from the relit image (see relit), fading in as the lid moves.
    The lid edges stay crisp: softened, the lash line fades (the judge's dlib then
    reads a closed eye as open)."""
    u, v = lid.local(x, y)
    upper = np.interp(u, lid.u, lid.upper)
    lower = np.interp(u, lid.u, lid.lower)
    skin = np.interp(u, lid.u, lid.skin)
    gap = lower - upper
    inside = (u > lid.u[0]) & (u < lid.u[-1])
    gap = np.where(inside, gap, 0.0)
    down = closure * MEET * gap  # how far the upper margin travels
    up = closure * (1 - MEET) * gap  # ... and the lower margin
    top = upper - skin
    margin = upper + down  # the upper lid's new edge
    rise = lower - up  # the lower lid's new edge
    bottom = lower + lid.below
    lash = np.minimum(lid.lash, 0.5 * skin)
    src = v.copy()
    # upper lid: skin stretched from the crease down, lash band moved whole
    fold = (v >= top) & (v < margin - lash)
    src = np.where(fold, top + (v - top) * (skin - lash) / np.maximum(skin - lash + down, 1e-3), src)
    band = (v >= margin - lash) & (v < margin)
    src = np.where(band, v - down, src)
    # lower lid: its skin stretched up to the new edge
    rising = (v >= rise) & (v < bottom)
    src = np.where(rising, lower + (v - rise) * lid.below / np.maximum(bottom - rise, 1e-3), src)
    moved = inside & (down > 0.05)
    src = np.where(moved, src, v)
    sx, sy = lid.photo(u, src)
    shows = (moved & fold) * _toward_corners(lid, u) * float(np.clip(closure / 0.5, 0.0, 1.0))
    return sx.astype(np.float32), sy.astype(np.float32), shows.astype(np.float32)
