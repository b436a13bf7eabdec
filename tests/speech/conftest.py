"""Speech tests share one cache of synthesised lines: each voice speaks a line once."""

from __future__ import annotations

import functools

import pytest

from sayso.speech import Speech, synthesize


@functools.lru_cache(maxsize=None)
def _speak(text: str, voice: str, language: str = "en") -> Speech:
    return synthesize(text, voice, language)


@pytest.fixture(scope="session")
def speak():
    return _speak
