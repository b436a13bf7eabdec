"""The Speech value: what the speech stage hands to motion, mix and captions."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class PhonemeSpan:
    """One phoneme and where it sounds: samples [start, end) of the speech audio."""

    phoneme: str  # IPA symbol(s) as espeak-ng writes them, stress and length marks merged in
    start: int
    end: int
    stressed: bool = False


@dataclass(frozen=True)
class WordSpan:
    """One written word of the line and where it sounds, in samples [start, end)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Speech:
    """Synthesised speech with its timings.

    samples: (n,) float32 in [-1, 1], mono, at sample_rate.
    phonemes and words are ordered, non-overlapping, and lie inside [0, n).
    """

    samples: np.ndarray
    sample_rate: int
    phonemes: tuple[PhonemeSpan, ...]
    words: tuple[WordSpan, ...]
    voice: str  # the voice's name ("joe", "alpha", ...); "mixed" when joined from several; "none"
    text: str
    language: str = "en"

    @property
    def num_samples(self) -> int:
        return int(self.samples.shape[0])

    @classmethod
    def join(cls, parts: "list[Speech]", pause: int) -> "Speech":
        """One Speech of several, in order, with pause samples of silence between."""
        if len(parts) == 1:
            return parts[0]
        rate = max(part.sample_rate for part in parts)
        parts = [part.resampled(rate) for part in parts]
        gap = np.zeros(pause, np.float32)
        samples, phonemes, words, at = [], [], [], 0
        for k, part in enumerate(parts):
            if k:
                samples.append(gap)
                at += pause
            samples.append(part.samples)
            phonemes += [PhonemeSpan(p.phoneme, p.start + at, p.end + at, p.stressed) for p in part.phonemes]
            words += [WordSpan(w.text, w.start + at, w.end + at) for w in part.words]
            at += part.num_samples
        voices = {part.voice for part in parts}
        return cls(np.concatenate(samples), rate, tuple(phonemes), tuple(words),
                   voices.pop() if len(voices) == 1 else "mixed", " ".join(part.text for part in parts),
                   parts[0].language)

    def resampled(self, rate: int) -> "Speech":
        """The same speech at another sample rate (band-limited, by FFT); every span's
        edge is mapped by one rule, so the spans stay contiguous and cover the audio."""
        if rate == self.sample_rate:
            return self

        def at(sample: int) -> int:
            return (sample * rate + self.sample_rate // 2) // self.sample_rate

        phonemes = tuple(PhonemeSpan(p.phoneme, at(p.start), at(p.end), p.stressed) for p in self.phonemes)
        words = tuple(WordSpan(w.text, at(w.start), at(w.end)) for w in self.words)
        return Speech(_resample(self.samples, at(self.num_samples)), rate, phonemes, words, self.voice, self.text,
                      self.language)

    @classmethod
    def silence(cls, num_samples: int, sample_rate: int = 22050) -> "Speech":
        return cls(np.zeros(num_samples, np.float32), sample_rate, (), (), "none", "")


def in_order(spans, n: int | None = None) -> tuple:
    """Spans (PhonemeSpan or WordSpan) kept in order, touching at most, each at least a
    sample long, and starting no later than sample n when n is given."""
    top = float("inf") if n is None else n
    out, last = [], 0
    for span in spans:
        start = int(min(max(span.start, last), top))
        end = int(min(max(span.end, start + 1), max(top, start + 1)))
        out.append(replace(span, start=start, end=end))
        last = end
    return tuple(out)


def frame_rms(samples: np.ndarray, hop: int) -> np.ndarray:
    """(len(samples) // hop,) float64: the RMS of each whole hop of samples."""
    count = samples.shape[0] // hop
    return np.sqrt((samples[: count * hop].astype(np.float64).reshape(count, hop) ** 2).mean(1))


def _resample(samples: np.ndarray, m: int) -> np.ndarray:
    """(n,) -> (m,) float32 through the spectrum: exact for a band-limited signal."""
    n = samples.shape[0]
    if n == 0 or m == n:
        return samples.astype(np.float32)
    spectrum = np.fft.rfft(samples.astype(np.float64))
    keep = min(spectrum.shape[0], m // 2 + 1)
    out = np.zeros(m // 2 + 1, np.complex128)
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, m) * (m / n)).astype(np.float32)
