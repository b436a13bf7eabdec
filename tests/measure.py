"""What a viewer sees in a frame, measured on landmarks re-detected with mediapipe.

Lengths are in units of the inter-ocular distance (IOD) so they do not depend on size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from sayso.face import analyze


@dataclass(frozen=True)
class Face:
    mouth_open: float  # inner-lip gap at the middle of the mouth / IOD
    eye_open: float  # mean lid gap of both eyes / IOD
    corner_lift: float  # mouth centre y minus mouth-corner y, / IOD (higher = smile)
    brow_gap: float  # brow to eye distance / IOD (lower = frown)
    center: np.ndarray  # (2,) face centre in pixels
    iod: float


def measure(frame: np.ndarray) -> Face:
    lm = analyze(frame).landmarks[:, :2]
    iod = float(np.linalg.norm(lm[468] - lm[473]))
    mouth = float(np.mean([lm[lo, 1] - lm[up, 1] for up, lo in ((82, 87), (13, 14), (312, 317))]))
    eyes = float(np.mean([lm[lo, 1] - lm[up, 1] for up, lo in ((159, 145), (386, 374))]))
    corners = (lm[61, 1] + lm[291, 1]) / 2
    centre = (lm[13, 1] + lm[14, 1]) / 2
    brows = float(np.mean([lm[e, 1] - lm[b, 1] for b, e in ((105, 159), (334, 386))]))
    return Face(mouth / iod, eyes / iod, (corners - centre) / -iod, brows / iod, lm.mean(0), iod)


def frames(path: Path) -> list[np.ndarray]:
    """Every frame of the video, (H, W, 3) uint8 RGB, as a player decodes it."""
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def sound(path: Path, rate: int = 24000) -> np.ndarray:
    """The video's audio, mono float32 at rate."""
    with av.open(str(path)) as c:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        parts = [o.to_ndarray().reshape(-1) for f in c.decode(audio=0) for o in resampler.resample(f)]
    return np.concatenate(parts)


def eye_gaps(frame: np.ndarray) -> tuple[float, float]:
    """Each eye's lid gap / IOD, (image-left eye, image-right eye): the mean of three
    upper-to-lower lid distances across the middle of the eye."""
    lm = analyze(frame).landmarks[:, :2]
    iod = float(np.linalg.norm(lm[468] - lm[473]))
    pairs = (((160, 144), (159, 145), (158, 153)), ((387, 373), (386, 374), (385, 380)))
    gaps = [float(np.mean([np.linalg.norm(lm[lo] - lm[up]) for up, lo in eye])) / iod for eye in pairs]
    return gaps[0], gaps[1]
