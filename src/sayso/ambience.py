"""Procedural ambient sound: rain, city, wind, room and cafe beds, made from numpy noise.

No sound files and no loops: every bed is generated at its full length, so there are
no seams. Filters are zero-phase FFT masks (one rfft/irfft pair per noise source), and
events (rain drops, cup clinks, a horn) are short grains scattered with one bincount.
To add a kind, write `_kind(rng, num_samples, sample_rate) -> (n,) float64` and add a
`Kind` to `KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import BadOptionError

REFERENCE_DBFS = -20.0
"""RMS level, dBFS, of a normal bed before mixing. `sayso.mix` sets a bed at this level
BED_UNDER_PAUSE_DB / BED_UNDER_SPEECH_DB under the voice; quieter kinds (room) keep
their offset below it."""

FADE_S = 0.3
"""Raised-cosine fade at both ends, seconds: the bed never starts or stops with a click."""

_STEP = 32  # samples between envelope control points: 1.5 ms at 22 kHz

Rng = np.random.Generator
Maker = Callable[[Rng, int, int], np.ndarray]  # (rng, num_samples, sample_rate) -> (n,) float64
Gain = Callable[[np.ndarray], np.ndarray]  # (f,) frequencies, Hz -> (..., f) amplitude


@dataclass(frozen=True)
class Kind:
    """One ambience: how to make it, how loud it sits, and its private seed offset."""

    make: Maker  # any level: synthesize normalises it
    level_dbfs: float  # RMS after normalisation
    seed_offset: int  # kinds mixed together must not share noise


def _filter(noise: np.ndarray, sample_rate: int, gain: Gain) -> np.ndarray:
    """(..., n) float64 -> (..., n) float64, zero-phase filtered: one FFT, any number of
    responses (gain may return a stack, one row per output)."""
    freqs = np.fft.rfftfreq(noise.shape[-1], 1.0 / sample_rate)
    return np.fft.irfft(np.fft.rfft(noise) * gain(freqs), noise.shape[-1])


def _lowpass(freqs: np.ndarray, cutoff: float, order: int = 2) -> np.ndarray:
    """Butterworth magnitude response, (f,) float64 in [0, 1]."""
    return 1.0 / np.sqrt(1.0 + (freqs / cutoff) ** (2 * order))


def _highpass(freqs: np.ndarray, cutoff: float, order: int = 2) -> np.ndarray:
    """Butterworth magnitude response, (f,) float64 in [0, 1]; exactly 0 at DC."""
    ratio = freqs / cutoff
    return ratio**order / np.sqrt(1.0 + ratio ** (2 * order))


def _tilt(freqs: np.ndarray, slope: float) -> np.ndarray:
    """Amplitude ~ f^-slope (0.5 pink, 1 brown), flat below 20 Hz so DC stays finite."""
    return np.maximum(freqs, 20.0) ** -slope


def _smooth(knots: np.ndarray, num_samples: int, sample_rate: int, rate_hz: float) -> np.ndarray:
    """(n,) float64: knot values rate_hz apart, joined by half-cosines (no slope jumps).

    The curve is evaluated every _STEP samples and joined linearly: far finer than any
    envelope here moves (< 20 Hz), and 30x cheaper than a cosine per sample."""
    coarse = np.arange(0, num_samples + _STEP, _STEP)
    position = coarse * (rate_hz / sample_rate)
    index = position.astype(np.int64)
    knots = np.pad(knots, (0, max(0, int(index[-1]) + 2 - knots.size)), mode="edge")
    weight = 0.5 - 0.5 * np.cos(np.pi * (position - index))
    values = knots[index] * (1.0 - weight) + knots[index + 1] * weight
    return np.interp(np.arange(num_samples), coarse, values)


def _drift(rng: Rng, num_samples: int, sample_rate: int, rate_hz: float) -> np.ndarray:
    """(n,) float64 in [-1, 1]: a slow random wander changing about rate_hz times a second."""
    count = int(num_samples * rate_hz / sample_rate) + 2
    return _smooth(rng.uniform(-1.0, 1.0, count), num_samples, sample_rate, rate_hz)


def _unit(signal: np.ndarray) -> np.ndarray:
    """The signal scaled to RMS 1 (silence stays silence)."""
    rms = float(np.sqrt(np.mean(signal**2))) if signal.size else 0.0
    return signal / rms if rms > 1e-12 else signal


def _scatter(num_samples: int, starts: np.ndarray, grains: np.ndarray) -> np.ndarray:
    """(n,) float64: grains (count, length) added at sample starts (count,); tails cut."""
    if starts.size == 0:
        return np.zeros(num_samples)
    where = (starts[:, None] + np.arange(grains.shape[1])).ravel()
    total = np.bincount(where, grains.ravel(), minlength=num_samples + grains.shape[1])
    return total[:num_samples]


def _pings(
    sample_rate: int, freqs: np.ndarray, decays: np.ndarray, seconds: float, glide: float = 0.0
) -> np.ndarray:
    """(count, length) float64: decaying sines. freqs (count, partials) Hz, decays
    (count,) s; glide raises the pitch by that fraction as the ping dies, as a rain
    bubble does. A 0.3 ms attack keeps even the tiniest tick from being a bare step."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    fade = np.exp(-t / decays[:, None]) * np.minimum(t / 3e-4, 1.0)  # (count, length)
    rise = 1.0 + glide * (1.0 - np.exp(-t / decays[:, None]))
    phase = 2 * np.pi * freqs[:, :, None] * (t * rise)[:, None, :]
    weights = 1.0 / np.arange(1, freqs.shape[1] + 1)  # upper partials quieter
    return np.einsum("cpt,p->ct", np.sin(phase), weights) * fade


