"""Speech (+ an ambience bed) -> the final audio track of the clip.

The voice is never changed: only the bed is scaled. The bed's gain is set from the
voice's active level (the RMS of its frames within SPEECH_GATE_DB of the loudest), and
ducks by BED_UNDER_SPEECH_DB - BED_UNDER_PAUSE_DB while someone speaks, so the words
stay clear and the pauses don't fall into a hole.
"""

from __future__ import annotations

import numpy as np

from .ambience import REFERENCE_DBFS
from .errors import BadOptionError
from .speech.model import Speech

BED_UNDER_SPEECH_DB = 20.0
"""A REFERENCE_DBFS bed sits this far under the voice's active RMS while it speaks.
At 18 dB Whisper lost the quiet final /s/ of "happens" under rain (female voice, 2 of
3 seeds); at 20 dB every kind, voice and seed tried scored WER 0."""

BED_UNDER_PAUSE_DB = 11.0
"""... and this far under it when nobody speaks: present, but still a background."""

NOMINAL_SPEECH_DBFS = -17.0
"""Active RMS assumed for a silent clip: what sayso's voices measure (peak -1 dBFS)."""

DUCK_ATTACK_S = 0.030
"""Time constant of the duck going down."""

DUCK_LOOKAHEAD_S = 0.090
"""The duck starts this early (three attack time constants: 95% down) because the whole
track is known, so the first syllable is never masked."""

DUCK_RELEASE_S = 0.300
"""Time constant of the bed coming back after the voice stops."""

DUCK_HOLD_S = 0.150
"""The duck holds through gaps shorter than this (between words), so the bed doesn't pump."""

SPEECH_GATE_DB = -30.0
"""A 5 ms frame counts as speech if its energy is within this of the loudest frame."""

CEILING = 0.99
"""No sample of the mixed track goes beyond +-CEILING."""

_HOP_S = 0.005  # control rate of the ducker and the limiter: 200 gain values a second


def mix(speech: Speech, offset: int, total: int, *, bed: np.ndarray | None = None) -> np.ndarray:
    """(total,) float32 in [-CEILING, CEILING] (in [-1, 1] without a bed): the speech
    placed at sample offset, silence around it, and the bed (>= total samples, float,
    calibrated so that REFERENCE_DBFS RMS is a normal ambience) ducked under it."""
    out = np.zeros(total, np.float32)
    end = min(offset + speech.num_samples, total)
    if end > offset:
        out[offset:end] = speech.samples[: end - offset]
    if bed is None:
        return out
    bed = _check_bed(bed, total)
    voice = out.astype(np.float64)
    hop = max(1, round(_HOP_S * speech.sample_rate))
    level, speaking = _voice_activity(voice, hop)
    under_db = _duck_depth(speaking, hop, speech.sample_rate)  # (frames,) dB under the voice
    gain_db = 20 * np.log10(level) - REFERENCE_DBFS - under_db
    gain = 10 ** (_per_sample(gain_db, hop, total) / 20)
    ducked = bed * gain
    ducked *= _headroom(voice, ducked, hop)
    return np.clip(voice + ducked, -CEILING, CEILING).astype(np.float32)


def _check_bed(bed: np.ndarray, total: int) -> np.ndarray:
    """(>= total,) float -> (total,) float64, or BadOptionError."""
    bed = np.asarray(bed)
    if bed.ndim != 1 or not np.issubdtype(bed.dtype, np.floating) or bed.size < total:
        raise BadOptionError(
            f"ambience bed has shape {bed.shape} and dtype {bed.dtype}: pass one mono "
            f"float track of at least {total} samples"
        )
    if not np.all(np.isfinite(bed[:total])):
        raise BadOptionError("ambience bed contains NaN or infinity: check the ambience stage")
    return bed[:total].astype(np.float64)


def _frames(signal: np.ndarray, hop: int, pad: float = 0.0) -> np.ndarray:
    """(n,) -> (ceil(n / hop), hop): consecutive blocks, the last padded with pad."""
    count = -(-signal.size // hop)
    padded = np.full(count * hop, pad)
    padded[: signal.size] = signal
    return padded.reshape(count, hop)


def _voice_activity(voice: np.ndarray, hop: int) -> tuple[float, np.ndarray]:
    """The voice's active RMS (linear) and which hop-frames are speech, (frames,) bool.
    A silent track gives NOMINAL_SPEECH_DBFS and no speech."""
    energy = np.mean(_frames(voice, hop) ** 2, axis=1)
    loudest = float(energy.max()) if energy.size else 0.0
    if loudest < 1e-10:  # below -100 dBFS: nobody speaks
        return 10 ** (NOMINAL_SPEECH_DBFS / 20), np.zeros(energy.size, bool)
    speaking = energy > loudest * 10 ** (SPEECH_GATE_DB / 10)
    return float(np.sqrt(np.mean(energy[speaking]))), speaking


def _duck_depth(speaking: np.ndarray, hop: int, sample_rate: int) -> np.ndarray:
    """(frames,) float64 in [BED_UNDER_PAUSE_DB, BED_UNDER_SPEECH_DB]: how far the bed
    sits under the voice, frame by frame, moving with attack/release time constants."""
    frame_s = hop / sample_rate
    early, hold = round(DUCK_LOOKAHEAD_S / frame_s), round(DUCK_HOLD_S / frame_s)
    # Widen each speech frame back by `early` and forward by `hold`.
    widened = np.convolve(speaking.astype(float), np.ones(early + hold + 1))
    wide = widened[early : early + speaking.size] > 0
    down, up = np.exp(-frame_s / DUCK_ATTACK_S), np.exp(-frame_s / DUCK_RELEASE_S)
    duck = np.empty(speaking.size)
    amount = 0.0
    for index, target in enumerate(wide):
        coefficient = down if target else up
        amount = target + coefficient * (amount - target)
        duck[index] = amount
    return BED_UNDER_PAUSE_DB + duck * (BED_UNDER_SPEECH_DB - BED_UNDER_PAUSE_DB)


def _per_sample(per_frame: np.ndarray, hop: int, total: int) -> np.ndarray:
    """(frames,) values at frame centres -> (total,) float64, joined linearly (no steps)."""
    centres = np.arange(per_frame.size) * hop + (hop - 1) / 2
    return np.interp(np.arange(total), centres, per_frame)


def _headroom(voice: np.ndarray, bed: np.ndarray, hop: int) -> np.ndarray:
    """(n,) float64 in [0, 1]: extra bed gain so that |voice + bed| <= CEILING, smooth.

    Each frame takes the minimum of its own and its neighbours' needs, so the linear
    ramps between frame centres are already low enough wherever a peak falls."""
    if voice.size == 0 or float(np.max(np.abs(voice) + np.abs(bed))) <= CEILING:
        return np.ones(voice.size)
    room = np.clip((CEILING - np.abs(voice)) / np.maximum(np.abs(bed), 1e-12), 0.0, 1.0)
    need = _frames(room, hop, pad=1.0).min(axis=1)
    padded = np.pad(need, 1, mode="edge")
    need = np.minimum(np.minimum(padded[:-2], padded[1:-1]), padded[2:])
    return _per_sample(need, hop, voice.size)
