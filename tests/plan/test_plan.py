"""The prompt reader: quotes, voice, expression, what it ignores, and its limits."""

import json

import pytest

from sayso.errors import BadOptionError, PromptError
from sayso.plan import MAX_PROMPT_CHARS, Plan, plan, split_prompt


@pytest.mark.parametrize("prompt, line", [
    ("She smiles and says 'I will always love you.'", "I will always love you."),
    ('He says "You are so cringe."', "You are so cringe."),
    ("Elle dit « Je t'aimerai toujours ».", "Je t'aimerai toujours"),
    ("Er sagt „Ich liebe dich.“", "Ich liebe dich."),
    ("She says \u201cHello there.\u201d", "Hello there."),
    ("He whispers \u2018not now\u2019 softly", "not now"),
    ("Don't blink, she says 'Let's go!'", "Let's go!"),
])
def test_quoted_text_is_the_line(prompt, line):
    assert split_prompt(prompt)[0] == line


def test_no_quote_is_a_silent_clip():
    p = plan("She looks around and smiles")
    assert p.line is None and p.expression == "smile" and p.voice == "female"


@pytest.mark.parametrize("prompt, voice", [
    ("She says 'hi'", "female"), ("A woman says 'hi'", "female"),
    ("He says 'hi'", "male"), ("The man says 'hi'", "male"), ("Says 'hi'", "male"),
])
def test_voice_from_the_direction(prompt, voice):
    assert plan(prompt).voice == voice


@pytest.mark.parametrize("prompt, expression, intensity", [
    ("She smiles and says 'yes'", "smile", 0.7),
    ("He looks sad and says 'no'", "sad", 0.7),
    ("He is very angry and says 'no'", "angry", 1.0),
    ("She is slightly surprised: 'oh'", "surprised", 0.45),
    ("He says 'no'", "neutral", 0.7),
])
def test_expression_words(prompt, expression, intensity):
    p = plan(prompt)
    assert (p.expression, p.intensity) == (expression, intensity)


def test_words_not_understood_are_listed_not_the_line():
    p = plan("At night in the rain she smiles and says 'rain is wet.' Slow push-in.")
    assert {"night", "rain", "slow", "push"} <= set(p.ignored)
    assert "wet" not in p.ignored and "smiles" not in p.ignored and "says" not in p.ignored


def test_prompt_too_long_is_refused_with_the_limit():
    with pytest.raises(PromptError, match=str(MAX_PROMPT_CHARS)):
        plan("x" * (MAX_PROMPT_CHARS + 1))


def test_a_quote_with_no_words_is_refused():
    with pytest.raises(PromptError):
        plan("He says '...'")


@pytest.mark.parametrize("change", [
    {"voice": "robot"}, {"size": "4k"}, {"aspect": "2:1"}, {"fps": 60}, {"duration": 0.1},
    {"duration": 500}, {"seed": -1}, {"expression": "bored"},
])
def test_bad_options_name_the_choices(change):
    with pytest.raises(BadOptionError):
        Plan(line="hi").with_options(**change)


def test_plan_is_json_serialisable_and_round_trips():
    p = plan("She smiles and says 'I will always love you.'").with_options(seed=7, fps=30)
    data = json.loads(json.dumps(p.to_dict()))
    assert Plan(**{**data, "ignored": tuple(data["ignored"])}) == p
