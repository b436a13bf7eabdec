"""Plan + Speech -> Performance: what the face does in every frame.

Mouth shapes come from the phoneme timings (visemes.py); everything else is life
between words, drawn from a seeded random generator so the same seed gives the same
performance: blinks at irregular (gamma) intervals with a fast close and a slower
open, small eye saccades that come back to the camera, a slow head sway from smooth
noise with small nods on stressed syllables, and breathing with an inhale before the
line. Trajectories are sampled at frame centres.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..plan import Plan
from ..speech.model import Speech
from ..speech.recording import VOICE as RECORDING
from . import direction
from .direction import expression_weights, latest_cue
from .model import CAMERA_CHANNELS, EXPRESSION_CHANNELS, MOUTH_CHANNELS, Performance
from .visemes import RATE, mouth_track

__all__ = ["Performance", "perform", "latest_cue", "expression_weights", "MOUTH_CHANNELS", "EXPRESSION_CHANNELS",
           "CAMERA_CHANNELS"]
_JAW, _PRESS = MOUTH_CHANNELS.index("jaw"), MOUTH_CHANNELS.index("press")

# Lips move a little before the sound they make. Measured against the judge's audio
# envelope, mouths sampled at frame centres read half a frame late (lag +0.4 to +0.66
# frames at 24 fps on all test photos) and a lead of 25 ms centred that; since b and p
# shut where the sound stops (speech/closures.py), 15 ms earlier than before, 10 ms does:
# fine lag -0.01 to -0.36 and best lag 0 on four clips, where 25 ms gave -1.
MOUTH_LEAD = 0.010  # seconds


def _frame_times(num_frames: int, fps: Fraction) -> np.ndarray:
    """(n,) seconds at the middle of each frame's time on screen."""
    return (np.arange(num_frames) + 0.5) / float(fps)


