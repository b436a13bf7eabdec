"""Prompt text -> Plan, through the phrase tables of words.py.

The prompt is cut into quotes and direction. A quote is a line to speak, unless a word
such as "after" or "nach" stands right before it and its words are in a line: then it
is a moment in that line ("frowns after saying 'cringe'"). The direction is read phrase
by phrase, longest first; "then" starts the next step of a timeline, and a time
("at 2 s") or a moment attaches to the change beside it in the same clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..errors import BadOptionError, PromptError
from . import words as W
from .model import DEFAULT_STRENGTH, MAX_PROMPT_CHARS, Camera, Change, Cue, Line, Plan, check

# Quote pairs. Single quotes only count at word edges so that "don't" or "Let's" do
# not open a quote.
_QUOTES = (
    re.compile(r"\u201c(.+?)\u201d"),  # “...”
    re.compile(r"\u201e(.+?)[\u201c\u201d]"),  # „...“
    re.compile(r"\u00ab\s*(.+?)\s*\u00bb"),  # «...»
    re.compile(r'"(.+?)"'),
    re.compile(r"\u2018(.+?)\u2019(?!\w)"),  # ‘...’
    re.compile(r"(?<!\w)'(.+?)'(?!\w)"),
)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+|&|[,.;:!?]")
_LONGEST = 6  # words in the longest phrase of the tables
_LEXICON = W.lexicon()
_UNITS = W.unit_words()
_SPECIFIC = {"neutral": 0, "smile": 1}  # every other expression: 2


@dataclass(frozen=True)
class _Token:
    word: str  # folded
    text: str  # as written


@dataclass(frozen=True)
class _Quote:
    text: str


def quotes(prompt: str) -> list[re.Match]:
    """Every quote in the prompt, in order, none overlapping."""
    found = sorted((m for pattern in _QUOTES for m in pattern.finditer(prompt) if m.group(1).strip()),
                   key=lambda m: (m.start(), -m.end()))
    kept: list[re.Match] = []
    for m in found:
        if not kept or m.start() >= kept[-1].end():
            kept.append(m)
    return kept


def split_prompt(prompt: str) -> tuple[str | None, str]:
    """(first quoted text or None, the direction with every quote removed)."""
    found = quotes(prompt)
    direction, at = [], 0
    for m in found:
        direction.append(prompt[at:m.start()])
        at = m.end()
    direction.append(prompt[at:])
    text = re.sub(r"\s+", " ", " ".join(direction)).strip()
    return (found[0].group(1).strip() if found else None), text


def _items(prompt: str) -> list[_Token | _Quote]:
    out: list[_Token | _Quote] = []
    at = 0
    for m in quotes(prompt):
        out += [_Token(W.fold(t), t) for t in _TOKEN.findall(prompt[at:m.start()])]
        out.append(_Quote(m.group(1).strip()))
        at = m.end()
    out += [_Token(W.fold(t), t) for t in _TOKEN.findall(prompt[at:])]
    return out


def _words_of(text: str, folded: bool = True) -> list[str]:
    found = re.findall(r"[^\W_]+(?:'[^\W_]+)?", text)
    return [W.fold(w) for w in found] if folded else found


@dataclass
class _Reader:
    """State while reading the direction left to right."""

    lines: list[str] = field(default_factory=list)
    changes: dict[str, list[Change]] = field(default_factory=lambda: {"expression": [], "gaze": [], "gesture": []})
    explicit: set[tuple[str, int]] = field(default_factory=set)  # (kind, index) of changes with a time or word cue
    clause: list[tuple[str, int]] = field(default_factory=list)  # (kind, index) of this clause's changes
    step: int = 0
    then_after_line: bool = False  # a "then" came after a spoken line
    pending_cue: Cue | None = None
    pending_strength: float | None = None
    voice: str | None = None
    camera: str = "static"
    handheld: bool = False
    speed: float | None = None
    scene: list[str] = field(default_factory=list)
    ambience: list[str] = field(default_factory=list)
    votes: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def end_clause(self) -> None:
        if self.pending_strength is not None:
            self._restrength(self.pending_strength)
        self.clause, self.pending_strength = [], None

    def add(self, kind: str, what: str, strength: float | None) -> None:
        cue = self.pending_cue
        if cue is None and self.then_after_line and self.lines:
            cue = Cue(word=_words_of(self.lines[-1], folded=False)[-1], after=True)
        if cue is None:
            cue = Cue(step=self.step)
        if kind == "expression":  # a "very" or "slightly" before it outranks the word's own
            strength = self.pending_strength if self.pending_strength is not None else strength
            self.pending_strength = None
            if self._merged(what, strength, cue):
                return
        self.changes[kind].append(Change(what, strength if strength is not None else DEFAULT_STRENGTH, cue))
        if self.pending_cue is not None:
            self.explicit.add((kind, len(self.changes[kind]) - 1))
        self.pending_cue = None
        self.clause.append((kind, len(self.changes[kind]) - 1))

    def _merged(self, what: str, strength: float | None, cue: Cue) -> bool:
        """Two expression words in one clause make one expression ("smiles tenderly" is
        tender): the more specific wins, or the later of two as specific."""
        for kind, index in reversed(self.clause):
            old = self.changes[kind][index]
            if kind == "expression" and old.at == cue:
                if _SPECIFIC.get(what, 2) >= _SPECIFIC.get(old.what, 2):
                    self.changes[kind][index] = Change(what, strength if strength is not None else old.strength, cue)
                return True
        return False

    def cue(self, cue: Cue) -> None:
        """A time or a moment: it belongs to the change before it in this clause, if
        that has none yet, else to the next change."""
        for kind, index in reversed(self.clause):
            if (kind, index) not in self.explicit:
                self.changes[kind][index] = replace(self.changes[kind][index], at=cue)
                self.explicit.add((kind, index))
                return
        self.pending_cue = cue

    def strength(self, value: float, ahead_in_clause: bool) -> None:
        if ahead_in_clause or not self._restrength(value):
            self.pending_strength = value

    def _restrength(self, value: float) -> bool:
        for kind, index in reversed(self.clause):
            if kind == "expression":
                self.changes[kind][index] = replace(self.changes[kind][index], strength=value)
                return True
        return False


def _match(items: list, i: int) -> tuple[W.Meaning | None, int]:
    """The longest phrase of the tables starting at items[i]: (meaning, words used)."""
    for n in range(_LONGEST, 0, -1):
        chunk = items[i:i + n]
        if len(chunk) == n and all(isinstance(t, _Token) for t in chunk):
            meaning = _LEXICON.get(tuple(t.word for t in chunk))
            if meaning is not None:
                return meaning, n
    return None, 1


def _number(token: _Token) -> float | None:
    try:
        return float(token.word.replace(",", "."))
    except ValueError:
        return None


def _expression_ahead(items: list, i: int) -> bool:
    """Is there an expression word later in this clause?"""
    while i < len(items) and isinstance(items[i], _Token) and items[i].word not in ",.;:!?":
        meaning, n = _match(items, i)
        if meaning is not None and meaning.kind == "then":
            return False
        if meaning is not None and meaning.kind == "expression":
            return True
        i += n
    return False


def _moment(items: list, i: int, others: list[str]) -> Cue | None:
    """If the quote at items[i] names a moment of one of the other quotes (the lines),
    its cue, else None: an "after"/"on" phrase must end right before it."""
    words = _words_of(items[i].text)
    if not words or words[0] not in {w for quote in others for w in _words_of(quote)}:
        return None
    for back in range(1, 4):
        if i - back < 0 or not isinstance(items[i - back], _Token):
            return None
        meaning = _LEXICON.get(tuple(t.word for t in items[i - back:i]))
        if meaning is not None and meaning.kind in ("after-word", "at-word"):
            return Cue(word=_words_of(items[i].text, folded=False)[0], after=meaning.kind == "after-word")
        if items[i - back].word in ",.;:!?":
            return None
    return None


def plan(prompt: str) -> Plan:
    """Read a prompt into a Plan. Raises PromptError for an unusable prompt."""
    if len(prompt) > MAX_PROMPT_CHARS:
        raise PromptError(f"prompt is {len(prompt)} characters; shorten it to at most {MAX_PROMPT_CHARS}")
    items = _items(prompt)
    every_quote = [item.text for item in items if isinstance(item, _Quote)]
    r = _Reader()
    i, quoted = 0, 0
    while i < len(items):
        item = items[i]
        if isinstance(item, _Quote):
            moment = _moment(items, i, every_quote[:quoted] + every_quote[quoted + 1:])
            quoted += 1
            if moment is not None:
                r.cue(moment)
            else:
                if not re.search(r"\w", item.text):
                    raise PromptError("the quoted line has no words: put the words to speak in quotes")
                r.lines.append(item.text)
            i += 1
            continue
        if item.word in ",.;:!?":
            r.end_clause()
            i += 1
            continue
        seconds = _number(item)
        if seconds is not None:
            if i + 1 < len(items) and isinstance(items[i + 1], _Token) and items[i + 1].word in _UNITS:
                r.cue(Cue(seconds=seconds))
                i += 2
            else:
                r.ignored.append(item.text)
                i += 1
            continue
        meaning, n = _match(items, i)
        _apply(r, meaning, items, i, n)
        i += n
    r.end_clause()
    return _finish(r)


def _apply(r: _Reader, meaning: W.Meaning | None, items: list, i: int, n: int) -> None:
    if meaning is None:
        r.ignored.append(" ".join(t.text for t in items[i:i + n]))
        return
    if meaning.language is not None and meaning.kind not in ("filler", "then", "after-word", "at-word"):
        r.votes[meaning.language] = r.votes.get(meaning.language, 0) + n
    kind, value = meaning.kind, meaning.value
    if kind == "then":
        r.end_clause()
        r.step += 1
        r.then_after_line = r.then_after_line or bool(r.lines)
    elif kind == "voice":
        r.voice = r.voice or str(value)
    elif kind in ("expression", "gaze", "gesture"):
        r.add(kind, str(value), meaning.strength)
    elif kind == "strength":
        r.strength(float(value), _expression_ahead(items, i + n))
    elif kind == "camera":
        if value == "handheld":
            r.handheld = True
        else:
            r.camera = str(value)
    elif kind == "camera-speed":
        r.speed = float(value)
    elif kind == "scene":
        r.scene.append(str(value))
    elif kind == "ambience":
        r.ambience.append(str(value))


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _finish(r: _Reader) -> Plan:
    ignored = list(r.ignored)
    if r.speed is not None and r.camera == "static" and not r.handheld:
        ignored.append("(a camera speed with no camera move)")
    scene = _unique(r.scene)
    voice = r.voice or "male"
    # The voice speaks the lines' language: their own words say it, else the direction's.
    language = W.line_language(r.lines) or (max(r.votes, key=lambda k: (r.votes[k], k == "en")) if r.votes else "en")
    return check(Plan(
        lines=tuple(Line(text, voice) for text in r.lines),
        expressions=tuple(r.changes["expression"]), gaze=tuple(r.changes["gaze"]),
        gestures=tuple(r.changes["gesture"]),
        camera=Camera(r.camera, r.handheld, r.speed if r.speed is not None else 1.0),
        scene=scene, ambience=W.ambience_for(scene, r.ambience), language=language,
        ignored=tuple(ignored)))


def timeline(text: str) -> tuple[Change, ...]:
    """An expression timeline from a short direction: 'smile then angry', 'angry from 1.5s'."""
    found = plan(text)
    if not found.expressions:
        raise BadOptionError(f"no expression in {text!r}: use e.g. 'smile', 'angry from 1.5s', 'smile then sad'")
    return found.expressions
