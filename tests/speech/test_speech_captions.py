"""webvtt(): a valid document whose cues carry the spoken words at their times."""

from __future__ import annotations

import re

import numpy as np

from sayso.speech import Speech, WordSpan, webvtt

STAMP = r"(\d{2}):(\d{2}):(\d{2})\.(\d{3})"
CUE = re.compile(rf"^{STAMP} --> {STAMP}$")
RATE = 22050


def seconds(match: re.Match, first: int) -> float:
    h, m, s, ms = (int(match.group(first + i)) for i in range(4))
    return h * 3600 + m * 60 + s + ms / 1000


def parse(doc: str) -> list[tuple[float, float, list[str]]]:
    """Check the WebVTT structure and return (start, end, lines) per cue."""
    blocks = doc.strip("\n").split("\n\n")
    assert blocks[0] == "WEBVTT"
    cues = []
    for block in blocks[1:]:
        timing, *text = block.split("\n")
        match = CUE.match(timing)
        assert match, timing
        start, end = seconds(match, 1), seconds(match, 5)
        assert end > start and text and all(line.strip() for line in text)
        assert all("-->" not in line for line in text)
        cues.append((start, end, text))
    assert all(a[1] <= b[0] for a, b in zip(cues, cues[1:]))
    return cues


def fake_speech(words: list[str], word_s: float = 0.3) -> Speech:
    step = int(word_s * RATE)
    spans = tuple(WordSpan(w, i * step, (i + 1) * step - 100) for i, w in enumerate(words))
    return Speech(np.zeros(len(words) * step, np.float32), RATE, (), spans, "male", " ".join(words))


def test_real_speech_captions_match_the_words(speak):
    s = speak("Hello there. How are you today? I am fine, thanks.", "male")
    cues = parse(webvtt(s))
    assert [" ".join(c[2]) for c in cues] == ["Hello there.", "How are you today?", "I am fine, thanks."]
    firsts = [s.words[0], s.words[2], s.words[6]]
    lasts = [s.words[1], s.words[5], s.words[9]]
    for (start, end, _), first, last in zip(cues, firsts, lasts):
        assert abs(start - first.start / s.sample_rate) <= 0.0005
        assert abs(end - last.end / s.sample_rate) <= 0.0005


def test_offset_shifts_every_cue(speak):
    s = speak("I will always love you.", "male")
    plain, shifted = parse(webvtt(s)), parse(webvtt(s, offset=s.sample_rate // 2))
    for a, b in zip(plain, shifted):
        assert abs((b[0] - a[0]) - 0.5) <= 0.001 and abs((b[1] - a[1]) - 0.5) <= 0.001


def test_long_text_wraps_into_two_line_cues():
    words = ("the quick brown fox jumps over the lazy dog and keeps on running far away " * 4).split()
    cues = parse(webvtt(fake_speech(words)))
    assert len(cues) > 2
    for _, _, lines in cues:
        assert 1 <= len(lines) <= 2 and all(len(line) <= 42 for line in lines)
    assert " ".join(" ".join(c[2]) for c in cues) == " ".join(words)


def test_cues_break_at_sentence_ends_but_not_at_abbreviations():
    words = "Mr. Smith met Dr. Jones at 5 p.m. today. They talked.".split()
    cues = parse(webvtt(fake_speech(words)))
    assert [" ".join(c[2]) for c in cues] == ["Mr. Smith met Dr. Jones at 5 p.m. today.", "They talked."]


def test_markup_characters_are_escaped_and_times_are_exact():
    s = fake_speech(["rock", "&", "roll", "<3", "-->"])
    doc = webvtt(s, offset=RATE * 3661)  # one hour, one minute, one second
    assert "&amp;" in doc and "&lt;3" in doc and "--&gt;" in doc
    (start, end, _), = parse(doc)
    assert doc.split("\n")[2].startswith("01:01:01.000 --> ")
    assert abs(end - (3661 + s.words[-1].end / RATE)) <= 0.0005


def test_silence_gives_an_empty_document():
    assert webvtt(Speech.silence(RATE)).strip() == "WEBVTT"


def test_srt_has_the_same_cues_numbered_with_decimal_commas(speak):
    from sayso.speech import srt

    s = speak("Hello there. How are you today? I am fine, thanks.", "male")
    vtt_cues = parse(webvtt(s, offset=1234))
    blocks = srt(s, offset=1234).strip("\n").split("\n\n")
    assert len(blocks) == len(vtt_cues)
    for number, (block, (start, end, text)) in enumerate(zip(blocks, vtt_cues), 1):
        index, timing, *lines = block.split("\n")
        assert index == str(number) and lines == text
        match = re.match(r"^(\d{2}):(\d{2}):(\d{2}),(\d{3}) --> (\d{2}):(\d{2}):(\d{2}),(\d{3})$", timing)
        assert match and abs(seconds(match, 1) - start) < 1e-9 and abs(seconds(match, 5) - end) < 1e-9


def test_captions_of_a_french_line_keep_its_words_and_break_at_its_sentences(speak):
    s = speak("Bonjour ! Je t'aimerai toujours, quoi qu'il arrive.", "alpha", "fr")
    cues = parse(webvtt(s))
    assert [" ".join(c[2]) for c in cues] == ["Bonjour !", "Je t'aimerai toujours, quoi qu'il arrive."]
