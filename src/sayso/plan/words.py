"""The words the prompt reader understands: phrase -> meaning, in English, German, French.

To teach sayso a word, add it to the right list below. Phrases are matched on whole
words, longest first, case- and accent-free ("fâché" = "fache", "weiß" = "weiss"), so
write them as people type them. Each table maps a meaning to {language: phrases}.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# --- what the person does ------------------------------------------------------------
EXPRESSION = {
    "smile": {
        "en": "smile, smiles, smiling, smiled, happy, happily, cheerful, cheerfully, grin, grins, grinning, glad, joyful, beams, beaming",
        "de": "lächelt, lächeln, lächelnd, fröhlich, glücklich, grinst, grinsend, strahlt, froh",
        "fr": "sourit, sourire, souriant, souriante, heureux, heureuse, joyeux, joyeuse, radieux, radieuse",
    },
    "tender": {
        "en": "tender, tenderly, romantic, romantically, loving, lovingly, warmly, sweetly, affectionately, dreamily",
        "de": "zärtlich, liebevoll, romantisch, verliebt, sanft lächelnd",
        "fr": "tendre, tendrement, romantique, amoureusement, amoureux, amoureuse, affectueusement",
    },
    "sad": {
        "en": "sad, sadly, unhappy, sorrowful, cries, crying, gloomy, tearful, melancholy, heartbroken, upset",
        "de": "traurig, weint, weinend, betrübt, niedergeschlagen, melancholisch, bedrückt",
        "fr": "triste, tristement, pleure, pleurant, malheureux, malheureuse, mélancolique, chagriné",
    },
    "angry": {
        "en": "angry, angrily, annoyed, furious, furiously, mad, grimace, grimaces, grimacing, scowl, scowls, scowling, "
              "frown, frowns, frowning, irritated, cross, glares, glaring, turns angry, gets angry",
        "de": "wütend, verärgert, böse, genervt, zornig, sauer, grimmig, runzelt die stirn, finster",
        "fr": "fâché, fâchée, en colère, furieux, furieuse, énervé, énervée, agacé, agacée, grimace, "
              "fronce les sourcils, renfrogné, irrité, irritée",
    },
    "surprised": {
        "en": "surprised, surprise, shocked, astonished, amazed, stunned, gasps, startled, in surprise",
        "de": "überrascht, erstaunt, schockiert, verblüfft, staunt, erschrocken",
        "fr": "surpris, surprise, étonné, étonnée, choqué, choquée, stupéfait, stupéfaite, ébahi",
    },
    "disgusted": {
        "en": "disgusted, disgust, cringe, cringes, cringing, cringed, grossed out, repulsed, revolted, sneers, sneering",
        "de": "angewidert, ekelt sich, ekel, igitt, fremdschämen, schämt sich fremd, angeekelt",
        "fr": "dégoûté, dégoûtée, écœuré, écœurée, dégoût, gêné, gênée, répugné",
    },
    "laughing": {
        "en": "laugh, laughs, laughing, laughter, chuckles, chuckling, giggles, giggling, bursts out laughing",
        "de": "lacht, lachen, lachend, kichert, kichernd, lacht laut",
        "fr": "rit, rire, riant, rigole, rigolant, éclate de rire, glousse",
    },
    "neutral": {
        "en": "neutral, calm, calmly, plain, deadpan, serious, seriously, straight face, expressionless",
        "de": "neutral, ruhig, ernst, gelassen, ausdruckslos",
        "fr": "neutre, calme, calmement, sérieux, sérieuse, impassible",
    },
}

# words that say how strongly; an expression word may carry its own (annoyed = mildly angry)
STRENGTH = {
    0.45: {
        "en": "slightly, faintly, softly, gently, a little, a bit, a touch, mildly, somewhat, subtly",
        "de": "leicht, etwas, ein wenig, ein bisschen, sanft, kaum, dezent",
        "fr": "légèrement, un peu, doucement, faiblement, à peine",
    },
    1.0: {
        "en": "very, broadly, widely, really, extremely, so, hugely, deeply, totally, big, wide",
        "de": "sehr, stark, breit, total, extrem, richtig, ganz, tief",
        "fr": "très, vraiment, extrêmement, largement, fort, profondément, grand",
    },
}
WORD_STRENGTH = {
    "annoyed": 0.5, "irritated": 0.5, "genervt": 0.5, "agacé": 0.5, "agacée": 0.5, "cross": 0.55,
    "furious": 1.0, "furiously": 1.0, "wütend": 0.9, "zornig": 1.0, "furieux": 1.0, "furieuse": 1.0,
    "grins": 0.9, "grin": 0.9, "grinning": 0.9, "grinst": 0.9, "beams": 1.0, "beaming": 1.0, "strahlt": 1.0,
    "shocked": 1.0, "schockiert": 1.0, "choqué": 1.0, "choquée": 1.0, "stunned": 0.9,
    "bursts out laughing": 1.0, "éclate de rire": 1.0, "lacht laut": 1.0, "chuckles": 0.5, "kichert": 0.5,
}

GAZE = {
    "away": {
        "en": "looks away, glances away, looking away, averts her eyes, averts his eyes, avoids eye contact",
        "de": "schaut weg, blickt weg, sieht weg, wendet den blick ab",
        "fr": "détourne le regard, regarde ailleurs, détourne les yeux",
    },
    "down": {
        "en": "looks down, glances down, looking down, lowers her eyes, lowers his eyes, downcast",
        "de": "schaut nach unten, blickt nach unten, sieht nach unten, senkt den blick",
        "fr": "regarde en bas, baisse les yeux, baisse le regard",
    },
    "up": {
        "en": "looks up, glances up, looking up",
        "de": "schaut nach oben, blickt nach oben, sieht nach oben, hebt den blick",
        "fr": "regarde en haut, lève les yeux, lève le regard",
    },
    "left": {"en": "looks left, looks to the left", "de": "schaut nach links, blickt nach links",
             "fr": "regarde à gauche, regarde vers la gauche"},
    "right": {"en": "looks right, looks to the right", "de": "schaut nach rechts, blickt nach rechts",
              "fr": "regarde à droite, regarde vers la droite"},
    "around": {"en": "looks around, glances around, looking around", "de": "schaut sich um, sieht sich um, blickt umher",
               "fr": "regarde autour, regarde autour de lui, regarde autour d'elle"},
    "camera": {
        "en": "looks at the camera, looks into the camera, at the camera, into the camera, eye contact, looks at us",
        "de": "in die kamera, schaut in die kamera, blickt in die kamera",
        "fr": "regarde la caméra, regarde l'objectif, face caméra",
    },
}

GESTURE = {
    "nod": {"en": "nod, nods, nodding, nodded", "de": "nickt, nicken, nickend",
            "fr": "hoche la tête, acquiesce, acquiesçant"},
    "shake": {"en": "shakes his head, shakes her head, shakes head, shaking his head, shaking her head, head shake",
              "de": "schüttelt den kopf, kopfschüttelnd", "fr": "secoue la tête, fait non de la tête"},
    "tilt": {"en": "tilts his head, tilts her head, tilts head, tilting her head, tilting his head, cocks her head, cocks his head, head tilt",
             "de": "neigt den kopf, legt den kopf schief", "fr": "penche la tête, incline la tête"},
    "eye-roll": {"en": "rolls his eyes, rolls her eyes, rolls eyes, rolling his eyes, rolling her eyes, eye roll, eye-roll",
                 "de": "verdreht die augen, rollt mit den augen, augenrollend",
                 "fr": "lève les yeux au ciel, roule des yeux"},
}

# --- the camera, the scene, the sound ------------------------------------------------
CAMERA = {
    "push-in": {"en": "push in, push-in, pushes in, zoom in, zooms in, dolly in, moves in, closer and closer",
                "de": "ranfahren, heranfahren, reinzoomen, heranzoomen, zoom hinein, kamerafahrt nach vorn",
                "fr": "zoom avant, travelling avant, la caméra avance, rapprochement"},
    "pull-out": {"en": "pull out, pull-out, pulls out, zoom out, zooms out, dolly out, pull back, pulls back",
                 "de": "rauszoomen, herauszoomen, wegfahren, zoom heraus, kamerafahrt zurück",
                 "fr": "zoom arrière, travelling arrière, la caméra recule"},
    "pan-left": {"en": "pan left, pans left", "de": "schwenk nach links, schwenkt nach links",
                 "fr": "panoramique vers la gauche, panoramique gauche"},
    "pan-right": {"en": "pan right, pans right, pan, pans, panning", "de": "schwenk nach rechts, schwenkt nach rechts, schwenk",
                  "fr": "panoramique vers la droite, panoramique droite, panoramique"},
    "static": {"en": "static camera, static shot, locked off, still camera", "de": "statische kamera, feste kamera",
               "fr": "caméra fixe, plan fixe"},
    "handheld": {"en": "handheld, hand-held, hand held, shaky cam, shaky camera, documentary style",
                 "de": "handkamera, aus der hand, wackelkamera", "fr": "caméra à l'épaule, caméra portée, caméra à la main"},
}
CAMERA_SPEED = {
    0.6: {"en": "slow, slowly, gentle, subtle", "de": "langsam, langsame, langsames, langsamer, langsamen, sanft", "fr": "lent, lente, lentement"},
    1.6: {"en": "fast, quick, quickly, rapid", "de": "schnell, schnelle, rasch", "fr": "rapide, rapidement, vite"},
}

SCENE = {
    "rain": {"en": "rain, raining, rainy, rainstorm, downpour, drizzle, in the rain, under the rain",
             "de": "regen, regnet, regnerisch, im regen, nieselregen, platzregen",
             "fr": "pluie, pleut, pluvieux, sous la pluie, averse, bruine"},
    "snow": {"en": "snow, snowing, snowy, snowfall, snowflakes, in the snow, blizzard",
             "de": "schnee, schneit, schneefall, im schnee, schneeflocken, verschneit",
             "fr": "neige, neigeux, sous la neige, flocons, flocons de neige, tempête de neige"},
    "fog": {"en": "fog, foggy, mist, misty, haze, hazy", "de": "nebel, neblig, dunst, dunstig, im nebel",
            "fr": "brouillard, brume, brumeux, dans le brouillard"},
    "night": {"en": "night, at night, nighttime, night time, midnight, city lights, lit street, night lights, street lights, bokeh",
              "de": "nacht, nachts, in der nacht, stadtlichter, lichter der stadt, beleuchtete straße, mitternacht",
              "fr": "nuit, la nuit, de nuit, lumières de la ville, rue éclairée, minuit"},
    "golden-hour": {"en": "golden hour, sunset, sunrise, dusk, sundown, at sunset, evening sun, warm light",
                    "de": "goldene stunde, sonnenuntergang, abendsonne, abendlicht, sonnenaufgang, abenddämmerung",
                    "fr": "heure dorée, coucher de soleil, lever de soleil, crépuscule, lumière dorée"},
    "neon": {"en": "neon, neon lights, cyberpunk, neon-lit", "de": "neon, neonlicht, neonlichter",
             "fr": "néon, néons, lumières néon"},
    "bw": {"en": "black and white, black-and-white, monochrome, b&w, grayscale, greyscale",
           "de": "schwarzweiß, schwarz-weiß, schwarz weiß, schwarzweiss", "fr": "noir et blanc, monochrome"},
    "grain": {"en": "film grain, grainy, grain, analog, analogue, on film, 35mm, vintage",
              "de": "filmkorn, körnig, analog, analogfilm", "fr": "grain, argentique, grain de film, granuleux"},
    "vignette": {"en": "vignette, vignetting, cinematic", "de": "vignette, vignettierung, filmisch",
                 "fr": "vignettage, vignette, cinématographique"},
}
# sound beds a word asks for directly; otherwise the scene chooses (SCENE_AMBIENCE)
AMBIENCE = {
    "cafe": {"en": "cafe, café, coffee shop, restaurant, bar, crowded room", "de": "café, kaffeehaus, restaurant, kneipe",
             "fr": "café, restaurant, bistrot, brasserie"},
    "city": {"en": "street, city, traffic, downtown, in front of a street", "de": "straße, stadt, verkehr, innenstadt",
             "fr": "rue, ville, circulation, en ville"},
    "wind": {"en": "wind, windy, breeze, gusts, storm", "de": "wind, windig, sturm, brise", "fr": "vent, venteux, tempête, brise"},
    "room": {"en": "indoors, inside, room, quiet room, office, studio", "de": "drinnen, zimmer, raum, büro, studio",
             "fr": "intérieur, chambre, pièce, bureau, studio"},
}
SCENE_AMBIENCE = {"rain": "rain", "snow": "wind", "fog": "wind", "night": "city", "neon": "city"}
QUIET_AMBIENCE = "room"  # under a clip whose scene asks for no sound of its own


def ambience_for(scene: tuple[str, ...] | list[str], asked: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """The sound beds of a clip: those asked for by name, then the scene's, else room tone."""
    beds = list(asked) + [SCENE_AMBIENCE[s] for s in scene if s in SCENE_AMBIENCE]
    return tuple(dict.fromkeys(beds)) or (QUIET_AMBIENCE,)

