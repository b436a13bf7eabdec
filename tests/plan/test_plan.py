"""The prompt reader: quotes, voice, expression timelines, gaze, gestures, camera, scene,
ambience, in English, German and French; what it ignores, and its limits."""

import json

import pytest

from sayso.errors import BadOptionError, PromptError
from sayso.plan import MAX_PROMPT_CHARS, Camera, Change, Cue, Line, Plan, plan, split_prompt, timeline


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
    assert plan(prompt).line == line


def test_no_quote_is_a_silent_clip():
    p = plan("She looks around and smiles")
    assert p.lines == () and p.line is None and [c.what for c in p.expressions] == ["smile"]
    assert [c.what for c in p.gaze] == ["around"]


def test_two_quotes_are_two_lines_in_order():
    p = plan("He says 'Hello.' then laughs and says 'See you.'")
    assert [line.text for line in p.lines] == ["Hello.", "See you."]


@pytest.mark.parametrize("prompt, voice", [
    ("She says 'hi'", "female"), ("A woman says 'hi'", "female"), ("He says 'hi'", "male"),
    ("The man says 'hi'", "male"), ("Says 'hi'", "male"), ("Sie sagt 'hallo'", "female"),
    ("Er sagt 'hallo'", "male"), ("Elle dit 'salut'", "female"), ("Il dit 'salut'", "male"),
])
def test_voice_from_the_direction(prompt, voice):
    assert plan(prompt).voice == voice


def _timeline(p: Plan) -> list[tuple[str, float]]:
    return [(c.what, c.strength) for c in p.expressions]


# one table, three languages: the same direction must read the same
@pytest.mark.parametrize("prompt, expressions", [
    ("She smiles and says 'yes'", [("smile", 0.7)]),
    ("Sie lächelt und sagt 'ja'", [("smile", 0.7)]),
    ("Elle sourit et dit 'oui'", [("smile", 0.7)]),
    ("She smiles tenderly", [("tender", 0.7)]),
    ("Sie lächelt zärtlich", [("tender", 0.7)]),
    ("Elle sourit tendrement", [("tender", 0.7)]),
    ("He looks sad", [("sad", 0.7)]), ("Er ist traurig", [("sad", 0.7)]), ("Il est triste", [("sad", 0.7)]),
    ("He is very angry", [("angry", 1.0)]), ("Er ist sehr wütend", [("angry", 1.0)]),
    ("Il est très en colère", [("angry", 1.0)]),
    ("He looks annoyed", [("angry", 0.5)]), ("Er ist genervt", [("angry", 0.5)]), ("Il est agacé", [("angry", 0.5)]),
    ("She is slightly surprised", [("surprised", 0.45)]), ("Sie ist leicht überrascht", [("surprised", 0.45)]),
    ("Elle est légèrement surprise", [("surprised", 0.45)]),
    ("He cringes", [("disgusted", 0.7)]), ("Er ist angewidert", [("disgusted", 0.7)]),
    ("Il est dégoûté", [("disgusted", 0.7)]),
    ("She laughs", [("laughing", 0.7)]), ("Sie lacht", [("laughing", 0.7)]), ("Elle rit", [("laughing", 0.7)]),
    ("She smiles broadly", [("smile", 1.0)]), ("He says 'no'", []),
])
def test_expression_words_in_three_languages(prompt, expressions):
    assert _timeline(plan(prompt)) == expressions


@pytest.mark.parametrize("prompt", [
    "She smiles, then turns angry", "Sie lächelt, dann wird sie wütend", "Elle sourit, puis se fâche",
])
def test_then_makes_a_timeline_in_turn(prompt):
    p = plan(prompt)
    assert [(c.what, c.at.step) for c in p.expressions] == [("smile", 0), ("angry", 1)]
    assert all(c.at.seconds is None and c.at.word is None for c in p.expressions)


@pytest.mark.parametrize("prompt, seconds", [
    ("She smiles, then frowns at 2 s", 2.0), ("He turns angry from 1.5s", 1.5),
    ("Er wird ab 1,5 Sekunden wütend", 1.5), ("Il se fâche à 3 secondes", 3.0),
    ("At 2.5 seconds she frowns", 2.5),
])
def test_a_time_anchors_the_change_beside_it(prompt, seconds):
    change = plan(prompt).expressions[-1]
    assert change.what == "angry" and change.at.seconds == seconds


