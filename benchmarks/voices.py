"""Time each voice: seconds of synthesis per second of speech (RTF), per language, after
the model is loaded; and the cold load. Prints figures; never passes or fails on time.

    .venv/bin/python benchmarks/voices.py [--runs N]

The end-to-end cost of a voice in a clip: benchmarks/make_clip.py --voice alpha (or joe).
"""

from __future__ import annotations

import argparse
import statistics
import time

LINES = {"en": "Every photo has a story, and today this one gets to tell it out loud.",
         "de": "Jedes Foto hat eine Geschichte, und heute darf dieses sie laut erzählen.",
         "fr": "Chaque photo a une histoire, et aujourd'hui celle-ci peut la raconter à voix haute."}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from sayso.speech import synthesize
    from sayso.speech.voices import VOICES

    print(f"{'voice':<11} {'engine':<7} {'lang':<4} {'load s':>7} {'speech s':>9} {'synth s':>8} {'RTF':>6}")
    loaded: set[str] = set()
    for voice in VOICES:
        for language in voice.languages:
            line = LINES[language]
            load = 0.0
            if voice.engine not in loaded:  # the first call of an engine loads its model
                start = time.perf_counter()
                synthesize("Hello.", voice.name, language)
                load = time.perf_counter() - start
                loaded.add(voice.engine)
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                spoken = synthesize(line, voice.name, language)
                times.append(time.perf_counter() - start)
            seconds = spoken.num_samples / spoken.sample_rate
            median = statistics.median(times)
            print(f"{voice.name:<11} {voice.engine:<7} {language:<4} {load:7.2f} {seconds:9.2f} {median:8.2f} "
                  f"{median / seconds:6.3f}")


if __name__ == "__main__":
    main()
