"""Captions from a Speech's word timings: WebVTT (browsers, the studio) and SRT (video
editors, players and upload sites that take no WebVTT). The same cues in both."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from .model import Speech, WordSpan

MAX_LINE = 42  # characters per caption line, the common broadcast limit
MAX_LINES = 2
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
# Words that end in a full stop without ending a sentence (English, German, French).
ABBREVIATIONS = frozenset("mr mrs ms dr st prof sr jr mt vs e.g i.e approx fig "
                          "hr fr frl nr str bzw usw ca vgl z.b d.h "
                          "mme mlle mm ste p.ex".split())


def webvtt(speech: Speech, offset: int = 0) -> str:
    """A WebVTT document for the speech's words.

    offset: samples added to every time (the video's silent lead-in before speech).
    Each cue runs from its first word's start to its last word's end.
    """
    lines = ["WEBVTT", ""]
    for cue in _cues(speech.words):
        start = _timestamp(cue[0].start + offset, speech.sample_rate)
        end = _timestamp(cue[-1].end + offset, speech.sample_rate)
        lines += [f"{start} --> {end}", *map(_escape, _lines([w.text for w in cue]) or []), ""]
    return "\n".join(lines)


def srt(speech: Speech, offset: int = 0) -> str:
    """A SubRip (.srt) document of the same cues: numbered, times with a decimal comma."""
    lines = []
    for number, cue in enumerate(_cues(speech.words), 1):
        start = _timestamp(cue[0].start + offset, speech.sample_rate).replace(".", ",")
        end = _timestamp(cue[-1].end + offset, speech.sample_rate).replace(".", ",")
        lines += [str(number), f"{start} --> {end}", *(_lines([w.text for w in cue]) or []), ""]
    return "\n".join(lines)


def _cues(words: Sequence[WordSpan]) -> Iterator[list[WordSpan]]:
    """Greedy: fill a cue while it fits in two lines; close it at a sentence end."""
    cue: list[WordSpan] = []
    for i, word in enumerate(words):
        if cue and _lines([w.text for w in cue] + [word.text]) is None:
            yield cue
            cue = []
        cue.append(word)
        if _ends_sentence(word.text, words[i + 1].text if i + 1 < len(words) else None):
            yield cue
            cue = []
    if cue:
        yield cue


def _ends_sentence(word: str, following: str | None) -> bool:
    """A full stop, ! or ? that is not an abbreviation or initial ("Dr.", "J."), and
    the next word (if any) does not go on in lower case ("5 p.m. sharp")."""
    if not SENTENCE_END.search(word):
        return False
    if following is not None and following[:1].islower():
        return False
    stem = word.rstrip(".!?…\"'”’)]").lower()
    return not (word.endswith(".") and (stem in ABBREVIATIONS or len(stem) == 1 and stem.isalpha()))


def _lines(texts: list[str]) -> list[str] | None:
    """The cue's lines: one if it fits, else the most even two-line split; None if
    the words need more than two lines. A lone over-long word gets a line anyway."""
    one = " ".join(texts)
    if len(one) <= MAX_LINE or len(texts) == 1:
        return [one]
    splits = [(" ".join(texts[:i]), " ".join(texts[i:])) for i in range(1, len(texts))]
    fitting = [s for s in splits if max(len(s[0]), len(s[1])) <= MAX_LINE]
    if not fitting:
        return None
    # Most even lengths; on a tie the shorter second line (a pyramid reads better).
    return list(min(fitting, key=lambda s: (max(len(s[0]), len(s[1])), len(s[1]))))


def _escape(text: str) -> str:
    # WebVTT cue text: & and < start markup, and "-->" must not appear.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(samples: int, sample_rate: int) -> str:
    ms = (max(0, samples) * 1000 + sample_rate // 2) // sample_rate
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    seconds, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}"
