"""Prompt text -> Plan: the line to speak, the voice and the base expression.

The direction (everything outside the quotes) is read through small word tables
that a contributor can extend; words the tables do not know are listed in
Plan.ignored so the user can see what had no effect.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

from ..errors import BadOptionError, PromptError

MAX_PROMPT_CHARS = 2000
SIZES = {"480p": 480, "720p": 720, "1080p": 1080}
ASPECTS = ("auto", "1:1", "16:9", "9:16", "4:3", "3:4")
FPS_CHOICES = (24, 25, 30)
VOICES = ("male", "female")
EXPRESSIONS = ("neutral", "smile", "sad", "angry", "surprised")

# Quote pairs, tried in this order. Single quotes only count at word edges so that
# "don't" or "Let's" do not open a quote.
_QUOTES = (
    re.compile(r"\u201c(.+?)\u201d"),  # “...”
    re.compile(r"\u201e(.+?)[\u201c\u201d]"),  # „...“
    re.compile(r"\u00ab\s*(.+?)\s*\u00bb"),  # «...»
    re.compile(r'"(.+?)"'),
    re.compile(r"\u2018(.+?)\u2019(?!\w)"),  # ‘...’
    re.compile(r"(?<!\w)'(.+?)'(?!\w)"),
)

# word -> meaning tables. Keys are lower-case whole words.
VOICE_WORDS = {
    **dict.fromkeys(["she", "her", "woman", "girl", "lady", "female", "mother", "grandma"], "female"),
    **dict.fromkeys(["he", "his", "him", "man", "boy", "guy", "male", "father", "grandpa"], "male"),
}
EXPRESSION_WORDS = {
    **dict.fromkeys(["smile", "smiles", "smiling", "happy", "happily", "cheerful", "grins", "grin", "grinning"], "smile"),
    **dict.fromkeys(["sad", "sadly", "unhappy", "sorrowful", "cries", "crying", "gloomy"], "sad"),
    **dict.fromkeys(["angry", "angrily", "annoyed", "furious", "mad", "grimace", "grimaces", "scowls", "frowns"], "angry"),
    **dict.fromkeys(["surprised", "surprise", "shocked", "astonished", "amazed", "stunned"], "surprised"),
    **dict.fromkeys(["neutral", "calm", "calmly", "plain", "deadpan"], "neutral"),
}
INTENSITY_WORDS = {
    **dict.fromkeys(["slightly", "faintly", "softly", "gently", "little", "bit"], 0.45),
    **dict.fromkeys(["very", "broadly", "widely", "really", "extremely", "so"], 1.0),
}
# Words that carry no direction of their own: neither used nor worth reporting.
FILLER_WORDS = frozenset(
    "a an the and or but then with to of in on at as is it its this that says say said "
    "tells tell speaks speak asks ask replies reply whispers shouts while who".split()
)


@dataclass(frozen=True)
class Plan:
    """Everything a render needs to know besides the photo. JSON-serialisable."""

    line: str | None  # the words to speak; None for a silent clip
    voice: str = "male"
    expression: str = "neutral"
    intensity: float = 0.7  # 0..1 strength of the expression
    duration: float | None = None  # seconds; None = as long as the speech needs
    size: str = "720p"
    aspect: str = "auto"
    fps: int = 24
    seed: int = 0
    ignored: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return asdict(self)

    def with_options(self, **changes) -> "Plan":
        """A copy with user options applied and checked."""
        return check(replace(self, **{k: v for k, v in changes.items() if v is not None}))


def check(p: Plan) -> Plan:
    """Raise BadOptionError naming the first option that is out of range."""
    if p.voice not in VOICES:
        raise BadOptionError(f"unknown voice {p.voice!r}: use one of {', '.join(VOICES)}")
    if p.expression not in EXPRESSIONS:
        raise BadOptionError(f"unknown expression {p.expression!r}: use one of {', '.join(EXPRESSIONS)}")
    if p.size not in SIZES:
        raise BadOptionError(f"unknown size {p.size!r}: use one of {', '.join(SIZES)}")
    if p.aspect not in ASPECTS:
        raise BadOptionError(f"unknown aspect {p.aspect!r}: use one of {', '.join(ASPECTS)}")
    if p.fps not in FPS_CHOICES:
        raise BadOptionError(f"fps {p.fps} is not supported: use one of {', '.join(map(str, FPS_CHOICES))}")
    if p.duration is not None and not (0.5 <= p.duration <= 120):
        raise BadOptionError(f"duration {p.duration:g} s is out of range: use 0.5 to 120 seconds")
    if not (0.0 <= p.intensity <= 1.0):
        raise BadOptionError(f"intensity {p.intensity:g} is out of range: use 0 to 1")
    if not (0 <= p.seed < 2**32):
        raise BadOptionError(f"seed {p.seed} is out of range: use 0 to {2**32 - 1}")
    return p


def split_prompt(prompt: str) -> tuple[str | None, str]:
    """(quoted line or None, the direction text with the quote removed)."""
    best = None
    for pattern in _QUOTES:
        m = pattern.search(prompt)
        if m and m.group(1).strip() and (best is None or m.start() < best.start()):
            best = m
    if best is None:
        return None, prompt
    return best.group(1).strip(), (prompt[: best.start()] + " " + prompt[best.end():]).strip()


def plan(prompt: str) -> Plan:
    """Read a prompt into a Plan. Raises PromptError for an unusable prompt."""
    if len(prompt) > MAX_PROMPT_CHARS:
        raise PromptError(
            f"prompt is {len(prompt)} characters; shorten it to at most {MAX_PROMPT_CHARS}"
        )
    line, direction = split_prompt(prompt)
    voice, expression, intensity = None, "neutral", 0.7
    ignored: list[str] = []
    for word in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", direction.lower()):
        if word in VOICE_WORDS:
            voice = voice or VOICE_WORDS[word]
        elif word in EXPRESSION_WORDS:
            expression = EXPRESSION_WORDS[word]
        elif word in INTENSITY_WORDS:
            intensity = INTENSITY_WORDS[word]
        elif word not in FILLER_WORDS:
            ignored.append(word)
    if line is not None and not re.search(r"\w", line):
        raise PromptError("the quoted line has no words: put the words to speak in quotes")
    return check(Plan(line=line, voice=voice or "male", expression=expression,
                      intensity=intensity, ignored=tuple(ignored)))