# --- structure: voice, order, time ---------------------------------------------------
VOICE = {
    "female": {"en": "she, her, woman, girl, lady, female, mother, grandma, actress",
               "de": "sie, frau, mädchen, dame, mutter, oma", "fr": "elle, femme, fille, dame, mère, mamie"},
    "male": {"en": "he, his, him, man, boy, guy, male, father, grandpa, actor",
             "de": "er, mann, junge, herr, vater, opa", "fr": "il, homme, garçon, monsieur, père, papi"},
}
THEN = {"en": "then, and then, afterwards, after that, later, next, finally",
        "de": "dann, danach, anschließend, später, schließlich, und dann",
        "fr": "puis, ensuite, après ça, plus tard, enfin, et puis"}
# before a quoted word, these make it a moment in the line, not words to speak
AFTER_WORD = {"en": "after, after saying, once she says, once he says", "de": "nach, nachdem",
              "fr": "après, après avoir dit"}
AT_WORD = {"en": "on, at, when, as, on the word, at the word, when she says, when he says, as she says, as he says",
           "de": "bei, beim, beim wort, wenn, als", "fr": "sur, au, au mot, sur le mot, quand, lorsque"}
SECONDS = {"en": "s, sec, secs, second, seconds", "de": "s, sek, sekunde, sekunden", "fr": "s, sec, seconde, secondes"}
# words with no direction of their own: neither used nor worth reporting
FILLER = {
    "en": "a an the and or but with to of in on at as is it its this that says say said tells tell speaks speak "
          "asks ask replies reply whispers shouts while who into from front looks look looking turns turn becomes "
          "become gets get goes go then for her his their my your our us me you we they there here very one "
          "camera shot scene video clip face eyes head by under over out up down during starts start",
    "de": "ein eine einen einem einer der die das den dem des und oder aber mit zu von vor im in am an auf als ist "
          "es sagt sagen spricht fragt flüstert ruft schaut blickt sieht wird dabei während seine ihre sein ihr "
          "sich dann einer kamera augen kopf aus ab zum zur",
    "fr": "un une le la les l d de du des et ou mais avec à au aux en dans sur sous devant est il elle dit dire "
          "parle demande chuchote crie regarde devient tout en son sa ses leur qu que qui c s t j n se y puis "
          "caméra yeux tête",
}