def _events(rng: Rng, num_samples: int, sample_rate: int, per_second: float) -> np.ndarray:
    """(count,) int64 sample starts of a Poisson process, sorted."""
    count = rng.poisson(per_second * num_samples / sample_rate)
    return np.sort(rng.integers(0, max(num_samples, 1), count))


def _rain(rng: Rng, num_samples: int, sample_rate: int) -> np.ndarray:
    """Pink hiss (200 Hz-8 kHz) swelling slowly, hundreds of droplet ticks, a few drips."""
    pink = lambda f: _tilt(f, 0.5) * _highpass(f, 200) * _lowpass(f, 8000)  # noqa: E731
    hiss = _unit(_filter(rng.standard_normal(num_samples), sample_rate, pink))
    swell = 10 ** (0.15 * _drift(rng, num_samples, sample_rate, 0.15))  # +-3 dB
    ticks = _events(rng, num_samples, sample_rate, 400.0)
    tick_freqs = rng.uniform(2500, min(9000, 0.45 * sample_rate), (ticks.size, 1))
    tick_grains = _pings(sample_rate, tick_freqs, rng.uniform(5e-4, 2.5e-3, ticks.size), 0.012)
    tick_grains *= np.minimum(rng.exponential(1.0, ticks.size), 4.0)[:, None]
    drips = _events(rng, num_samples, sample_rate, 1.2)
    drip_grains = _pings(sample_rate, rng.uniform(1200, 3500, (drips.size, 1)),
                         rng.uniform(0.008, 0.02, drips.size), 0.08, glide=0.35)
    drops = _unit(_scatter(num_samples, ticks, tick_grains))
    return swell * (hiss + 0.45 * drops) + 1.2 * _scatter(num_samples, drips, drip_grains)


