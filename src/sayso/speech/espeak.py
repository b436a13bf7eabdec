"""espeak-ng's IPA for English, German and French, from the espeak data piper ships.

espeak keeps one global state (the voice set last), so every call in the process goes
through one lock; piper's joe phonemizes through the same library and takes it too.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from piper.phonemize_espeak import EspeakPhonemizer

from .timing import count_groups

ESPEAK_VOICES = {"en": "en-us", "de": "de", "fr": "fr"}

lock = threading.RLock()
_phonemizer: "EspeakPhonemizer | None" = None


def phonemize(text: str, language: str) -> list[list[str]]:
    """Text -> one list of IPA codepoints per sentence (stress and length marks, spaces and
    punctuation as tokens of their own), as piper's phonemizer writes them."""
    global _phonemizer
    with lock:
        if _phonemizer is None:
            from piper.phonemize_espeak import EspeakPhonemizer

            _phonemizer = EspeakPhonemizer()
        return _phonemizer.phonemize(ESPEAK_VOICES[language], text)


def count_words(token: str, language: str) -> int:
    """How many spoken words espeak makes of one written token ("3:45" -> 3, "—" -> 0)."""
    return count_groups(phonemize(token, language))