@pytest.mark.parametrize("prompt, word, after", [
    ("She says 'You are so cringe' and frowns after saying 'cringe'", "cringe", True),
    ("He says 'I am so happy for you' and smiles on 'happy'", "happy", False),
    ("Sie sagt „Das ist so peinlich“ und runzelt die Stirn nach „peinlich“", "peinlich", True),
    ("Elle dit « Tu es si gênant » et se fâche après avoir dit « gênant »", "gênant", True),
])
def test_a_quoted_word_of_the_line_anchors_a_change(prompt, word, after):
    p = plan(prompt)
    assert len(p.lines) == 1
    (change,) = p.expressions
    assert change.at.word == word and change.at.after is after


def test_a_change_after_the_line_waits_for_its_end():
    (change,) = plan("He says 'See you tomorrow.' then laughs").expressions
    assert change.what == "laughing" and change.at == Cue(word="tomorrow", after=True)


@pytest.mark.parametrize("prompt, gaze, gestures", [
    ("He looks annoyed, rolls his eyes and says 'You are so cringe.'", [], ["eye-roll"]),
    ("Er verdreht die Augen", [], ["eye-roll"]), ("Il lève les yeux au ciel", [], ["eye-roll"]),
    ("She looks away, then nods", ["away"], ["nod"]), ("Sie schaut weg und nickt", ["away"], ["nod"]),
    ("Elle détourne le regard et hoche la tête", ["away"], ["nod"]),
    ("He looks down and shakes his head", ["down"], ["shake"]),
    ("Er schaut nach unten und schüttelt den Kopf", ["down"], ["shake"]),
    ("Il baisse les yeux et secoue la tête", ["down"], ["shake"]),
    ("She tilts her head and looks up", ["up"], ["tilt"]), ("Sie neigt den Kopf", [], ["tilt"]),
    ("Elle penche la tête", [], ["tilt"]),
])
def test_gaze_and_head_gestures(prompt, gaze, gestures):
    p = plan(prompt)
    assert [c.what for c in p.gaze] == gaze and [c.what for c in p.gestures] == gestures


@pytest.mark.parametrize("prompt, camera", [
    ("Slow push-in.", Camera("push-in", False, 0.6)), ("Langsames Ranfahren.", Camera("push-in", False, 0.6)),
    ("Lent zoom avant.", Camera("push-in", False, 0.6)), ("Zoom out", Camera("pull-out")),
    ("Rauszoomen", Camera("pull-out")), ("Zoom arrière", Camera("pull-out")), ("Pan left", Camera("pan-left")),
    ("Handheld, fast pan right", Camera("pan-right", True, 1.6)), ("Handkamera", Camera("static", True)),
    ("Caméra à l'épaule", Camera("static", True)), ("She smiles", Camera()),
])
def test_camera_words(prompt, camera):
    assert plan(prompt).camera == camera


@pytest.mark.parametrize("prompt, scene, ambience", [
    ("At night in the rain, in front of a lit street, she smiles", ("night", "rain"), ("city", "rain")),
    ("Nachts im Regen vor einer beleuchteten Straße", ("night", "rain"), ("city", "rain")),
    ("La nuit sous la pluie, devant une rue éclairée", ("night", "rain"), ("city", "rain")),
    ("Elle sourit sous la neige", ("snow",), ("wind",)), ("Sie lächelt im Schnee", ("snow",), ("wind",)),
    ("In the fog", ("fog",), ("wind",)), ("Im Nebel", ("fog",), ("wind",)), ("Dans le brouillard", ("fog",), ("wind",)),
    ("At sunset", ("golden-hour",), ("room",)), ("Bei Sonnenuntergang", ("golden-hour",), ("room",)),
    ("Au coucher de soleil", ("golden-hour",), ("room",)),
    ("Neon lights, black and white, film grain, vignette", ("neon", "bw", "grain", "vignette"), ("city",)),
    ("Schwarzweiß, körnig", ("bw", "grain"), ("room",)), ("Noir et blanc, argentique", ("bw", "grain"), ("room",)),
    ("In a cafe", (), ("cafe",)), ("Im Café", (), ("cafe",)), ("Dans un café", (), ("cafe",)),
    ("On a windy street", (), ("wind", "city")), ("She smiles", (), ("room",)),
])
def test_scene_and_its_sound(prompt, scene, ambience):
    p = plan(prompt)
    assert (p.scene, p.ambience) == (scene, ambience)