def _car_passes(rng: Rng, num_samples: int, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(approaching, receding) levels, each (n,) float64 >= 0: one 3-6 s swell per car;
    a car sounds brighter coming than going, so the level moves between the two."""
    t = np.arange(num_samples) / sample_rate
    coming, going = np.zeros(num_samples), np.zeros(num_samples)
    # A car every 2-6 s (not Poisson: a street clip without one car would sound empty).
    gaps = rng.uniform(2.0, 6.0, int(num_samples / sample_rate / 2.0) + 2)
    for centre in np.cumsum(gaps) - 1.0:
        width = rng.uniform(3.0, 6.0) / 4.0
        near = slice(*np.searchsorted(t, (centre - 4 * width, centre + 4 * width)))
        local = (t[near] - centre) / width
        bell = rng.uniform(0.4, 1.0) * np.exp(-0.5 * local**2)
        early = 1.0 / (1.0 + np.exp(local / 0.3))
        coming[near] += bell * early
        going[near] += bell * (1.0 - early)
    return coming, going


def _horn(rng: Rng, sample_rate: int) -> np.ndarray:
    """(1, length) float64: a distant two-note horn, harmonics 1-5, soft edges."""
    seconds = rng.uniform(0.25, 0.6)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    base = rng.uniform(350, 450)
    notes = (1.0, 1.26)  # a major third, like most car horns
    tone = sum(np.sin(2 * np.pi * base * note * k * t) / k for note in notes for k in range(1, 6))
    edges = np.minimum(1.0, np.minimum(t, seconds - t) / 0.03)
    return (tone * edges)[None, :]


def _city(rng: Rng, num_samples: int, sample_rate: int) -> np.ndarray:
    """Brown rumble under 300 Hz, passing cars with a doppler-ish tilt, murmur, rare horn."""
    noise = rng.standard_normal((3, num_samples))
    rumble, bright, dull = _filter(noise, sample_rate, lambda f: np.stack([
        _tilt(f, 1.0) * _highpass(f, 25) * _lowpass(f, 300),
        _tilt(f, 0.5) * _highpass(f, 250) * _lowpass(f, 3000),
        _tilt(f, 0.5) * _highpass(f, 80) * _lowpass(f, 900),
    ]))
    coming, going = _car_passes(rng, num_samples, sample_rate)
    band = lambda f: _highpass(f, 300) * _lowpass(f, 2000)  # noqa: E731
    murmur = _unit(_filter(rng.standard_normal(num_samples), sample_rate, band))
    bed = _unit(rumble) * (1 + 0.3 * _drift(rng, num_samples, sample_rate, 0.1)) + 0.3 * murmur
    bed += 1.5 * (_unit(bright) * coming + _unit(dull) * going)
    for start in _events(rng, num_samples, sample_rate, 0.05):  # one horn in 20 s, far off
        bed += 0.25 * _scatter(num_samples, np.array([start]), _horn(rng, sample_rate))
    return bed


def _wind(rng: Rng, num_samples: int, sample_rate: int) -> np.ndarray:
    """Low rumbling noise whose brightness and level follow slow gusts (0.1-0.5 Hz), and
    a faint whistle that sings only in the strongest gusts."""
    whistle_hz = rng.uniform(500, 1000)
    bands = lambda f: np.stack([  # noqa: E731
        _tilt(f, 1.0) * _highpass(f, 20) * _lowpass(f, 150),
        _tilt(f, 0.7) * _highpass(f, 30) * _lowpass(f, 500),
        np.exp(-0.5 * ((f - whistle_hz) / (0.03 * whistle_hz)) ** 2),
    ])
    calm, gusty, whistle = _filter(rng.standard_normal(num_samples), sample_rate, bands)
    slow, quick = (_drift(rng, num_samples, sample_rate, hz) for hz in (0.2, 0.5))
    gust = np.clip(0.45 + 0.55 * slow + 0.3 * quick, 0.0, 1.0)
    body = _unit(calm) * (1.0 - gust) + _unit(gusty) * gust
    return body * (0.15 + 0.85 * gust) + 0.25 * _unit(whistle) * gust**4


def _room(rng: Rng, num_samples: int, sample_rate: int) -> np.ndarray:
    """Room tone: soft pink air under 1.5 kHz with a little ventilation rumble, no hum."""
    bands = lambda f: np.stack([  # noqa: E731
        _tilt(f, 0.5) * _highpass(f, 40) * _lowpass(f, 1500),
        _tilt(f, 1.0) * _highpass(f, 30) * _lowpass(f, 120),
    ])
    air, rumble = _filter(rng.standard_normal((2, num_samples)), sample_rate, bands)
    return _unit(air) + 0.5 * _unit(rumble)


def _talker(rng: Rng, num_samples: int, sample_rate: int) -> np.ndarray:
    """(n,) float64 >= 0: one talker's loudness: syllables at 3-6 Hz inside phrases
    separated by pauses. Noise shaped by it has speech rhythm but no words at all."""
    syllable_hz = rng.uniform(3.0, 6.0)
    count = int(num_samples * 2 * syllable_hz / sample_rate) + 2
    loud, soft = rng.uniform(0.4, 1.0, count), rng.uniform(0.0, 0.15, count)
    peaks = np.where(np.arange(count) % 2 == 0, loud, soft)  # vowel, consonant, vowel, ...
    syllables = _smooth(peaks, num_samples, sample_rate, 2 * syllable_hz)
    talking = (rng.uniform(size=int(num_samples * 0.6 / sample_rate) + 2) < 0.7).astype(float)
    return syllables * _smooth(talking, num_samples, sample_rate, 0.6) * rng.lognormal(0.0, 0.5)


def _cafe(rng: Rng, num_samples: int, sample_rate: int) -> np.ndarray:
    """Wordless murmur of many talkers (200-3000 Hz, two voice ranges) and cup clinks."""
    low, high = np.zeros(num_samples), np.zeros(num_samples)
    for index in range(8):
        stream = rng.standard_normal(num_samples) * _talker(rng, num_samples, sample_rate)
        if index % 2:
            low += stream
        else:
            high += stream
    voices = lambda f: np.stack([  # noqa: E731 - lower and higher voices, first formant bump
        _highpass(f, 200) * _lowpass(f, 2500, 3) * (1 + 2 * np.exp(-0.5 * ((f - 500) / 250) ** 2)),
        _highpass(f, 250) * _lowpass(f, 3000, 3) * (1 + 2 * np.exp(-0.5 * ((f - 800) / 350) ** 2)),
    ])
    murmur = _filter(np.stack([low, high]), sample_rate, voices).sum(axis=0)
    clinks = _events(rng, num_samples, sample_rate, 0.4)
    partials = rng.uniform(2000, 3500, (clinks.size, 1)) * np.array([1.0, 1.59, 2.31])  # china
    grains = _pings(sample_rate, partials, rng.uniform(0.04, 0.15, clinks.size), 0.5)
    grains *= rng.uniform(0.5, 1.5, (clinks.size, 1))
    return _unit(murmur) + 1.5 * _scatter(num_samples, clinks, grains)


KINDS: dict[str, Kind] = {
    "rain": Kind(_rain, REFERENCE_DBFS, 1_000),
    "city": Kind(_city, REFERENCE_DBFS, 2_000),
    "wind": Kind(_wind, REFERENCE_DBFS, 3_000),
    "room": Kind(_room, REFERENCE_DBFS - 14.0, 4_000),  # room tone is felt, not heard
    "cafe": Kind(_cafe, REFERENCE_DBFS, 5_000),
}
AMBIENCES = tuple(KINDS)  # ("rain", "city", "wind", "room", "cafe")


def synthesize(
    kinds: Sequence[str], num_samples: int, sample_rate: int, seed: int = 0
) -> np.ndarray:
    """The ambience bed: (num_samples,) float32 in [-1, 1], at sample_rate.

    Each kind is made at its `Kind.level_dbfs` RMS (REFERENCE_DBFS for all but room);
    several kinds are summed and scaled by 1/sqrt(count), so a mix is about as loud as
    one. A bare string is one kind. No kinds gives silence. Fades in and out over
    FADE_S; no DC. The same arguments always give the same samples.
    """
    # 1. Check inputs.
    names = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [name for name in names if name not in KINDS]
    if unknown:
        raise BadOptionError(f"unknown ambience {unknown[0]!r}: choose from {', '.join(KINDS)}")
    if not isinstance(num_samples, int) or num_samples < 0:
        raise BadOptionError(f"ambience length {num_samples!r} must be a whole number >= 0")
    if not isinstance(seed, int) or seed < 0:
        raise BadOptionError(f"ambience seed {seed!r} must be a whole number >= 0")
    if not isinstance(sample_rate, int) or not 8_000 <= sample_rate <= 192_000:
        raise BadOptionError(f"ambience sample rate {sample_rate!r} must be 8000-192000 Hz")
    if not names or num_samples == 0:
        return np.zeros(num_samples, np.float32)

    # 2. Make each kind at its level, with its own noise.
    bed = np.zeros(num_samples)
    for name in names:
        kind = KINDS[name]
        rng = np.random.default_rng(seed + kind.seed_offset)
        sound = kind.make(rng, num_samples, sample_rate)
        bed += _unit(sound - sound.mean()) * 10 ** (kind.level_dbfs / 20)
    bed /= np.sqrt(len(names))

    # 3. Fade the ends; the clip is only a guard, levels sit far below full scale.
    return np.clip(bed * _fade(num_samples, sample_rate), -1.0, 1.0).astype(np.float32)


def _fade(num_samples: int, sample_rate: int) -> np.ndarray:
    """(n,) float64 in [0, 1]: raised-cosine ramps of FADE_S (at most a quarter each end)."""
    ramp = min(int(FADE_S * sample_rate), num_samples // 4)
    gain = np.ones(num_samples)
    if ramp > 0:
        rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        gain[:ramp], gain[num_samples - ramp :] = rise, rise[::-1]
    return gain
