"""Where the words of a transcript sound in a recording.

English: pocketsphinx's forced alignment, its acoustic model in the wheel. No aligner
model ships for German or French (or for an English word outside pocketsphinx's
dictionary), so there a voice of ours speaks the transcript (its phoneme times are
exact) and dynamic time warping on MFCCs and loudness maps its time onto the
recording's. The reference is padded with silence so the recording's own pauses before
and after have somewhere to go.
"""

from __future__ import annotations

import numpy as np

from .closures import closures_at_dips
from .model import PhonemeSpan, WordSpan, frame_rms, in_order

HOP = 0.01  # seconds between feature frames
WINDOW = 0.025  # seconds of audio in each frame
ANALYSIS_RATE = 16000
PAD = 0.3  # seconds of silence around the reference
SHIFT = -0.01  # seconds: the warped edges land a frame late on average
REFERENCE = {"en": "joe"}  # the voice that speaks the transcript; kumo for the others
MAX_STEP = 3  # the recording may be up to this many times faster than the reference


def align(samples: np.ndarray, rate: int, transcript: str, language: str
          ) -> tuple[tuple[PhonemeSpan, ...], tuple[WordSpan, ...]]:
    """The transcript's phonemes and words at their places in samples (rate Hz):
    English by pocketsphinx's acoustic model when it knows every word, else by warping."""
    if language == "en":
        found = _sphinx(samples, rate, transcript)
        if found is not None:
            return found
    return _warped(samples, rate, transcript, language)


# pocketsphinx's ARPAbet as the IPA our mouth shapes are written in
_ARPABET = dict(
    AA="ɑ", AE="æ", AH="ʌ", AO="ɔ", AW="aʊ", AY="aɪ", EH="ɛ", ER="ɚ", EY="eɪ", IH="ɪ", IY="i", OW="oʊ", OY="ɔɪ",
    UH="ʊ", UW="u", B="b", CH="tʃ", D="d", DH="ð", F="f", G="ɡ", HH="h", JH="dʒ", K="k", L="l", M="m", N="n",
    NG="ŋ", P="p", R="ɹ", S="s", SH="ʃ", T="t", TH="θ", V="v", W="w", Y="j", Z="z", ZH="ʒ", SIL=" ")
_WORD = __import__("re").compile(r"[a-z']+")


def _sphinx(samples: np.ndarray, rate: int, transcript: str
            ) -> tuple[tuple[PhonemeSpan, ...], tuple[WordSpan, ...]] | None:
    """Forced alignment by pocketsphinx (10 ms steps); None when a word is not in its
    dictionary or the decoder finds no path (the warp takes over)."""
    from pocketsphinx import Decoder

    tokens = [t for t in transcript.split() if _WORD.search(t.lower())]
    words = [" ".join(_WORD.findall(t.lower().replace("’", "'"))) for t in tokens]
    decoder = Decoder(lm=None, bestpath=False, loglevel="FATAL")
    if not words or any(decoder.lookup_word(part) is None for w in words for part in w.split()):
        return None
    audio = _resample(samples.astype(np.float64), rate, ANALYSIS_RATE) * 32767
    audio += np.random.default_rng(0).normal(0, 2.0, audio.shape)  # dither: digital silence confuses its silence model
    pcm = np.clip(audio, -32768, 32767).astype("<i2").tobytes()
    try:
        decoder.set_align_text(" ".join(words))
        for second in (False, True):
            decoder.start_utt()
            decoder.process_raw(pcm, no_search=False, full_utt=True)
            decoder.end_utt()
            if not second:
                decoder.set_alignment()
        alignment = decoder.get_alignment()  # read it while it lives: its entries point into it
        aligned = [(w.name, w.start, w.duration, [(p.name, p.start, p.duration) for p in w]) for w in alignment]
    except RuntimeError:
        return None
    at = lambda frame: min(int(round(frame * HOP * rate)), samples.shape[0])  # noqa: E731
    phonemes = [PhonemeSpan(_ARPABET.get(name, " "), at(start), at(start + length))
                for _, _, _, phones in aligned for name, start, length in phones]
    spoken = [w for w in aligned if w[0] not in ("<sil>", "<s>", "</s>", "(NULL)")]
    names = [" ".join(_WORD.findall(w[0].split("(")[0])) for w in spoken]
    texts = tokens if len(spoken) == len(tokens) else names
    out = [WordSpan(text, at(w[1]), at(w[1] + w[2])) for text, w in zip(texts, spoken)]
    if not phonemes or not out:
        return None
    # its first word takes in the silence before it: start it where the sound does
    onset = min(_onset(samples, rate), out[0].end - 1)
    if onset > out[0].start:
        out[0] = WordSpan(out[0].text, onset, out[0].end)
        first = next(k for k, p in enumerate(phonemes) if p.phoneme != " ")
        if phonemes[first].start < onset < phonemes[first].end:
            phonemes[first:first + 1] = [PhonemeSpan(" ", phonemes[first].start, onset),
                                         PhonemeSpan(phonemes[first].phoneme, onset, phonemes[first].end)]
    return in_order(phonemes), in_order(out)


def _onset(samples: np.ndarray, rate: int) -> int:
    """The first sample of the first 10 ms louder than a tenth of the loud speech's level."""
    hop = max(1, int(HOP * rate))
    if samples.shape[0] < hop:
        return 0
    rms = frame_rms(samples, hop)
    loud = np.flatnonzero(rms > 0.1 * np.percentile(rms, 95))
    return int(loud[0] * hop) if loud.size else 0


