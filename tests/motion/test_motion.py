"""Visemes and life between words, on real piper timings."""

from fractions import Fraction

import numpy as np
import pytest

from sayso.motion import perform
from sayso.motion.model import EXPRESSION_CHANNELS, MOUTH_CHANNELS, Performance
from sayso.motion.visemes import RATE, mouth_track, shape_of
from sayso.plan import Plan
from sayso.speech import synthesize
from sayso.speech.model import PhonemeSpan, Speech

FPS = Fraction(24)
JAW, ROUND, SPREAD, PRESS = (MOUTH_CHANNELS.index(c) for c in ("jaw", "round", "spread", "press"))


def _spans(*phonemes, each=2205):  # 0.1 s per phoneme at 22.05 kHz
    return tuple(PhonemeSpan(p, i * each, (i + 1) * each) for i, p in enumerate(phonemes))


def test_open_vowels_open_the_jaw_and_bilabials_close_it():
    track = mouth_track(_spans(" ", "a", "m", "a", " "), 22050, 0, 22050 // 2)
    at = lambda seconds: track[int(seconds * RATE)]  # noqa: E731
    assert at(0.15)[JAW] > 0.6  # middle of the first 'a'
    assert at(0.25)[JAW] < 0.05 and at(0.25)[PRESS] > 0.95  # middle of 'm': lips shut
    assert at(0.35)[JAW] > 0.6


def test_a_short_bilabial_still_closes_fully():
    short = (PhonemeSpan("a", 0, 2205), PhonemeSpan("b", 2205, 2205 + 900), PhonemeSpan("a", 3105, 5310))
    track = mouth_track(short, 22050, 0, 5310)
    middle = int((2205 + 450) / 22050 * RATE)
    assert track[middle, PRESS] > 0.95 and track[middle, JAW] < 0.1


def test_rounded_and_spread_vowels():
    assert shape_of("u")[ROUND] > 0.8 and shape_of("ʊ")[ROUND] > 0.5 and shape_of("w")[ROUND] > 0.8
    assert shape_of("i")[SPREAD] > 0.6 and shape_of("iː")[SPREAD] > 0.6
    assert shape_of(" ") == (0.0,) * 5 and shape_of(".") == (0.0,) * 5


def test_shapes_blend_rather_than_jump():
    track = mouth_track(_spans(" ", "a", " ", "a", " "), 22050, 0, 22050 // 2)
    steps = np.abs(np.diff(track[:, JAW]))
    assert steps.max() < 0.12  # no square pulses at 200 Hz


@pytest.fixture(scope="module")
def speech():
    return synthesize("Bob made a pie for me. Would you like some?")


def test_mouth_follows_the_speech_and_rests_in_silence(speech):
    offset = int(0.5 * speech.sample_rate)
    n = int(np.ceil((offset + speech.num_samples) / speech.sample_rate * 24)) + 24
    perf = perform(Plan(line=speech.text), speech, offset, n, FPS)
    start = int(np.ceil(offset / speech.sample_rate * 24))
    end = int((offset + speech.num_samples) / speech.sample_rate * 24)
    jaw = perf.mouth[:, JAW]
    assert jaw[: start - 3].max() < 0.05 and jaw[end + 6:].max() < 0.05
    assert jaw[start:end].max() > 0.6 and jaw[start:end].mean() > 0.2


def test_same_seed_same_performance_other_seed_other_life(speech):
    make = lambda seed: perform(Plan(line="x", seed=seed), speech, 11025, 120, FPS)  # noqa: E731
    a, b, c = make(3), make(3), make(4)
    for name in ("mouth", "blink", "gaze", "head", "breath"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(a.blink, c.blink) and not np.array_equal(a.head, c.head)
    assert np.array_equal(a.mouth, c.mouth)  # the mouth follows the words, not the seed


@pytest.mark.parametrize("seed", range(8))
def test_blinks_are_natural(seed):
    silent = Speech.silence(0)
    perf = perform(Plan(line=None, seed=seed), silent, 0, 24 * 12, FPS)
    closed = perf.blink > 0.8
    starts = np.flatnonzero(closed[1:] & ~closed[:-1])
    assert 2 <= len(starts) <= 6  # 10-30 a minute
    # fast close, slower open: fewer frames rising than falling around each blink
    peak = int(np.argmax(perf.blink))
    rising = np.sum(perf.blink[max(peak - 6, 0):peak] > 0.05)
    falling = np.sum(perf.blink[peak + 1:peak + 10] > 0.05)
    assert rising < falling


def test_a_four_second_clip_has_a_blink():
    for seed in range(20):
        perf = perform(Plan(line=None, seed=seed), Speech.silence(0), 0, 96, FPS)
        assert perf.blink.max() > 0.9, seed


def test_head_moves_a_little_and_smoothly(speech):
    perf = perform(Plan(line="x"), speech, 11025, 240, FPS)
    assert 0.3 < np.abs(perf.head).max() < 5.0  # degrees: alive, not wobbling
    assert np.abs(np.diff(perf.head, 2, axis=0)).max() < 0.2  # no jerks frame to frame
    assert np.abs(perf.gaze).max() < 0.1


def test_expression_is_held_at_the_asked_intensity(speech):
    perf = perform(Plan(line="x", expression="angry", intensity=0.45), speech, 0, 48, FPS)
    col = EXPRESSION_CHANNELS.index("angry")
    assert np.allclose(perf.expression[:, col], 0.45)
    assert np.allclose(np.delete(perf.expression, col, axis=1), 0)


def test_performance_saves_and_loads(tmp_path, speech):
    perf = perform(Plan(line="x", seed=5), speech, 11025, 60, FPS)
    perf.save(tmp_path / "perf.npz")
    back = Performance.load(tmp_path / "perf.npz")
    assert back.fps == FPS and back.num_frames == 60
    assert np.array_equal(back.mouth, perf.mouth) and np.array_equal(back.head, perf.head)
