"""Speech tests share one cache of synthesised lines: piper runs once per line and voice."""

from __future__ import annotations

import functools

import pytest

from sayso.speech import Speech, synthesize


@functools.lru_cache(maxsize=None)
def _speak(text: str, voice: str) -> Speech:
    return synthesize(text, voice)


@pytest.fixture(scope="session")
def speak():
    return _speak
