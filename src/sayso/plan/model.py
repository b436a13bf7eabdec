"""The Plan value: everything a render needs besides the photo. JSON-serialisable.

A user can print it (`sayso plan`), edit it and feed it back (`sayso make --plan`);
`Plan.from_dict` checks every field and names the first one it cannot use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..errors import BadOptionError
from ..speech import voices as _voices

MAX_PROMPT_CHARS = 2000
SIZES = {"480p": 480, "720p": 720, "1080p": 1080}
ASPECTS = ("auto", "1:1", "16:9", "9:16", "4:3", "3:4")
FPS_CHOICES = (24, 25, 30)
VOICES = _voices.choices()  # male, female (that gender's default for the language) or a voice's name
EXPRESSIONS = ("neutral", "smile", "tender", "sad", "angry", "surprised", "disgusted", "laughing")
GAZES = ("camera", "away", "down", "up", "left", "right", "around")
GESTURES = ("nod", "shake", "tilt", "eye-roll")
CAMERA_MOVES = ("static", "push-in", "pull-out", "pan-left", "pan-right")
SCENES = ("rain", "snow", "fog", "night", "golden-hour", "neon", "bw", "grain", "vignette")
AMBIENCES = ("rain", "city", "wind", "room", "cafe")
LANGUAGES = ("en", "de", "fr")
DEFAULT_STRENGTH = 0.7


@dataclass(frozen=True)
class Line:
    """Words to speak, in a voice: "male"/"female" or a voice's name (`sayso voices`)."""

    text: str
    voice: str = "male"


@dataclass(frozen=True)
class Cue:
    """When a change starts.

    seconds: at that time in the clip. word: when that word of the line is said (after:
    once it has been said, else as it starts). Neither: in turn, the change of step k
    of n starting k/n of the way through the clip ("smiles, then frowns")."""

    seconds: float | None = None
    word: str | None = None
    after: bool = False
    step: int = 0


@dataclass(frozen=True)
class Change:
    """An expression, a gaze or a head gesture, from a cue on, at a strength in [0, 1]."""

    what: str
    strength: float = DEFAULT_STRENGTH
    at: Cue = field(default_factory=Cue)


@dataclass(frozen=True)
class Camera:
    """A camera move over the clip, optionally hand-held; speed scales its travel."""

    move: str = "static"
    handheld: bool = False
    speed: float = 1.0


