"""Piper's per-token sample counts -> PhonemeSpans and WordSpans.

Piper speaks one sentence at a time and reports, for every token it was given, how
many samples it produced. Tokens are phoneme codepoints plus marks and separators:

- stress marks (ˈ primary, ˌ secondary) stand just before the stressed vowel: their
  samples go to the following phoneme, which gets stressed=True for primary stress;
  the mark itself is not kept in the phoneme text (the flag carries it).
- length marks (ː ˑ), combining diacritics (n̩) and modifier letters (ʰ ʲ ˞) join
  the preceding phoneme: "ɔː", "n̩".
- separators: '^' and '$' (sentence start and end), ' ' (word gap) and punctuation.
  Where the audio under a separator is quiet it stays a span of its own: ' ' for a
  pause, or the punctuation character (',' '.' '?' ...) so motion can react to it;
  consecutive quiet separators form one span, labelled by their punctuation if any.
  Where it is voiced (piper often lets a word ring on into the gap) it joins the
  preceding phoneme, so the mouth does not shut mid-phrase. Sentence start and end
  ('^' '$') always stay silence: they are piper's natural lead-in and tail.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .model import PhonemeSpan, WordSpan

STRESS_MARKS = {"ˈ": True, "ˌ": False}  # mark -> counts as stressed
MODIFIERS = frozenset("ːˑʰʲʷˤ˞")
QUIET_DB = -24.0  # a separator this far below the line's RMS is a pause, not sound
MAX_LEAD_S = 0.15
MAX_TAIL_S = 0.25


@dataclass(frozen=True)
class Sentence:
    """One sentence as piper spoke it.

    samples: (n,) float32, model output. tokens: '^', phoneme codepoints, ' ',
    punctuation, '$'. counts: samples per token, summing to n.
    """

    samples: np.ndarray
    tokens: tuple[str, ...]
    counts: tuple[int, ...]


@dataclass
class _Unit:
    """A span under construction. word: index of its phoneme group, None for a separator."""

    label: str
    start: int
    end: int
    stressed: bool = False
    word: int | None = None
    sentence: int = 0


@dataclass(frozen=True)
class Timed:
    """Audio and timings for a whole line, before normalisation."""

    samples: np.ndarray  # (n,) float32
    phonemes: tuple[PhonemeSpan, ...]
    words: tuple[WordSpan, ...]


def is_separator(token: str) -> bool:
    """True for tokens that are not sounds: ^ $, spaces, punctuation and symbols."""
    return token in "^$" or unicodedata.category(token)[0] in "PSZ"


def is_modifier(token: str) -> bool:
    return token in MODIFIERS or unicodedata.combining(token) > 0


def count_groups(sentences: Sequence[Sequence[str]]) -> int:
    """How many words (runs of sounds between separators) phonemised text holds."""
    groups = 0
    for phonemes in sentences:
        in_word = False
        for token in phonemes:
            sound = not is_separator(token) and token not in STRESS_MARKS
            groups += sound and not in_word
            in_word = sound or (in_word and not is_separator(token))
    return groups


def time_line(
    text: str, sentences: Sequence[Sentence], sample_rate: int, count_word: Callable[[str], int]
) -> Timed:
    """Join the sentences, time phonemes and words, trim long lead and tail silence.

    count_word(token) says how many spoken words the voice makes of one written token.
    """
    samples = np.concatenate([s.samples for s in sentences]).astype(np.float32)
    units = _units(sentences)
    units = _merge_voiced_separators(units, samples)
    units = _merge_pauses(units)
    cut_start, cut_end = _trim_bounds(units, len(samples), sample_rate)
    units = _shift(units, cut_start, cut_end)
    samples = samples[cut_start:cut_end]
    phonemes = tuple(PhonemeSpan(u.label, u.start, u.end, u.stressed) for u in units)
    words = map_words(text, _groups(units), count_word)
    return Timed(samples, phonemes, words)


def _units(sentences: Sequence[Sentence]) -> list[_Unit]:
    units: list[_Unit] = []
    pos, word, in_word = 0, -1, False
    stress: tuple[int, bool] | None = None  # (start sample, primary) of a pending mark
    for index, sentence in enumerate(sentences):
        for token, count in zip(sentence.tokens, sentence.counts):
            start, end, pos = pos, pos + count, pos + count
            if token in STRESS_MARKS:
                first = stress[0] if stress else start
                stress = (first, STRESS_MARKS[token] or bool(stress and stress[1]))
                continue
            if is_modifier(token) and units and units[-1].word is not None:
                units[-1].label += token
                units[-1].end = end
                continue
            stressed = False
            if stress:
                start, stressed = stress
                stress = None
            if is_separator(token):
                in_word = False
                units.append(_Unit(token, start, end, sentence=index))
                continue
            if not in_word:
                word, in_word = word + 1, True
            units.append(_Unit(token, start, end, stressed, word, index))
        in_word = False
    return units


def _merge_voiced_separators(units: list[_Unit], samples: np.ndarray) -> list[_Unit]:
    """Fold separators that carry sound into the neighbouring phoneme."""
    threshold = _rms(samples) * 10 ** (QUIET_DB / 20)
    out: list[_Unit] = []
    carry: int | None = None  # start of a voiced separator waiting for the next phoneme
    for unit in units:
        gap = unit.word is None and unit.label not in ("^", "$")  # piper's own lead and tail stay
        voiced = gap and _rms(samples[unit.start : unit.end]) > threshold
        if voiced and out and out[-1].word is not None:
            out[-1].end = unit.end
        elif voiced:
            carry = unit.start if carry is None else carry
        else:
            if carry is not None:
                unit.start, carry = carry, None
            out.append(unit)
    if carry is not None:  # voiced to the very end with no phoneme before: keep it
        out.append(_Unit(" ", carry, units[-1].end))
    return out


def _merge_pauses(units: list[_Unit]) -> list[_Unit]:
    """One span per pause, named by its punctuation if it has any."""
    out: list[_Unit] = []
    for unit in units:
        if unit.label in ("^", "$"):
            unit.label = " "
        prev = out[-1] if out else None
        if prev is not None and prev.word is None and unit.word is None:
            prev.end = unit.end
            if prev.label == " ":
                prev.label = unit.label
            continue
        out.append(unit)
    return out


def _trim_bounds(units: list[_Unit], n: int, sample_rate: int) -> tuple[int, int]:
    sounds = [u for u in units if u.word is not None]
    lead, tail = sounds[0].start, n - sounds[-1].end
    cut_start = max(0, lead - round(MAX_LEAD_S * sample_rate))
    cut_end = n - max(0, tail - round(MAX_TAIL_S * sample_rate))
    return cut_start, cut_end


def _shift(units: list[_Unit], cut_start: int, cut_end: int) -> list[_Unit]:
    out = []
    for u in units:
        start, end = max(u.start, cut_start), min(u.end, cut_end)
        if end > start:
            out.append(_Unit(u.label, start - cut_start, end - cut_start, u.stressed, u.word, u.sentence))
    return out


@dataclass(frozen=True)
class _Group:
    """A spoken word: samples [start, end) in sentence `sentence`."""

    start: int
    end: int
    sentence: int


def _groups(units: list[_Unit]) -> list[_Group]:
    groups: dict[int, _Group] = {}
    for u in units:
        if u.word is None:
            continue
        g = groups.get(u.word)
        groups[u.word] = _Group(g.start if g else u.start, u.end, u.sentence)
    return [groups[k] for k in sorted(groups)]


def map_words(text: str, groups: list[_Group], count_word: Callable[[str], int]) -> tuple[WordSpan, ...]:
    """Give each written word the spoken words the voice made of it.

    1. Ask the voice how many spoken words each written token becomes ("3:45" -> 3,
       "—" -> 0); if the totals agree, map exactly.
    2. Else, if the written words (tokens with a letter or digit) match the spoken
       ones one to one, map them so.
    3. Else spread each sentence's words over its voiced span by character length.
    """
    tokens = text.split()
    if not tokens or not groups:
        return ()
    counts = [count_word(t) for t in tokens]
    words, counts = _attach_silent(tokens, counts)
    if sum(counts) == len(groups):
        return _exact(words, counts, groups)
    written, _ = _attach_silent(tokens, [int(any(c.isalnum() for c in t)) for t in tokens])
    if len(written) == len(groups):
        return _exact(written, [1] * len(written), groups)
    return _spread(words, counts, groups)


def _attach_silent(tokens: list[str], counts: list[int]) -> tuple[list[str], list[int]]:
    """Join tokens the voice does not speak ("—", "...") to the word before (or after)."""
    words: list[str] = []
    out: list[int] = []
    pending = ""
    for token, count in zip(tokens, counts):
        if count == 0 and words:
            words[-1] += " " + token
        elif count == 0:
            pending += token + " "
        else:
            words.append(pending + token)
            out.append(count)
            pending = ""
    if pending and words:
        words[-1] += " " + pending.strip()
    return words, out


def _exact(words: list[str], counts: list[int], groups: list[_Group]) -> tuple[WordSpan, ...]:
    spans, i = [], 0
    for word, count in zip(words, counts):
        spans.append(WordSpan(word, groups[i].start, groups[i + count - 1].end))
        i += count
    return tuple(spans)


def _spread(words: list[str], counts: list[int], groups: list[_Group]) -> tuple[WordSpan, ...]:
    if not words:
        return ()
    # Where each word's middle falls among the spoken words picks its sentence.
    scale = len(groups) / max(1, sum(counts))
    middles = np.cumsum(counts) - np.asarray(counts) / 2
    sentence_of = [groups[min(len(groups) - 1, int(m * scale))].sentence for m in middles]
    spans: list[WordSpan] = []
    for sentence in sorted(set(sentence_of)):
        members = [w for w, s in zip(words, sentence_of) if s == sentence]
        inside = [g for g in groups if g.sentence == sentence]
        spans += _by_length(members, inside[0].start, inside[-1].end)
    return tuple(spans)


def _by_length(words: list[str], start: int, end: int) -> list[WordSpan]:
    weights = np.cumsum([0] + [len(w) for w in words], dtype=np.int64)
    edges = start + (weights * (end - start)) // weights[-1]
    return [WordSpan(w, int(a), int(b)) for w, a, b in zip(words, edges[:-1], edges[1:])]


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
