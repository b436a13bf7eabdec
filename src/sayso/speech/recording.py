"""A person's own recording -> the Speech that drives the lips.

Any file FFmpeg decodes (WAV, MP3, M4A, OGG, FLAC; any rate, mono or stereo) is mixed
down to mono at RATE and checked: something must be heard, and some of it must be
voiced (a pitched sound in the range of human voices), else there is nobody to lip-sync.
With a transcript the words are aligned to the sound (align.py), which gives the lips
their closures on m, b, p and the captions their times; without one, the jaw follows
the sound alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import AudioTooLongError, BadAudioError, InputNotFoundError, NoSpeechError
from .model import Speech

RATE = 24000  # samples per second of the Speech a recording becomes (the voices' rate)
MAX_SECONDS = 110.0  # a clip is at most 120 s: the recording, a lead-in and a settle
VOICE = "recording"  # Speech.voice of a person's own recording
SILENT_PEAK = 10 ** (-50 / 20)  # a file whose loudest sample is below -50 dBFS holds nothing
MIN_VOICED = 0.25  # seconds of voiced sound a recording must hold to be speech


def load(path: str | Path, name: str | None = None) -> np.ndarray:
    """(n,) float32 in [-1, 1], mono at RATE: the whole recording, decoded and checked.

    name: what messages call it (default: the file's name). Raises InputNotFoundError,
    BadAudioError (not audio, no sound track, unreadable), AudioTooLongError and
    NoSpeechError (silent, or noise without a voice)."""
    import av

    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"{path} does not exist: check the path of the recording")
    name = name or path.name
    what = f"{name} is not a recording sayso can read"
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise BadAudioError(f"{name} has no sound in it: give a recording (WAV, MP3, M4A, OGG, FLAC)")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                _check_length(float(stream.duration * stream.time_base), name)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
            chunks, count = [], 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    count += chunk.size
                    _check_length(count / RATE, name)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except (BadAudioError, AudioTooLongError):
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise BadAudioError(f"{what} ({error.__class__.__name__}): export it as WAV, MP3, M4A, OGG or FLAC") from error
    samples = np.clip(np.concatenate(chunks) if chunks else np.zeros(0, np.float32), -1.0, 1.0).astype(np.float32)
    _check_length(samples.size / RATE, name)
    check_speech(samples, RATE, name)
    return samples


def _check_length(seconds: float, name: str) -> None:
    if seconds > MAX_SECONDS:
        raise AudioTooLongError(
            f"{name} is {seconds:.0f} s long or more; a clip holds at most {MAX_SECONDS:.0f} s: cut it shorter")


def check_speech(samples: np.ndarray, rate: int, name: str) -> None:
    """Raise NoSpeechError unless samples hold a voice."""
    if samples.size < rate * 0.2 or float(np.max(np.abs(samples), initial=0.0)) < SILENT_PEAK:
        raise NoSpeechError(f"{name} is silent: record the line again, closer to the microphone")
    if voiced_seconds(samples, rate) < MIN_VOICED:
        raise NoSpeechError(f"{name} holds no speech (noise or silence only): record a spoken line")


def voiced_seconds(samples: np.ndarray, rate: int) -> float:
    """Seconds of samples that are loud enough and periodic at a voice's pitch (60-400 Hz).

    Voicing by the normalised autocorrelation of 40 ms frames: a vowel has a peak above
    0.5 at its pitch period; hiss, hum-free noise and silence do not."""
    hop, size = int(0.02 * rate), int(0.04 * rate)
    if samples.size < size:
        return 0.0
    count = 1 + (samples.size - size) // hop
    frames = np.lib.stride_tricks.sliding_window_view(samples, size)[::hop][:count].astype(np.float64)
    frames = frames - frames.mean(1, keepdims=True)
    energy = (frames**2).sum(1)
    loud = energy > max(np.percentile(energy, 95) * 10 ** (-35 / 10), size * SILENT_PEAK**2)
    spectrum = np.fft.rfft(frames, 2 * size, axis=1)
    auto = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :size]
    lo, hi = int(rate / 400), int(rate / 60)
    peak = auto[:, lo:hi].max(1) / np.maximum(auto[:, 0], 1e-12)
    return float(np.count_nonzero(loud & (peak > 0.5)) * hop / rate)


ALIGNED = ("en", "de", "fr")  # languages whose words can be aligned (our voices speak them)


def as_speech(samples: np.ndarray, transcript: str | None, language: str) -> Speech:
    """The Speech of a recording: its own samples, its words and phonemes aligned.

    Without a transcript, Whisper writes one and names its language; in a language our
    voices do not speak (Spanish, Czech, ...) the words are kept as text but not aligned,
    and the jaw follows the sound alone."""
    if not transcript or not transcript.strip():
        from .transcribe import transcribe

        transcript, heard = transcribe(samples, RATE)
        if heard not in ALIGNED:
            return Speech(samples, RATE, (), (), VOICE, transcript, language)
        language = heard
    if not transcript.strip():
        return Speech(samples, RATE, (), (), VOICE, "", language)
    from .align import align

    phonemes, words = align(samples, RATE, transcript.strip(), language)
    return Speech(samples, RATE, phonemes, words, VOICE, transcript.strip(), language)