# The commonest words of speech in each language, folded, none shared between two: a quoted line with more of one language's words than the others' is spoken
# in that language, whatever language the direction is written in.
LINE_WORDS = {
    "en": "i you he she we they it is are am will would have has do does not no yes the an and but of to "
          "in on at my your him her us them this that what who how why where when can love very with for "
          "be been there here all always never see hello hi thanks thank please",
    "de": "ich er sie wir ihr ist bin bist sind war werde wird habe hast hat nicht nein ja der die das den dem "
          "ein eine einen und aber von zu mit mein meine dein deine mich dich mir dir uns euch was wer wie warum "
          "wo wann kann liebe sehr immer nie danke bitte hallo auch noch schon",
    "fr": "je j tu il elle nous vous ils elles est suis es sont etait sera vais ai as a ne pas non oui le la les l "
          "un une et mais de des au aux mon ma mes ton ta tes m te t moi toi lui ce c ca qui que qu quoi "
          "comment pourquoi ou quand peux aime toujours jamais merci bonjour salut tres avec pour sur",
}


def line_language(lines: list[str]) -> str | None:
    """The language most of the lines' common words belong to; None when none leads."""
    import re

    tables = {k: frozenset(v.split()) for k, v in LINE_WORDS.items()}
    counts = dict.fromkeys(tables, 0)
    for word in re.findall(r"[^\W\d_]+", fold(" ".join(lines))):
        for language, table in tables.items():
            counts[language] += word in table
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return ranked[0][0] if ranked[0][1] > ranked[1][1] else None