@pytest.mark.parametrize("prompt, language", [
    ("At night in the rain she smiles", "en"), ("Nachts im Regen lächelt sie", "de"),
    ("La nuit sous la pluie elle sourit", "fr"),
])
def test_the_language_of_the_direction(prompt, language):
    assert plan(prompt).language == language


def test_the_issue_examples_read_in_full():
    p = plan("At night in the rain, in front of a lit street, she smiles tenderly and says "
             "'I will always love you.' Slow push-in.")
    assert p.lines == (Line("I will always love you.", "female"),)
    assert _timeline(p) == [("tender", 0.7)] and p.scene == ("night", "rain")
    assert p.camera == Camera("push-in", False, 0.6) and p.ignored == ()
    p = plan("He looks annoyed, rolls his eyes and says 'You are so cringe.'")
    assert p.voice == "male" and _timeline(p) == [("angry", 0.5)] and p.ignored == ()
    p = plan("Elle sourit sous la neige et dit « Je t'aimerai toujours ».")
    assert p.voice == "female" and _timeline(p) == [("smile", 0.7)] and p.scene == ("snow",) and p.ignored == ()


def test_words_not_understood_are_listed_not_the_line():
    p = plan("In the rain she smiles like a sphinx and says 'rain is wet.'")
    assert {"like", "sphinx"} <= set(p.ignored)
    assert not {"wet", "rain", "smiles", "says"} & set(p.ignored)


def test_an_expression_option_is_a_timeline_of_its_own():
    assert [(c.what, c.at.seconds) for c in timeline("angry from 1.5s")] == [("angry", 1.5)]
    assert [c.what for c in timeline("smile then sad")] == ["smile", "sad"]
    with pytest.raises(BadOptionError):
        timeline("bored")


def test_prompt_too_long_is_refused_with_the_limit():
    with pytest.raises(PromptError, match=str(MAX_PROMPT_CHARS)):
        plan("x" * (MAX_PROMPT_CHARS + 1))


def test_a_quote_with_no_words_is_refused():
    with pytest.raises(PromptError):
        plan("He says '...'")


@pytest.mark.parametrize("change", [
    {"voice": "robot"}, {"size": "4k"}, {"aspect": "2:1"}, {"fps": 60}, {"duration": 0.1},
    {"duration": 500}, {"seed": -1}, {"expressions": (Change("bored"),)}, {"scene": ("lava",)},
    {"ambience": ("jungle",)}, {"camera": Camera("orbit")}, {"gestures": (Change("wave"),)},
    {"expressions": (Change("smile", 1.5),)}, {"expressions": (Change("smile", at=Cue(seconds=-1)),)},
])
def test_bad_options_name_the_choices(change):
    with pytest.raises(BadOptionError):
        Plan(lines=(Line("hi"),)).with_options(**change)


def test_plan_is_json_serialisable_and_round_trips():
    p = plan("She smiles, then frowns after saying 'love'. Rain, handheld. She says 'I will always love you.'")
    p = p.with_options(seed=7, fps=30)
    data = json.loads(json.dumps(p.to_dict()))
    assert Plan.from_dict(data) == p


@pytest.mark.parametrize("data, message", [
    ([], "JSON object"), ({"lines": [{"text": "hi", "tone": "x"}]}, "unknown field 'tone'"),
    ({"scene": "rain"}, "list of names"), ({"expressions": [{"what": "smile", "at": {"seconds": "soon"}}]}, "time"),
    ({"camera": {"move": "orbit"}}, "camera move"), ({"expressions": [{}]}, "incomplete"),
])
def test_a_bad_plan_file_names_the_field(data, message):
    with pytest.raises(BadOptionError, match=message):
        Plan.from_dict(data)


def test_the_readme_shows_the_plan_sayso_makes():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The plan"):]
    prompt = re.search(r'For "(.+?)":', section, re.S).group(1).replace("\n", " ")
    shown = json.loads(re.search(r"```json\n(.+?)```", section, re.S).group(1))
    assert json.loads(json.dumps(plan(prompt).to_dict())) == shown