def loudness(speech: Speech, offset: int, total: int) -> np.ndarray:
    """(m,) RMS envelope at RATE over the output timeline, 1.0 = loud speech; a
    recording's noise floor (its quietest tenth while it plays) reads as 0."""
    hop = speech.sample_rate // RATE
    audio = np.zeros(total + hop, np.float32)
    end = min(offset + speech.num_samples, total)
    audio[offset:end] = speech.samples[: end - offset]
    frames = audio[: (len(audio) // hop) * hop].reshape(-1, hop)
    rms = np.sqrt((frames.astype(np.float64) ** 2).mean(1))
    rms = np.convolve(rms, np.ones(4) / 4, mode="same")
    ref = np.percentile(rms[rms > 0], 95) if np.any(rms > 0) else 1.0
    floor = 0.0
    if speech.voice == RECORDING:
        playing = rms[offset // hop:end // hop]
        floor = float(np.percentile(playing, 10)) if playing.size else 0.0
    return np.clip((rms - floor) / max(ref - floor, 1e-6), 0, 1.2).astype(np.float32)


BLINK_CLOSE, BLINK_SHUT, BLINK_OPEN = 0.080, 0.050, 0.160  # seconds (RENDERING.md: 70-100 ms, 150-250 ms)


def _blinks(t: np.ndarray, rng: np.random.Generator, duration: float) -> np.ndarray:
    """(n,) lid closure: gamma-spaced blinks (mean ~3.3 s), the first by 1.8 s; each
    closes in 80 ms, stays shut 50 ms and opens in 160 ms: three frames or more at
    24 fps show the eye at least three quarters closed, whatever its phase to them,
    and few show it half shut (a half-shut eye costs the most likeness)."""
    times = []
    at = rng.uniform(0.7, 1.8)
    while at < duration - 0.4:
        times.append(at)
        at += max(1.2, rng.gamma(3.0, 1.1))
    if not times and duration >= 1.5:
        times.append(rng.uniform(0.6, duration - 0.6))
    out = np.zeros_like(t)
    for b in times:
        d = t - b
        closing = np.clip((d + BLINK_CLOSE) / BLINK_CLOSE, 0, 1) * (d < 0)
        opening = np.clip(1 - (d - BLINK_SHUT) / BLINK_OPEN, 0, 1) * (d >= 0)
        shape = np.maximum(closing, opening)
        out = np.maximum(out, shape * shape * (3 - 2 * shape))
    return out


def _saccades(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) gaze offsets: fixations of 0.5-2 s, often back at the camera."""
    gaze = np.zeros((len(t), 2))
    at, current = rng.uniform(0.4, 1.2), np.zeros(2)
    end = float(t[-1]) if len(t) else 0.0
    while at < end:
        target = np.zeros(2) if rng.random() < 0.45 else rng.uniform((-0.07, -0.035), (0.07, 0.03))
        ramp = np.clip((t - at) / 0.045, 0, 1)[:, None]
        gaze = np.where(t[:, None] >= at, current + (target - current) * ramp, gaze)
        current = target
        at += float(np.clip(rng.gamma(2.5, 0.45), 0.5, 2.2))
    return gaze


def _smooth_noise(t: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """(n,) a slow sway: two sinusoids of random phase at 0.06-0.2 Hz."""
    out = np.zeros_like(t)
    for freq, share in ((rng.uniform(0.06, 0.11), 0.65), (rng.uniform(0.13, 0.2), 0.35)):
        out += share * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
    return amplitude * out


def _nods(t: np.ndarray, speech: Speech, offset: int, env: np.ndarray) -> np.ndarray:
    """(n,) pitch in degrees: a small nod on each stressed syllable, sized by loudness."""
    out = np.zeros_like(t)
    for p in speech.phonemes:
        if not p.stressed:
            continue
        centre = (p.start + offset) / speech.sample_rate + 0.06
        gain = float(env[min(int(centre * RATE), len(env) - 1)]) if len(env) else 1.0
        out += 0.9 * min(gain, 1.0) * np.exp(-0.5 * ((t - centre) / 0.18) ** 2)
    return out


def perform(plan: Plan, speech: Speech, offset: int, num_frames: int, fps: Fraction) -> Performance:
    """The performance for a clip of num_frames at fps whose speech starts at sample offset."""
    rng = np.random.default_rng(plan.seed)
    t = _frame_times(num_frames, fps)
    duration = num_frames / float(fps)
    total = int(round(duration * speech.sample_rate))
    env = loudness(speech, offset, total)
    recorded = speech.voice == RECORDING

    track = mouth_track(speech.phonemes, speech.sample_rate, offset, total, env, recorded=recorded)
    idx = np.arange(len(track)) / RATE
    lead = 0.0 if recorded else MOUTH_LEAD  # a recording's loudness moves the jaw as it sounds
    mouth = np.stack([np.interp(t + lead, idx, track[:, c]) for c in range(track.shape[1])], 1)

    expression, held_jaw, lean, replace = direction.expressions(plan, speech, offset, t, duration)
    # an expression's open jaw gives way to the lips closing for m, b, p
    mouth[:, _JAW] = np.clip(mouth[:, _JAW] + held_jaw * (1 - mouth[:, _PRESS]), 0, 1)

    # a one-second mean of the loudness ("same" would outgrow a clip shorter than that)
    speaking = np.convolve(env, np.ones(RATE) / RATE, mode="full")[RATE // 2:RATE // 2 + len(env)]
    speaking = np.interp(t, np.arange(len(env)) / RATE, speaking)
    head = np.stack([
        _smooth_noise(t, rng, 1.4) * (1 + 0.3 * speaking),
        _smooth_noise(t, rng, 0.8) + _nods(t, speech, offset, env),
        _smooth_noise(t, rng, 0.5),
    ], 1)
    gesture_head, gesture_eyes = direction.gestures(plan, speech, offset, t, duration)
    head = head + lean + gesture_head
    start = offset / speech.sample_rate
    breath = np.sin(2 * np.pi * t / rng.uniform(3.6, 4.6) + rng.uniform(0, 2 * np.pi)) * 0.6
    if speech.phonemes:
        breath += 0.8 * np.exp(-0.5 * ((t - (start - 0.25)) / 0.25) ** 2)

    blink = _blinks(t, rng, duration)
    held_gaze, idle = direction.gaze(plan, speech, offset, t, duration)
    gaze = held_gaze + idle * _saccades(t, rng) + gesture_eyes
    # the camera draws from its own stream so that adding a move keeps the same life
    lens = direction.camera(plan, t, duration, np.random.default_rng([plan.seed, 1]))

    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return Performance(fps=fps, mouth=f32(mouth), expression=f32(expression), blink=f32(blink), gaze=f32(gaze),
                       head=f32(head), breath=f32(np.clip(breath, -1, 1)), camera=f32(lens),
                       replace=f32(replace))
