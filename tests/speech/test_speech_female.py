"""The female voice: same timings, clearly higher pitch, still words."""

from __future__ import annotations

import numpy as np

LINE = "Please call Stella and ask her to bring these things with her."


def median_pitch(samples: np.ndarray, sample_rate: int) -> float:
    """Median F0 in Hz by YIN (an estimator independent of the one the voice uses).

    YIN takes the shortest lag whose normalised difference dips below 0.15, so it does
    not mistake a strong second harmonic for the fundamental.
    """
    x = samples.astype(np.float64)
    width, max_lag, hop = int(0.025 * sample_rate), int(sample_rate / 50), int(0.01 * sample_rate)
    loud = 0.05 * np.abs(x).max()
    pitches = []
    for start in range(0, x.shape[0] - width - max_lag, hop):
        frame = x[start : start + width + max_lag]
        head = frame[:width]
        if np.sqrt(np.mean(head**2)) < loud:
            continue
        diff = np.array([np.sum((head - frame[lag : lag + width]) ** 2) for lag in range(1, max_lag + 1)])
        norm = diff * np.arange(1, max_lag + 1) / np.maximum(np.cumsum(diff), 1e-12)
        low = int(sample_rate / 500) - 1
        below = np.flatnonzero(norm[low:] < 0.15)
        if below.size:
            lag = low + below[0]
            while lag + 1 < max_lag and norm[lag + 1] < norm[lag]:
                lag += 1
            pitches.append(sample_rate / (lag + 1))
    assert len(pitches) > 20, "too few periodic frames to measure pitch"
    return float(np.median(pitches))


def test_female_voice_keeps_length_and_timings(speak):
    male, female = speak(LINE, "male"), speak(LINE, "female")
    assert female.voice == "female"
    assert female.num_samples == male.num_samples
    assert female.phonemes == male.phonemes and female.words == male.words
    assert female.samples.dtype == np.float32 and np.abs(female.samples).max() <= 1.0


def test_female_voice_is_much_higher(speak):
    male, female = speak(LINE, "male"), speak(LINE, "female")
    f_male = median_pitch(male.samples, male.sample_rate)
    f_female = median_pitch(female.samples, female.sample_rate)
    assert f_female >= 1.5 * f_male, (f_male, f_female)
    assert 160 <= f_female <= 280, f_female  # an adult woman's speaking range


def test_female_voice_sounds_where_the_male_one_does(speak):
    male, female = speak(LINE, "male"), speak(LINE, "female")
    for w in male.words:
        a, b = male.samples[w.start : w.end], female.samples[w.start : w.end]
        assert np.sqrt(np.mean(b**2)) > 0.2 * np.sqrt(np.mean(a**2)), w


def test_female_voice_is_deterministic(speak):
    from sayso.speech import synthesize

    assert np.array_equal(speak(LINE, "female").samples, synthesize(LINE, "female").samples)
