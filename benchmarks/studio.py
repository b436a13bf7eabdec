"""Time the studio as a user waits on it: a live `sayso serve` (render processes warm),
a 6 s 720p clip submitted over HTTP, and the times from submit to the first progress
event, to the first preview frame, and to a playable video (the MP4 fetched and its
frames decoded). Prints figures; never passes or fails on time.

    .venv/bin/python benchmarks/studio.py [--runs N] [--workers 1] [--direction "..."]

Each run speaks a new line (no cached speech); the photo's face analysis is cached by
its upload, as in the studio.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "studio"))

from live import Live, free_port  # noqa: E402

PHOTO = HERE.parent / "examples" / "astronaut.png"
LINES = ("Every photo has a story, and this one tells it, take {}.",)


def one_run(client, photo_id: str, i: int, direction: str) -> dict[str, float]:
    import av

    prompt = f"{direction} She says '{LINES[0].format(i)}'".strip()
    start = time.perf_counter()
    video = client.post("/api/videos", data={"photo_id": photo_id, "prompt": prompt, "size": "720p",
                                             "duration": "6"}).json()
    submitted = time.perf_counter()
    marks: dict[str, float] = {"submit": submitted - start}
    with client.stream("GET", f"/api/jobs/{video['id']}/events", timeout=120) as stream:
        kind = None
        for line in stream.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:") and kind:
                now = time.perf_counter() - start
                data = json.loads(line[5:])
                if kind == "progress":
                    marks.setdefault("first progress", now)
                if kind == "preview":
                    marks.setdefault("first preview frame", now)
                if kind == "state" and data["state"] in ("done", "failed", "cancelled"):
                    assert data["state"] == "done", data
                    video = data
                    break
    body = client.get(video["video_url"]).content
    with av.open(io.BytesIO(body)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    marks["playable video"] = time.perf_counter() - start
    marks["frames"] = frames
    return marks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--direction", default="", help="direction before the line (scene, camera, expression)")
    args = ap.parse_args()
    started = time.perf_counter()
    live = Live(Path(tempfile.mkdtemp(prefix="sayso-bench-studio-")) / "data", free_port(), workers=args.workers)
    live.start()
    print(f"server up in {time.perf_counter() - started:.2f} s ({args.workers} render process(es))")
    try:
        with live.client(timeout=120) as client:
            with open(PHOTO, "rb") as fp:
                t0 = time.perf_counter()
                photo = client.post("/api/photos", files={"photo": (PHOTO.name, fp)}).json()
                print(f"upload + face outline: {time.perf_counter() - t0:.2f} s")
            time.sleep(3)  # let the render processes finish loading their models
            runs = [one_run(client, photo["id"], i, args.direction) for i in range(args.runs)]
    finally:
        live.stop()
    print(f"6 s 720p clip{' with: ' + args.direction if args.direction else ''}, {args.runs} runs, "
          f"{runs[0]['frames']:.0f} frames; seconds from submit (median, min-max):")
    for key in ("submit", "first progress", "first preview frame", "playable video"):
        values = [r[key] for r in runs]
        print(f"  {key:<20} {statistics.median(values):6.2f}   ({min(values):.2f}-{max(values):.2f})")


if __name__ == "__main__":
    main()
