"""Time a person's own recording through each step: decoding, aligning the transcript
(pocketsphinx for English, our voice warped onto it for German and French), writing the
transcript when none is given (Whisper base), and a whole 720p clip from it. Uses the
real recordings in ../shared/speech. Prints figures; never passes or fails on time.

    .venv/bin/python benchmarks/recordings.py [--clip] [--only NAME]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "speech"
PHOTO = Path(__file__).resolve().parents[1].parent / "shared" / "photos" / "skimage_astronaut.png"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clip", action="store_true", help="also render a 720p clip from each (slow)")
    ap.add_argument("--only", help="recordings whose name contains this")
    args = ap.parse_args()

    from sayso.speech import recording
    from sayso.speech.align import align
    from sayso.speech.transcribe import transcribe

    transcribe(recording.load(SPEECH / "en_male_psphinx_forever_input2.wav"), recording.RATE)  # load the model
    print(f"{'recording':<44} {'lang':<4} {'audio s':>7} {'load s':>6} {'align s':>7} {'whisper s':>9} "
          f"{'heard':<5} {'clip s':>6}")
    for wav in sorted(SPEECH.glob("*.wav")):
        if args.only and args.only not in wav.name:
            continue
        language = wav.name[:2] if wav.name[:2] in recording.ALIGNED else None
        start = time.perf_counter()
        samples = recording.load(wav)
        loaded = time.perf_counter() - start
        seconds = samples.size / recording.RATE
        aligned = float("nan")
        if language:
            start = time.perf_counter()
            align(samples, recording.RATE, wav.with_suffix(".txt").read_text(encoding="utf-8").strip(), language)
            aligned = time.perf_counter() - start
        start = time.perf_counter()
        _, heard = transcribe(samples, recording.RATE)
        whisper = time.perf_counter() - start
        clip = float("nan")
        if args.clip:
            import sayso

            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                sayso.make(PHOTO, "", Path(folder) / "clip.mp4", audio=wav,
                           say=wav.with_suffix(".txt").read_text(encoding="utf-8").strip())
                clip = time.perf_counter() - start
        print(f"{wav.stem[:44]:<44} {wav.name[:2]:<4} {seconds:7.2f} {loaded:6.2f} {aligned:7.2f} {whisper:9.2f} "
              f"{heard:<5} {clip:6.2f}")


if __name__ == "__main__":
    main()
