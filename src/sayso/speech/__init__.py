"""Speech: a line of text -> Speech (audio, phoneme spans, word spans).

Offline and deterministic: the same text, voice and language give the same samples in
every process. piper, onnxruntime and the models are loaded on first use, not here.
"""

from __future__ import annotations

import numpy as np

from ..errors import BadOptionError, SpeechError
from .captions import srt, webvtt
from .closures import closures_at_dips
from .model import PhonemeSpan, Speech, WordSpan
from .voices import GENDERS, NAMES, SAMPLES, VOICES, Voice, languages_of, resolve

__all__ = ["synthesize", "sample", "wav_bytes", "webvtt", "srt", "resolve", "Speech", "PhonemeSpan", "WordSpan",
           "Voice", "VOICES", "NAMES", "GENDERS"]

PEAK = 0.891  # -1 dBFS: room for the AAC encoder's overshoot


def synthesize(text: str, voice: str = "male", language: str = "en") -> Speech:
    """Speak text in a voice: "male"/"female" (that gender's default for the language) or
    a voice's name (see voices.VOICES); language is "en", "de" or "fr"."""
    # 1. Check inputs.
    chosen = resolve(voice, language)
    if not isinstance(text, str):
        raise BadOptionError(f"the line must be text, not {type(text).__name__}")
    if not text.strip():
        raise SpeechError("nothing to say: give a line with at least one word")
    line = text.strip()

    # 2. Speak, sentence by sentence.
    from . import timing

    engine = _engine(chosen)
    try:
        sentences = engine.speak(line, language, chosen)
    except (RuntimeError, OSError, ImportError) as error:
        raise SpeechError(
            f"the voice {chosen.name} failed to speak the line ({error}); reinstall sayso's voice packages"
        ) from error
    if not sentences:
        raise SpeechError(
            f"the line {_preview(line)} has nothing speakable: write it with words or numbers"
        )

    # 3. Join, time and trim.
    rate = engine.sample_rate()
    timed = timing.time_line(line, sentences, rate, lambda token: engine.count_words(token, language))
    samples = _normalize(timed.samples)
    phonemes = tuple(closures_at_dips(list(timed.phonemes), samples, rate))  # lips shut where the sound stops
    return Speech(samples, rate, phonemes, timed.words, chosen.name, line, language)


class _Piper:
    @staticmethod
    def sample_rate() -> int:
        from . import piper_voice

        return piper_voice.voice().config.sample_rate

    @staticmethod
    def speak(line: str, language: str, voice: Voice):
        from . import piper_voice

        return piper_voice.speak(line)

    @staticmethod
    def count_words(token: str, language: str) -> int:
        from . import piper_voice

        return piper_voice.count_words(token)


class _Kokoro:
    @staticmethod
    def sample_rate() -> int:
        from . import kokoro_voice

        return kokoro_voice.SAMPLE_RATE

    @staticmethod
    def speak(line: str, language: str, voice: Voice):
        from . import kokoro_voice

        return kokoro_voice.speak(line, language, voice.style)

    @staticmethod
    def count_words(token: str, language: str) -> int:
        from . import espeak

        return espeak.count_words(token, language)


def sample(voice: str, language: str | None = None) -> Speech:
    """The voice saying its sample line (voices.SAMPLES) in a language it speaks: the
    given one, else its first (English for "male"/"female")."""
    if language is None:
        language = languages_of(voice)[0]
    chosen = resolve(voice, language)
    return synthesize(SAMPLES[language], chosen.name, language)


def wav_bytes(spoken: Speech) -> bytes:
    """16-bit PCM mono WAV of the speech, for a browser or a player."""
    import io
    import wave

    pcm = (np.clip(spoken.samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(spoken.sample_rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def _engine(voice: Voice):
    return {"piper": _Piper, "kokoro": _Kokoro}[voice.engine]


def _normalize(samples: np.ndarray) -> np.ndarray:
    """Scale to a -1 dBFS peak: one gain for the whole line keeps sentences' balance."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak < 1e-6:
        return samples.astype(np.float32)
    return (samples * (PEAK / peak)).astype(np.float32)


def _preview(line: str) -> str:
    return repr(line if len(line) <= 40 else line[:37] + "...")
