"""Speech -> the final audio track of the clip."""

from __future__ import annotations

import numpy as np

from .speech.model import Speech


def mix(speech: Speech, offset: int, total: int) -> np.ndarray:
    """(total,) float32 in [-1, 1]: the speech placed at sample offset, silence around it."""
    out = np.zeros(total, np.float32)
    end = min(offset + speech.num_samples, total)
    if end > offset:
        out[offset:end] = speech.samples[: end - offset]
    return out