@dataclass(frozen=True)
class Plan:
    """What to render. Timelines are ordered by their cues once resolved (motion)."""

    lines: tuple[Line, ...] = ()
    expressions: tuple[Change, ...] = ()
    gaze: tuple[Change, ...] = ()
    gestures: tuple[Change, ...] = ()
    camera: Camera = field(default_factory=Camera)
    scene: tuple[str, ...] = ()
    ambience: tuple[str, ...] = ()  # procedural sound beds under the voice; () = none
    duration: float | None = None  # seconds; None = as long as the speech and cues need
    size: str = "720p"
    aspect: str = "auto"
    fps: int = 24
    seed: int = 0
    language: str = "en"  # the lines' language (their words, else the direction's): picks the voice
    ignored: tuple[str, ...] = ()  # direction words that had no effect
    recording: str | None = None  # sha256 of the person's own recording (in the library) that is
    #                               heard instead of a voice; the lines are then its transcript

    @property
    def line(self) -> str | None:
        """All the words to speak, or None for a silent clip."""
        return " ".join(line.text for line in self.lines) or None

    @property
    def voice(self) -> str:
        return self.lines[0].voice if self.lines else "male"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "Plan":
        """A checked Plan from parsed JSON; BadOptionError names the first bad field."""
        return check(_build(cls, data, "plan"))

    def with_options(self, **changes: Any) -> "Plan":
        """A copy with user options applied (None = keep) and checked. voice applies to
        every line; expressions replaces the expression timeline."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "voice" in changes:
            voice = changes.pop("voice")
            changes["lines"] = tuple(replace(line, voice=voice) for line in self.lines)
        return check(replace(self, **changes))


# --------------------------------------------------------------------- from JSON


def _build(kind: type, data: Any, where: str) -> Any:
    """Instantiate dataclass kind from a dict, recursively, naming unknown keys."""
    if not isinstance(data, dict):
        raise BadOptionError(f"{where} must be a JSON object, not {type(data).__name__}")
    known = {f.name: f for f in fields(kind)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise BadOptionError(f"{where} has unknown field {unknown[0]!r}: use {', '.join(known)}")
    nested = {"lines": Line, "expressions": Change, "gaze": Change, "gestures": Change}
    values = {}
    for name, value in data.items():
        if name in nested:
            if not isinstance(value, list):
                raise BadOptionError(f"{where}.{name} must be a list")
            value = tuple(_build(nested[name], item, f"{where}.{name}[{k}]") for k, item in enumerate(value))
        elif name == "camera" or (name == "at" and kind is Change):
            value = _build(Camera if name == "camera" else Cue, value, f"{where}.{name}")
        elif name in ("scene", "ambience", "ignored"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadOptionError(f"{where}.{name} must be a list of names")
            value = tuple(value)
        values[name] = value
    try:
        return kind(**values)
    except TypeError as error:
        raise BadOptionError(f"{where} is incomplete: {error}") from error


# --------------------------------------------------------------------- checks


def _one_of(value: Any, choices: tuple | dict, what: str) -> None:
    if value not in choices:
        raise BadOptionError(f"unknown {what} {value!r}: use one of {', '.join(map(str, choices))}")


def _number(value: Any, low: float, high: float, what: str, unit: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low <= value <= high):
        raise BadOptionError(f"{what} {value!r}{unit} is out of range: use {low:g} to {high:g}{unit}")


def _check_change(change: Change, choices: tuple, what: str) -> None:
    _one_of(change.what, choices, what)
    _number(change.strength, 0.0, 1.0, f"{what} strength")
    cue = change.at
    if cue.seconds is not None:
        _number(cue.seconds, 0.0, 120.0, f"{what} time", " s")
    if cue.word is not None and not (isinstance(cue.word, str) and cue.word.strip()):
        raise BadOptionError(f"{what} cue word must be a word of the line")
    if isinstance(cue.step, bool) or not isinstance(cue.step, int) or not 0 <= cue.step < 50:
        raise BadOptionError(f"{what} step {cue.step!r} is out of range: use 0 to 49")


def check(p: Plan) -> Plan:
    """Raise BadOptionError naming the first field that is out of range."""
    _one_of(p.language, LANGUAGES, "language")
    for line in p.lines:
        _one_of(line.voice, VOICES, "voice")
        _voices.resolve(line.voice, p.language)  # a named voice must speak the line's language
        if not isinstance(line.text, str) or not line.text.strip():
            raise BadOptionError("a line to speak is empty: give it words or remove it")
    for group, choices, what in ((p.expressions, EXPRESSIONS, "expression"), (p.gaze, GAZES, "gaze"),
                                 (p.gestures, GESTURES, "gesture")):
        for change in group:
            _check_change(change, choices, what)
    _one_of(p.camera.move, CAMERA_MOVES, "camera move")
    _number(p.camera.speed, 0.1, 3.0, "camera speed")
    for name in p.scene:
        _one_of(name, SCENES, "scene effect")
    for name in p.ambience:
        _one_of(name, AMBIENCES, "ambience")
    _one_of(p.size, SIZES, "size")
    _one_of(p.aspect, ASPECTS, "aspect")
    _one_of(p.fps, FPS_CHOICES, "fps")
    if p.duration is not None:
        _number(p.duration, 0.5, 120, "duration", " s")
    if p.recording is not None and not (isinstance(p.recording, str) and len(p.recording) == 64
                                         and all(c in "0123456789abcdef" for c in p.recording)):
        raise BadOptionError(f"recording {p.recording!r} must be the sha256 (64 hex digits) of a kept recording")
    if isinstance(p.seed, bool) or not isinstance(p.seed, int) or not 0 <= p.seed < 2**32:
        raise BadOptionError(f"seed {p.seed!r} is out of range: use 0 to {2**32 - 1}")
    return p
