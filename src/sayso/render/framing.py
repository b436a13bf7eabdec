"""Where the output frame sits in the photo: crop around the face, never stretched."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..face.model import FaceRig

SIZES = {"480p": 480, "720p": 720, "1080p": 1080}
ASPECTS = {"1:1": 1.0, "16:9": 16 / 9, "9:16": 9 / 16, "4:3": 4 / 3, "3:4": 3 / 4}
MAX_UPSCALE = 1.5  # beyond this a crop is widened: upscaled photos look soft
FACE_SHARE = 0.30  # auto framing keeps the face at least this share of the frame width


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


@dataclass(frozen=True)
class Framing:
    """Where the output frame sits in the photo: crop origin and size in photo
    pixels, and the output size in pixels (both even)."""

    x: float
    y: float
    crop_w: float
    crop_h: float
    width: int
    height: int

    @property
    def scale(self) -> float:
        """Output pixels per photo pixel."""
        return self.width / self.crop_w


def frame_for(rig: FaceRig, size: str, aspect: str) -> Framing:
    """Crop around the chosen face at the asked aspect, never stretched."""
    pw, ph = rig.size
    ratio = ASPECTS.get(aspect) or min(max(pw / ph, 9 / 16), 16 / 9)
    short = SIZES[size]
    out_w, out_h = (_even(short * ratio), short) if ratio >= 1 else (short, _even(short / ratio))
    lm = rig.landmarks
    face_w = float(np.ptp(lm[:, 0]))
    cx, cy = float(lm[:, 0].mean()), float(lm[:, 1].mean())
    # the largest crop of this aspect inside the photo, then tighter while the face is small
    crop_w = min(pw, ph * ratio)
    crop_w = min(crop_w, max(face_w / FACE_SHARE, out_w / MAX_UPSCALE))
    crop_w = min(crop_w, pw, ph * ratio)
    crop_h = crop_w / ratio
    x = min(max(cx - crop_w / 2, 0.0), pw - crop_w)
    y = min(max(cy - 0.42 * crop_h, 0.0), ph - crop_h)
    return Framing(x, y, crop_w, crop_h, out_w, out_h)
