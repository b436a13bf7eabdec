"""Visemes and life between words, on real piper timings."""

from fractions import Fraction

import numpy as np
import pytest

from sayso.motion import expression_weights, perform
from sayso.motion.model import EXPRESSION_CHANNELS, MOUTH_CHANNELS, Performance
from sayso.motion.visemes import RATE, mouth_track, shape_of
from sayso.plan import Camera, Change, Cue, Line, Plan, plan
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
    perf = perform(Plan(lines=(Line(speech.text),)), speech, offset, n, FPS)
    start = int(np.ceil(offset / speech.sample_rate * 24))
    end = int((offset + speech.num_samples) / speech.sample_rate * 24)
    jaw = perf.mouth[:, JAW]
    assert jaw[: start - 3].max() < 0.05 and jaw[end + 6:].max() < 0.05
    assert jaw[start:end].max() > 0.6 and jaw[start:end].mean() > 0.2


def test_same_seed_same_performance_other_seed_other_life(speech):
    make = lambda seed: perform(Plan(lines=(Line("x"),), seed=seed), speech, 11025, 120, FPS)  # noqa: E731
    a, b, c = make(3), make(3), make(4)
    for name in ("mouth", "blink", "gaze", "head", "breath"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(a.blink, c.blink) and not np.array_equal(a.head, c.head)
    assert np.array_equal(a.mouth, c.mouth)  # the mouth follows the words, not the seed


@pytest.mark.parametrize("seed", range(8))
def test_blinks_are_natural(seed):
    silent = Speech.silence(0)
    perf = perform(Plan(seed=seed), silent, 0, 24 * 12, FPS)
    closed = perf.blink > 0.8
    starts = np.flatnonzero(closed[1:] & ~closed[:-1])
    assert 2 <= len(starts) <= 6  # 10-30 a minute
    # fast close, slower open: fewer frames rising than falling around each blink
    peak = int(np.argmax(perf.blink))
    rising = np.sum(perf.blink[max(peak - 6, 0):peak] > 0.05)
    falling = np.sum(perf.blink[peak + 1:peak + 10] > 0.05)
    assert rising < falling


@pytest.mark.parametrize("seed", range(6))
def test_every_blink_holds_the_lids_shut_for_three_frames(seed):
    """A viewer (and a detector sampling frames) sees each blink: at 24 fps every one
    has at least three frames three quarters closed, whatever its phase to the frames."""
    perf = perform(Plan(seed=seed), Speech.silence(0), 0, 24 * 12, FPS)
    shut = perf.blink > 0.75
    starts = np.flatnonzero(shut[1:] & ~shut[:-1]) + 1
    ends = np.flatnonzero(shut[:-1] & ~shut[1:]) + 1
    assert len(starts) >= 2 and len(starts) == len(ends)
    assert np.all(ends - starts >= 3) and np.all(ends - starts <= 6), ends - starts


def test_a_four_second_clip_has_a_blink():
    for seed in range(20):
        perf = perform(Plan(seed=seed), Speech.silence(0), 0, 96, FPS)
        assert perf.blink.max() > 0.9, seed


def test_head_moves_a_little_and_smoothly(speech):
    perf = perform(Plan(lines=(Line("x"),)), speech, 11025, 240, FPS)
    assert 0.3 < np.abs(perf.head).max() < 5.0  # degrees: alive, not wobbling
    assert np.abs(np.diff(perf.head, 2, axis=0)).max() < 0.2  # no jerks frame to frame
    assert np.abs(perf.gaze).max() < 0.1


def test_expression_is_held_at_the_asked_strength(speech):
    perf = perform(Plan(lines=(Line("x"),), expressions=(Change("angry", 0.45),)), speech, 0, 48, FPS)
    assert np.allclose(perf.expression, expression_weights("angry", 0.45), atol=1e-6)
    assert perf.expression[:, EXPRESSION_CHANNELS.index("brow_lower")].min() == pytest.approx(0.45)
    assert np.allclose(perf.expression[:, EXPRESSION_CHANNELS.index("corner_pull")], 0)
    assert np.allclose(perf.replace, 1.0)  # and it takes the photo's own smile off


def test_no_expression_keeps_the_photos_face_and_a_smile_keeps_half(speech):
    assert np.allclose(perform(Plan(lines=(Line("x"),)), speech, 0, 24, FPS).replace, 0.0)
    perf = perform(plan(f"She smiles, then turns angry and says '{speech.text}'"), speech, 0, 96, FPS)
    assert np.allclose(perf.replace[:40], 0.5) and np.allclose(perf.replace[56:], 1.0)
    assert np.abs(np.diff(perf.replace)).max() < 0.2  # crossfaded, never switched


def test_performance_saves_and_loads(tmp_path, speech):
    perf = perform(Plan(lines=(Line("x"),), seed=5), speech, 11025, 60, FPS)
    perf.save(tmp_path / "perf.npz")
    back = Performance.load(tmp_path / "perf.npz")
    assert back.fps == FPS and back.num_frames == 60
    assert np.array_equal(back.mouth, perf.mouth) and np.array_equal(back.head, perf.head)
    assert np.array_equal(back.replace, perf.replace)


def _au(perf, name):
    return perf.expression[:, EXPRESSION_CHANNELS.index(name)]


def test_smile_then_angry_changes_in_turn_and_smoothly(speech):
    perf = perform(plan(f"She smiles, then turns angry and says '{speech.text}'"), speech, 0, 96, FPS)
    pull, brows = _au(perf, "corner_pull"), _au(perf, "brow_lower")
    assert pull[:40].min() > 0.6 and brows[:40].max() == 0  # the first half smiles
    assert brows[56:].min() > 0.6 and pull[56:].max() < 0.01  # the second scowls
    assert np.abs(np.diff(perf.expression, axis=0)).max() < 0.2  # built over frames, never switched


def test_a_change_after_a_word_starts_when_the_word_has_been_said(speech):
    offset = 11025
    p = plan(f"He says '{speech.text}' and frowns after saying 'pie'")
    word = next(w for w in speech.words if w.text.startswith("pie"))
    perf = perform(p, speech, offset, 120, FPS)
    start = int((word.end + offset) / speech.sample_rate * 24)
    brows = _au(perf, "brow_lower")
    assert brows[:start].max() == 0 and brows[start + 10:].min() > 0.6


def test_a_change_at_a_time(speech):
    perf = perform(Plan(expressions=(Change("surprised", 1.0, Cue(seconds=2.0)),)), speech, 0, 96, FPS)
    raise_ = _au(perf, "outer_brow_raise")
    assert raise_[:47].max() == 0 and raise_[60:].min() > 0.95


@pytest.mark.parametrize("gesture, column", [("nod", 1), ("shake", 0), ("tilt", 2)])
def test_head_gestures_move_the_head_on_their_axis(speech, gesture, column):
    still = perform(Plan(), speech, 0, 72, FPS).head
    moved = perform(Plan(gestures=(Change(gesture, 1.0),)), speech, 0, 72, FPS).head
    extra = np.abs(moved - still).max(0)
    assert extra[column] > 3.0 and extra[column] == extra.max()


def test_an_eye_roll_sends_the_irises_up_and_back(speech):
    perf = perform(Plan(gestures=(Change("eye-roll", 1.0, Cue(seconds=0.5)),)), speech, 0, 72, FPS)
    assert perf.gaze[:, 1].min() < -0.08 and abs(perf.gaze[-1, 1]) < 0.04


@pytest.mark.parametrize("move, first, last", [("push-in", 1.0, 1.14), ("pull-out", 1.14, 1.0), ("static", 1.0, 1.0)])
def test_camera_moves_ease_across_the_clip(speech, move, first, last):
    zoom = perform(Plan(camera=Camera(move)), speech, 0, 120, FPS).camera[:, 0]
    assert zoom[0] == pytest.approx(first, abs=0.005) and zoom[-1] == pytest.approx(last, abs=0.005)
    assert np.all(np.diff(zoom) * np.sign(last - first) >= 0)


def test_handheld_wanders_smoothly(speech):
    cam = perform(Plan(camera=Camera(handheld=True)), speech, 0, 240, FPS).camera
    assert 0.002 < np.abs(cam[:, 1]).max() < 0.02
    assert np.abs(np.diff(cam[:, 1:], 2, axis=0)).max() < 0.0005  # no shake from frame to frame


@pytest.mark.parametrize("voice, language, line", [
    ("joe", "en", "Good girls go to big gatherings; the judge measured the thing."),
    ("kumo", "de", "Grüße aus München: Ich möchte gern zwölf Äpfel, bitte, und Pfeffer."),
    ("kumo", "fr", "Bonjour, une fleur bleue, un vin blanc et du pain; c'est lui, la gagnante."),
])
def test_every_sound_the_voices_make_has_a_mouth_shape(voice, language, line):
    """No spoken sound falls to the rest shape (a shut mouth): espeak writes g as ɡ
    (U+0261), German and French bring ç ʁ y ø œ and nasal vowels."""
    from sayso.motion.visemes import shape_of
    from sayso.speech import synthesize

    spoken = synthesize(line, voice, language)
    rest = (0.0, 0.0, 0.0, 0.0, 0.0)
    silent = {p.phoneme for p in spoken.phonemes if not p.phoneme.strip(" ,.;:!?—…-")}
    shut = {p.phoneme for p in spoken.phonemes if p.phoneme not in silent and shape_of(p.phoneme) == rest}
    assert not shut, shut
    assert shape_of("ɡ") == shape_of("g") and shape_of("ɡ")[0] >= 0.3  # the jaw stays open on /ɡ/
    rounded = [shape_of(v)[2] for v in ("y", "ø", "œ", "ʏ") if v in {p.phoneme.strip("ˈˌː") for p in spoken.phonemes}]
    assert all(r >= 0.5 for r in rounded)  # ü, eu, u are rounded, not spread
