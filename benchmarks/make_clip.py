"""Time a 6 s 720p clip end to end and per stage, with peak memory. Prints figures;
never passes or fails on time.

    .venv/bin/python benchmarks/make_clip.py [PHOTO] [--runs N] [--voice male|female]
        [--direction "At night in the rain. Slow push-in."]

Runs in a data folder of its own, and clears the face and speech cache before each
run, so every run analyses the photo and speaks the line as a first render does.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_PHOTO = HERE.parent / "examples" / "astronaut.png"
LINE = "Every photo has a story, and today this one gets to tell it out loud."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("photo", nargs="?", default=str(DEFAULT_PHOTO))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--voice", default="male")
    ap.add_argument("--size", default="720p")
    ap.add_argument("--direction", default="", help="direction added to the prompt (scene, camera, expression)")
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="sayso-bench-")
    os.environ["SAYSO_DATA_DIR"] = data

    import sayso

    totals, stages = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs + 1):  # run 0 warms up (model loading, patched voice)
            shutil.rmtree(Path(data) / "cache", ignore_errors=True)
            start = time.perf_counter()
            result = sayso.make(args.photo, f"Says '{LINE}' {args.direction}", Path(tmp) / "bench.mp4",
                                voice=args.voice, size=args.size, duration=6.0)
            elapsed = time.perf_counter() - start
            label = "cold (first in process)" if run == 0 else f"run {run}"
            print(f"{label:24s} {elapsed:6.2f} s  " + "  ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
            if run:
                totals.append(elapsed)
                for k, v in result.timings.items():
                    stages.setdefault(k, []).append(v)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nclip: {result.width}x{result.height}, {result.num_frames} frames, {result.duration:.1f} s, voice {args.voice}"
          f", scene {', '.join(result.plan.scene) or 'none'}, camera {result.plan.camera.move}")
    print(f"end to end (warm, median of {len(totals)}): {statistics.median(totals):.2f} s")
    for k, v in stages.items():
        print(f"  {k:8s} {statistics.median(v):6.3f} s")
    print(f"render+encode per frame: {1000 * statistics.median(stages['render']) / result.num_frames:.1f} ms")
    print(f"peak memory (RSS): {peak_mb:.0f} MB")
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
