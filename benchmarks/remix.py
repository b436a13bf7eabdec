"""Remix against a first render, and what trust costs, as a user runs them: each a
`sayso` command in a new process. Prints figures; never passes or fails on time.

    .venv/bin/python benchmarks/remix.py [PHOTO] [--runs N]

A first render of a photo not seen before (6 s, 720p), a words-only remix of it (the
face analysis comes from the library's cache, so mediapipe is never loaded; the speech
is new), and a voice-and-scene remix. All in a data folder of their own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_PHOTO = HERE.parent / "examples" / "astronaut.png"
LINE = "Every photo has a story, and today this one gets to tell it out loud."
WORDS = "And now it tells another one, in other words, a moment later."
SAYSO = [sys.executable, "-m", "sayso.cli"]


def timed(args: list[str], env: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run(SAYSO + args + ["--json"], capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - start, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("photo", nargs="?", default=str(DEFAULT_PHOTO))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows: dict[str, list[tuple[float, dict]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SAYSO_DATA_DIR": str(Path(tmp) / "data")}
        for run in range(args.runs):
            shutil.rmtree(Path(tmp) / "data" / "cache", ignore_errors=True)  # a photo not seen before
            first = str(Path(tmp) / f"first{run}.mp4")
            jobs = {
                "make (first render)": ["make", args.photo, f"She says '{LINE} {run}'", "--duration", "6", "-o", first],
                "remix --say": ["remix", first, "--say", f"{WORDS} {run}", "--duration", "6", "-o",
                                str(Path(tmp) / f"w{run}.mp4")],
                "remix --voice --scene": ["remix", first, "--voice", "male", "--scene", "snow", "-o",
                                          str(Path(tmp) / f"s{run}.mp4")],
            }
            for name, job in jobs.items():
                rows.setdefault(name, []).append(timed(job, env))
    for name, runs in rows.items():
        total = statistics.median(t for t, _ in runs)
        stages = {k: statistics.median(s["timings"][k] for _, s in runs) for k in runs[0][1]["timings"]}
        print(f"{name:22s} {total:5.2f} s  " + "  ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    first = [s["timings"] for _, s in rows["make (first render)"]]
    frames = rows["make (first render)"][0][1]["frames"]
    marks, render = statistics.median(t["marks"] for t in first), statistics.median(t["render"] for t in first)
    print(f"\nlabel + watermark: {1000 * marks / frames:.1f} ms per frame, {100 * marks / render:.0f}% of the "
          f"render time; C2PA signing {1000 * statistics.median(t['sign'] for t in first):.0f} ms")
    print(f"median of {args.runs} runs; {frames} frames per clip")


if __name__ == "__main__":
    main()
