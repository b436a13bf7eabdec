"""A female voice made from joe's with the WORLD vocoder (pyworld).

WORLD splits speech into pitch (F0), spectral envelope and aperiodicity. Raising F0
gives the higher voice; stretching the envelope along frequency moves the formants up
as a shorter vocal tract would; the aperiodicity (breath, noise) is kept. Frames keep
their times, so the output has the same length and the phoneme spans stay valid.

Joe speaks low (about 90-110 Hz) and turns creaky after the first word or two. There
dio locks onto the second harmonic (160-220 Hz) in most runs but not all, so a plain
"F0 x 1.7" jumps an octave between words and feeds cheaptrick a wrong period (a
buzzy envelope). The pitch is therefore put back in joe's octave run by run first.
"""

from __future__ import annotations

import numpy as np

# Joe's octave-corrected median is ~95 Hz; x2.2 puts the voice near 210 Hz, a typical
# adult female speaking pitch. (x1.7 of dio's raw, mostly doubled, track lands near
# 260-300 Hz with octave breaks; x1.7 of the true pitch, ~160 Hz, reads as a boy.)
PITCH_FACTOR = 2.2
FORMANT_FACTOR = 1.15
FRAME_MS = 5.0
F0_FLOOR, F0_CEIL = 60.0, 400.0
JOE_PITCH = 95.0  # Hz: runs whose period is unclear are folded into [J/sqrt2, J*sqrt2)
PERIODIC = 0.4  # YIN's normalised difference below this at dio's period: dio is right
SMOOTH_FRAMES = 5  # median over 25 ms removes creak jitter, keeps the intonation


def feminize(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """samples: (n,) float32 in [-1, 1] -> (n,) float32, same length, female voice."""
    import pyworld

    x = samples.astype(np.float64)
    f0 = track_pitch(x, sample_rate)
    envelope = pyworld.cheaptrick(x, f0, _frame_times(f0), sample_rate)
    aperiodicity = pyworld.d4c(x, f0, _frame_times(f0), sample_rate)
    y = pyworld.synthesize(
        raise_pitch(f0), warp_envelope(envelope, FORMANT_FACTOR), aperiodicity, sample_rate, FRAME_MS
    )
    return _same_length(y, samples.shape[0]).astype(np.float32)


def track_pitch(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """(n,) float64 -> (frames,) F0 in Hz every FRAME_MS, 0 where unvoiced, in joe's octave."""
    import pyworld

    f0, t = pyworld.dio(x, sample_rate, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=FRAME_MS)
    f0 = pyworld.stonemask(x, f0, t, sample_rate)
    return _smooth(_fix_octaves(x, f0, sample_rate))


def _frame_times(f0: np.ndarray) -> np.ndarray:
    return np.arange(f0.shape[0]) * (FRAME_MS / 1000.0)


def _voiced_runs(f0: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.r_[0, (f0 > 0).astype(np.int8), 0]))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _fix_octaves(x: np.ndarray, f0: np.ndarray, sample_rate: int) -> np.ndarray:
    """Halve (or double) whole voiced runs that dio put in the wrong octave.

    A run keeps dio's pitch when the waveform clearly repeats at that period; it is
    halved when it repeats far better at twice the period; otherwise (creak) it is
    folded into the octave around joe's usual pitch.
    """
    out = f0.copy()
    voiced = np.flatnonzero(f0 > 0)
    if voiced.size == 0:
        return out
    hop = sample_rate * FRAME_MS / 1000.0
    max_lag = int(2 * sample_rate / F0_FLOOR) + 3
    diff = _yin_difference(x, np.round(voiced * hop).astype(np.int64), int(0.02 * sample_rate), max_lag)
    row = {int(k): i for i, k in enumerate(voiced)}
    for a, b in _voiced_runs(f0):
        at_period, at_double = [], []
        for k in range(a, b):
            lag = sample_rate / f0[k]
            at_period.append(_dip(diff[row[k]], lag, 1))
            at_double.append(_dip(diff[row[k]], 2 * lag, 2))
        out[a:b] *= _octave_shift(float(np.median(out[a:b])), np.median(at_period), np.median(at_double))
    return out


def _octave_shift(pitch: float, at_period: float, at_double: float) -> float:
    if at_period < PERIODIC:
        return 1.0
    if at_double < 0.5 * at_period:
        return 0.5
    shift = np.round(np.log2(JOE_PITCH / pitch))
    return float(2.0**shift)


def _dip(diff: np.ndarray, lag: float, reach: int) -> float:
    centre = int(round(lag))
    return float(diff[max(1, centre - reach) : min(diff.shape[0], centre + reach + 1)].min(initial=1.0))


def _yin_difference(x: np.ndarray, centres: np.ndarray, width: int, max_lag: int) -> np.ndarray:
    """YIN's cumulative-mean-normalised difference d'(lag), (frames, max_lag + 1).

    0 where the waveform repeats exactly after `lag` samples, about 1 where it does not.
    """
    span = width + max_lag
    padded = np.pad(x, (span, span))
    starts = centres - width // 2 + span
    frames = padded[starts[:, None] + np.arange(span)[None, :]]
    size = 1 << int(np.ceil(np.log2(span + width)))
    head = np.fft.rfft(frames[:, :width], size)
    corr = np.fft.irfft(np.conj(head) * np.fft.rfft(frames, size), size)[:, : max_lag + 1]
    energy = np.cumsum(np.pad(frames**2, ((0, 0), (1, 0))), axis=1)
    shifted = energy[:, width : width + max_lag + 1] - energy[:, : max_lag + 1]
    diff = energy[:, width : width + 1] + shifted - 2.0 * corr
    lags = np.arange(1, max_lag + 1)
    norm = np.ones_like(diff)
    norm[:, 1:] = diff[:, 1:] * lags / np.maximum(np.cumsum(diff[:, 1:], axis=1), 1e-12)
    return norm


def _smooth(f0: np.ndarray) -> np.ndarray:
    """Median-filter log F0 inside each voiced run; single-frame octave slips go too."""
    out = f0.copy()
    half = SMOOTH_FRAMES // 2
    for a, b in _voiced_runs(f0):
        log_f0 = np.log2(f0[a:b])
        log_f0 -= np.round(log_f0 - np.median(log_f0))  # fold stray frames into the run's octave
        padded = np.pad(log_f0, half, mode="edge")
        windows = np.lib.stride_tricks.sliding_window_view(padded, SMOOTH_FRAMES)
        out[a:b] = 2.0 ** np.median(windows, axis=1)
    return out


def raise_pitch(f0: np.ndarray) -> np.ndarray:
    """(frames,) Hz, 0 where unvoiced -> the same contour, PITCH_FACTOR higher.

    The range is not widened: joe already falls from ~150 Hz on his first word to
    ~85 Hz creak, and a wider range made the first word squeak."""
    return f0 * PITCH_FACTOR


def warp_envelope(envelope: np.ndarray, factor: float) -> np.ndarray:
    """(frames, bins) power spectrum -> formants moved up by factor.

    Output bin k takes the value at bin k / factor (linear interpolation), so a
    formant at f moves to f * factor; the top band falls off the end.
    """
    bins = envelope.shape[1]
    source = np.arange(bins) / factor
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, bins - 1)
    w = source - low
    warped = envelope[:, low] * (1.0 - w) + envelope[:, high] * w
    return np.ascontiguousarray(warped)  # pyworld wants C order


def _same_length(y: np.ndarray, n: int) -> np.ndarray:
    if y.shape[0] >= n:
        return y[:n]
    return np.pad(y, (0, n - y.shape[0]))
