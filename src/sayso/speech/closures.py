"""Where the lips really shut for b and p: where the sound goes quiet.

A b or p is silent while the lips are closed and sounds only at its release. Timings
from a voice or an aligner put the span at the release, or a frame off (piper counts the
closure before a b as part of the sound before it: in "mother bought" the lips are shut
at 0.44-0.52 s, its b spans 0.52-0.55 s), so each b or p is moved onto the quietest
moment near it. An m is left where it is: it sounds (through the nose) all the while the
lips are shut, so its span is its closure.
"""

from __future__ import annotations

import numpy as np

from .model import PhonemeSpan, frame_rms, in_order

STOPS = frozenset("b p".split())
SEARCH = 0.07  # seconds either side of a b or p where its closure may really be


def closures_at_dips(phonemes: list, samples: np.ndarray, rate: int) -> list:
    """Each run of b, p moved onto the quietest moment within SEARCH of it (the nearer
    the better, and only if clearly quieter than where it was). The run keeps its length;
    its neighbours give way. The spans come back in order, touching at most, inside the audio."""
    hop = max(1, int(0.005 * rate))
    count = samples.shape[0] // hop
    if count < 3:
        return list(in_order(phonemes, samples.shape[0]))
    rms = np.convolve(frame_rms(samples, hop), np.ones(3) / 3, mode="same")
    out = list(phonemes)
    k = 0
    while k < len(out):
        if out[k].phoneme.strip("ˈˌː") not in STOPS:
            k += 1
            continue
        last = k
        while last + 1 < len(out) and out[last + 1].phoneme.strip("ˈˌː") in STOPS:
            last += 1
        start, end = out[k].start, out[last].end
        centre, half = (start + end) // 2, (end - start) // 2
        lo, hi = max(0, (centre - int(SEARCH * rate)) // hop), min(count, (centre + int(SEARCH * rate)) // hop + 1)
        floor = out[k - 1].start + 1 if k > 0 else 0  # the run may take its neighbours' place, not pass them
        ceiling = out[last + 1].end - 1 if last + 1 < len(out) else samples.shape[0]
        lo, hi = max(lo, (floor + half) // hop), min(hi, (ceiling - half) // hop)
        if hi > lo:
            near = (np.arange(lo, hi) * hop + hop // 2 - centre) / (SEARCH * rate)
            pick = lo + int(np.argmin(rms[lo:hi] * (1 + near**2)))  # the quietest, the nearer the better
            here = rms[min(count - 1, centre // hop)]
            shift = pick * hop + hop // 2 - centre if rms[pick] < 0.7 * here else 0
            for j in range(k, last + 1):
                span = out[j]
                out[j] = PhonemeSpan(span.phoneme, span.start + shift, span.end + shift, span.stressed)
            if k > 0:
                before = out[k - 1]
                out[k - 1] = PhonemeSpan(before.phoneme, min(before.start, out[k].start - 1), out[k].start,
                                         before.stressed)
            if last + 1 < len(out):
                after = out[last + 1]
                out[last + 1] = PhonemeSpan(after.phoneme, out[last].end, max(after.end, out[last].end + 1),
                                            after.stressed)
        k = last + 1
    return list(in_order(out, samples.shape[0]))
