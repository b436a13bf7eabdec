"""Speech: a line of text -> Speech (audio, phoneme spans, word spans).

Offline and deterministic: the same text and voice give the same samples in every
process. piper, onnxruntime and pyworld are imported on first use, not here.
"""

from __future__ import annotations

import numpy as np

from ..errors import BadOptionError, SpeechError
from .captions import webvtt
from .model import PhonemeSpan, Speech, WordSpan

__all__ = ["synthesize", "webvtt", "Speech", "PhonemeSpan", "WordSpan", "VOICES"]

VOICES = ("male", "female")
PEAK = 0.891  # -1 dBFS: room for the AAC encoder's overshoot


def synthesize(text: str, voice: str = "male") -> Speech:
    """Speak text in the given voice ("male" or "female")."""
    # 1. Check inputs.
    if voice not in VOICES:
        raise BadOptionError(f"unknown voice {voice!r}: use 'male' or 'female'")
    if not isinstance(text, str):
        raise BadOptionError(f"the line must be text, not {type(text).__name__}")
    if not text.strip():
        raise SpeechError("nothing to say: give a line with at least one word")
    line = text.strip()

    # 2. Speak with piper, sentence by sentence.
    from . import piper_voice, timing

    try:
        sentences = piper_voice.speak(line)
    except (RuntimeError, OSError, ImportError) as error:
        raise SpeechError(
            f"the voice failed to speak the line ({error}); reinstall sayso's voice packages"
        ) from error
    if not sentences:
        raise SpeechError(
            f"the line {_preview(line)} has nothing speakable: write it with English words or numbers"
        )

    # 3. Join, time and trim.
    sample_rate = piper_voice.voice().config.sample_rate
    timed = timing.time_line(line, sentences, sample_rate, piper_voice.count_words)

    # 4. Change the voice; timings stay valid because the length does not change.
    samples = timed.samples
    if voice == "female":
        from .female import feminize

        samples = feminize(samples, sample_rate)
    return Speech(_normalize(samples), sample_rate, timed.phonemes, timed.words, voice, line)


def _normalize(samples: np.ndarray) -> np.ndarray:
    """Scale to a -1 dBFS peak: one gain for the whole line keeps sentences' balance."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak < 1e-6:
        return samples.astype(np.float32)
    return (samples * (PEAK / peak)).astype(np.float32)


def _preview(line: str) -> str:
    return repr(line if len(line) <= 40 else line[:37] + "...")
