"""The speed table: every clip of the speed issue, plus 10, 30 and 60 s clips, made by
`sayso make` as a user runs it (a fresh process, an empty data folder: nothing cached),
against encoding the very same frames alone (PyAV, libx264 veryfast, timed around the
encoder only), with the stages, the peak memory and, warm in one process, the time to
the first rendered frame, and CPU seconds beside wall seconds (the process's, all its
threads, and the encoder's alone), which a machine busy with other work stretches far
less. Prints a Markdown table; never passes or fails on time.

    .venv/bin/python benchmarks/speed.py [--runs N] [--only NAME] [--skip-long]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT.parent / "shared" / "photos"
LINE = "Every photo has a story, and today this one gets to tell it out loud."


@dataclass(frozen=True)
class Clip:
    name: str
    photo: str
    prompt: str
    duration: float
    size: str = "720p"

    @property
    def options(self) -> tuple[str, ...]:
        return ("--duration", f"{self.duration:g}", "--size", self.size)


CLIPS = (
    Clip("astronaut 720p plain", "skimage_astronaut.png", f"She says '{LINE}'", 6),
    Clip("obama night+rain+push-in", "fr_obama_official_portrait.jpg",
         f"At night in the rain he says '{LINE}' Slow push-in.", 6),
    Clip("astronaut snow+fog+hand-held", "skimage_astronaut.png",
         f"In the snow and fog she says '{LINE}' Hand-held camera.", 6),
    Clip("obama 1080p plain 11 s", "fr_obama_official_portrait.jpg", f"He says '{LINE}'",
         11, "1080p"),
    Clip("astronaut 720p 10 s", "skimage_astronaut.png", f"She says '{LINE}'", 10),
    Clip("astronaut 720p 30 s", "skimage_astronaut.png", f"She says '{LINE}'", 30),
    Clip("astronaut 1080p 60 s", "skimage_astronaut.png", f"She says '{LINE}'", 60, "1080p"),
)


def cold_run(clip: Clip, out: Path) -> tuple[float, float, dict, float]:
    """(wall seconds, peak RSS MB, the --json summary, CPU seconds of all its threads)
    of one `sayso make` process."""
    env = dict(os.environ, SAYSO_DATA_DIR=tempfile.mkdtemp(prefix="sayso-speed-"))
    args = [sys.executable, "-m", "sayso.cli", "make", str(PHOTOS / clip.photo), clip.prompt, *clip.options,
            "-o", str(out), "--json"]
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{clip.name}: sayso failed: {stderr.decode()[-500:]}")
    return wall, usage.ru_maxrss / 1024, json.loads(stdout), usage.ru_utime + usage.ru_stime


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def encode_only_cpu(video: Path) -> float:
    """CPU seconds (all threads) libx264 veryfast takes to encode the video's frames: a
    pass that decodes and encodes less one that only decodes. A busy machine stretches
    wall time; it changes CPU time far less."""
    import av

    start = _cpu()
    with av.open(str(video)) as src:
        for frame in src.decode(video=0):
            frame.to_ndarray(format="rgb24")
    decoding = _cpu() - start
    start = _cpu()
    encode_only(video)
    return max(0.0, _cpu() - start - decoding)


def encode_only(video: Path) -> float:
    """Seconds libx264 veryfast takes to encode the video's frames (decoding not counted)."""
    import av

    with av.open(str(video)) as src, tempfile.TemporaryDirectory() as tmp:
        stream = src.streams.video[0]
        with av.open(str(Path(tmp) / "enc.mp4"), "w") as dst:
            out = dst.add_stream("libx264", rate=stream.average_rate)
            out.width, out.height, out.pix_fmt = stream.width, stream.height, "yuv420p"
            out.options = {"preset": "veryfast", "crf": "20"}
            spent = 0.0
            for frame in src.decode(video=0):
                fresh = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
                start = time.perf_counter()
                for packet in out.encode(fresh):
                    dst.mux(packet)
                spent += time.perf_counter() - start
            start = time.perf_counter()
            for packet in out.encode(None):
                dst.mux(packet)
            return spent + time.perf_counter() - start


def first_frame(clip: Clip, out: Path) -> tuple[float, float, float]:
    """Seconds to the first rendered frame in a warm process (the studio's worker), run
    in a process of its own: this one stays small, or a forked child would start with
    its memory and the peak figures would be this process's."""
    proc = subprocess.run([sys.executable, __file__, "--first-frame", clip.name, "--out", str(out)],
                          capture_output=True, text=True, check=True)
    first, wall, cpu = proc.stdout.strip().splitlines()[-1].split()
    return float(first), float(wall), float(cpu)


def _first_frame_here(clip: Clip, out: Path) -> tuple[float, float, float]:
    """(seconds to the first frame, wall and CPU seconds of the whole make) in a warm process."""
    import sayso

    kwargs = dict(duration=clip.duration, size=clip.size)
    sayso.make(PHOTOS / clip.photo, clip.prompt, out, **kwargs)  # warm: models, face and speech cached
    seen: list[float] = []
    start, cpu = time.perf_counter(), _cpu()
    sayso.make(PHOTOS / clip.photo, clip.prompt, out, **kwargs,
               on_frame=lambda i, frame: seen.append(time.perf_counter()) if not seen else None)
    return seen[0] - start, time.perf_counter() - start, _cpu() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=1, help="cold runs per clip (the median is shown)")
    ap.add_argument("--only", help="clips whose name contains this")
    ap.add_argument("--skip-long", action="store_true", help="leave out the 30 and 60 s clips")
    ap.add_argument("--first-frame", help=argparse.SUPPRESS)  # the warm measurement, in its own process
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.first_frame:
        print(*_first_frame_here(next(c for c in CLIPS if c.name == args.first_frame), Path(args.out)))
        return
    os.environ["SAYSO_DATA_DIR"] = tempfile.mkdtemp(prefix="sayso-speed-warm-")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start (figures from a busy machine mislead)\n")
    print("| clip | frames | wall (cold) | real time | encode-only | x encode | CPU s (cold) | encode-only CPU s | x encode (CPU) "
          "| warm make (x encode) | warm CPU s | first frame (warm) | peak MB | stages |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for clip in CLIPS:
        if (args.only and args.only not in clip.name) or (args.skip_long and any(s in clip.name for s in ("30 s", "60 s"))):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "clip.mp4"
            runs = [cold_run(clip, out) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            summary = runs[-1][2]
            cpu = statistics.median(r[3] for r in runs)
            encode = encode_only(out)
            encode_cpu = encode_only_cpu(out)
            first, warm, warm_cpu = first_frame(clip, Path(tmp) / "warm.mp4")
        stages = ", ".join(f"{k} {v:.2f}" for k, v in summary["timings"].items() if v >= 0.05)
        print(f"| {clip.name} | {summary['frames']} ({summary['width']}x{summary['height']}) | {wall:.2f} s | "
              f"{summary['duration'] / wall:.2f}x | {encode:.2f} s | {wall / encode:.1f}x | {cpu:.2f} | {encode_cpu:.2f} | "
              f"{cpu / max(encode_cpu, 1e-3):.1f}x | {warm:.2f} s ({warm / encode:.1f}x) | {warm_cpu:.2f} | {first:.2f} s | "
              f"{peak:.0f} | {stages} |", flush=True)


if __name__ == "__main__":
    main()