def fold(text: str) -> str:
    """Lower case without accents, as the tables are matched: 'Fâché' -> 'fache'."""
    text = text.lower().replace("ß", "ss").replace("œ", "oe").replace("æ", "ae")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Meaning:
    """What a phrase means: a kind (expression, gaze, ...), a value, and its language."""

    kind: str
    value: object
    language: str
    strength: float | None = None


def _phrases(by_language: dict[str, str], sep: str | None = ",") -> list[tuple[str, str]]:
    return [(language, p.strip()) for language, text in by_language.items() for p in text.split(sep) if p.strip()]


def _tokens(phrase: str) -> tuple[str, ...]:
    import re

    return tuple(re.findall(r"[^\W\d_]+|\d+|&", fold(phrase)))


def lexicon() -> dict[tuple[str, ...], Meaning]:
    """Every phrase, as folded word tuples, -> its meaning. Later tables win a clash."""
    out = {_tokens(p): Meaning("filler", None, language) for language, p in _phrases(FILLER, None)}
    tables = [("then", {None: THEN}), ("after-word", {None: AFTER_WORD}),
              ("at-word", {None: AT_WORD}), ("voice", VOICE), ("strength", STRENGTH), ("ambience", AMBIENCE),
              ("scene", SCENE), ("camera-speed", CAMERA_SPEED), ("camera", CAMERA), ("gesture", GESTURE),
              ("gaze", GAZE), ("expression", EXPRESSION)]
    for kind, table in tables:
        for value, by_language in table.items():
            for language, phrase in _phrases(by_language):
                words = _tokens(phrase)
                strength = WORD_STRENGTH.get(phrase)
                out[words] = Meaning(kind, value, language, strength)
    return out


def unit_words() -> frozenset[str]:
    return frozenset(w for _, p in _phrases(SECONDS) for w in _tokens(p))