def _warped(samples: np.ndarray, rate: int, transcript: str, language: str
            ) -> tuple[tuple[PhonemeSpan, ...], tuple[WordSpan, ...]]:
    """Our voice speaks the transcript; its exact times are warped onto the recording."""
    from . import synthesize

    reference = synthesize(transcript, REFERENCE.get(language, "kumo"), language)
    pad = int(PAD * reference.sample_rate)
    padded = np.concatenate([np.zeros(pad, np.float32), reference.samples, np.zeros(pad, np.float32)])
    ours, theirs = features(padded, reference.sample_rate), features(samples, rate)
    to_recording = warp(theirs, ours)  # reference frame -> recording frame

    n = samples.shape[0]

    def place(sample: int) -> int:
        frame = (sample + pad) / reference.sample_rate / HOP
        at = np.interp(frame, np.arange(len(to_recording)), to_recording)
        return int(np.clip(round((at * HOP + SHIFT) * rate), 0, n))

    phonemes = [PhonemeSpan(p.phoneme, place(p.start), place(p.end), p.stressed) for p in reference.phonemes]
    words = [WordSpan(w.text, place(w.start), place(w.end)) for w in reference.words]
    return tuple(closures_at_dips(phonemes, samples, rate)), in_order(words)


def features(samples: np.ndarray, rate: int) -> np.ndarray:
    """(frames, 14) float32: 13 MFCCs without c0, and log energy; each column normalised
    over the file (mean 0, deviation 1), which takes out most of the speaker and channel."""
    audio = _resample(samples.astype(np.float64), rate, ANALYSIS_RATE)
    size, hop = int(WINDOW * ANALYSIS_RATE), int(HOP * ANALYSIS_RATE)
    audio = np.concatenate([audio, np.zeros(size)])
    count = 1 + (audio.size - size) // hop
    frames = np.lib.stride_tricks.sliding_window_view(audio, size)[::hop][:count] * np.hamming(size)
    power = np.abs(np.fft.rfft(frames, 512, axis=1)) ** 2
    mel = np.log(power @ _mel_bank(512, ANALYSIS_RATE, 26).T + 1e-8)
    k = np.arange(26)
    dct = np.cos(np.pi / 26 * (k[None, :] + 0.5) * np.arange(1, 14)[:, None])
    energy = np.log(power.sum(1) + 1e-8)[:, None]
    table = np.concatenate([mel @ dct.T, energy], 1)
    table = (table - table.mean(0)) / (table.std(0) + 1e-6)
    table[:, -1] *= 2.0  # loudness decides the pauses: weigh it double
    return table.astype(np.float32)


def warp(recording: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(len(reference),) float: for each reference frame, the recording frame it falls on.

    DTW over the recording's frames: at each one the reference advances 0 to MAX_STEP
    frames (so a pause or slow speech holds it, fast speech skips), both ends pinned."""
    rows, cols = len(recording), len(reference)
    norms = (reference**2).sum(1)

    def cost(j: int) -> np.ndarray:  # distances of recording frame j to every reference frame
        return np.sqrt(np.maximum((recording[j] ** 2).sum() + norms - 2 * reference @ recording[j], 0))

    sample = np.concatenate([cost(j) for j in np.linspace(0, rows - 1, min(rows, 50)).astype(int)])
    penalty = np.float32(0.15 * float(np.median(sample)))
    total = np.full(cols, np.inf, np.float32)
    total[0] = cost(0)[0]
    step = np.zeros((rows, cols), np.int8)
    for j in range(1, rows):
        best = total + penalty  # stay on the same reference frame
        choice = np.zeros(cols, np.int8)
        for advance in range(1, MAX_STEP + 1):
            moved = np.full(cols, np.inf, np.float32)
            moved[advance:] = total[:-advance] + (0 if advance == 1 else penalty)
            better = moved < best
            best[better], choice[better] = moved[better], advance
        total = best + cost(j)
        step[j] = choice
    # back from the last frames of both
    first = np.full(cols, -1, np.int64)
    i = cols - 1
    for j in range(rows - 1, -1, -1):
        first[i] = j
        back = int(step[j, i]) if j else i
        for skipped in range(1, back):
            first[i - skipped] = j
        i -= back
        if i < 0:
            break
    first[first < 0] = 0
    return np.maximum.accumulate(first).astype(np.float64)


def _mel_bank(n_fft: int, rate: int, bands: int) -> np.ndarray:
    """(bands, n_fft // 2 + 1) triangular filters, equally spaced in mel, 60 Hz to 7.6 kHz."""
    mel = lambda hz: 2595 * np.log10(1 + hz / 700)  # noqa: E731
    hz = lambda m: 700 * (10 ** (m / 2595) - 1)  # noqa: E731
    edges = hz(np.linspace(mel(60), mel(min(7600, rate / 2)), bands + 2))
    bins = np.fft.rfftfreq(n_fft, 1 / rate)
    bank = np.zeros((bands, bins.size))
    for b in range(bands):
        lo, mid, hi = edges[b:b + 3]
        bank[b] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0, None)
    return bank


def _resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    from .model import _resample as through_spectrum

    if rate == target:
        return audio
    return through_spectrum(audio, int(round(audio.shape[0] * target / rate))).astype(np.float64)
