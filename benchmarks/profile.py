"""Where a cold `sayso make` spends its CPU: every stage run one after the other in a
fresh process with an empty data folder, each timed in CPU seconds of the whole process
(user + system, all threads: onnxruntime's, OpenCV's, x264's), which a busy machine
changes far less than wall time. Per frame: render, marks and encode each alone.
Prints a Markdown table; never passes or fails on time.

    .venv/bin/python benchmarks/profile.py [--scene rain,night --camera push-in] [--duration 6]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT.parent / "shared" / "photos"
LINE = "Every photo has a story, and today this one gets to tell it out loud."


def cpu() -> float:
    """CPU seconds this process has used so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Book:
    """Stage -> (CPU seconds, wall seconds), in the order met."""

    def __init__(self) -> None:
        self.rows: dict[str, list[float]] = {}
        self._cpu, self._wall = cpu(), time.perf_counter()

    def lap(self, stage: str) -> None:
        now_cpu, now_wall = cpu(), time.perf_counter()
        row = self.rows.setdefault(stage, [0.0, 0.0])
        row[0] += now_cpu - self._cpu
        row[1] += now_wall - self._wall
        self._cpu, self._wall = now_cpu, now_wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--photo", default="skimage_astronaut.png")
    ap.add_argument("--prompt", default=f"She says '{LINE}'")
    ap.add_argument("--scene", default="", help="comma-separated scene effects")
    ap.add_argument("--camera", default=None)
    ap.add_argument("--duration", type=float, default=6.0)
    ap.add_argument("--size", default="720p")
    args = ap.parse_args()
    os.environ["SAYSO_DATA_DIR"] = tempfile.mkdtemp(prefix="sayso-profile-")
    book = Book()

    import numpy  # noqa: F401
    book.lap("import numpy")
    import cv2  # noqa: F401
    book.lap("import cv2")
    from sayso import pipeline
    book.lap("import sayso.pipeline")
    from sayso import encode, motion, photo as photo_io, render
    book.lap("import render, encode (av)")
    import onnxruntime  # noqa: F401
    book.lap("import onnxruntime")
    from sayso.face import analyze  # noqa: F401
    import mediapipe  # noqa: F401
    book.lap("import mediapipe")

    scene = tuple(s for s in args.scene.split(",") if s)
    plan = pipeline.direct(args.prompt, duration=args.duration, size=args.size, camera=args.camera,
                           scene=scene or None)
    fps = Fraction(plan.fps)
    photo = PHOTOS / args.photo
    image = photo_io.load_photo(photo)
    book.lap("photo load")
    rig = pipeline._analyze(image, pipeline.file_hash(photo), None)
    book.lap("face analysis (mediapipe)")
    from sayso import speech
    voice = speech.resolve(plan.lines[0].voice, plan.language)
    if voice.engine == "kokoro":
        from sayso.speech import kokoro_voice
        kokoro_voice._load()
    else:
        from sayso.speech import piper_voice
        piper_voice.voice()
    book.lap(f"voice load ({voice.name})")
    spoken = pipeline._speak(plan)
    book.lap("speech synthesis")

    framing = render.frame_for(rig, plan.size, plan.aspect)
    moving = plan.camera.move != "static" or plan.camera.handheld
    stage = render.prepare(rig, framing, scene=plan.scene, camera_moves=moving, seed=plan.seed, fps=fps)
    book.lap("prepare (layers, plate, scene)")
    rate = spoken.sample_rate
    offset = int(pipeline.LEAD_IN * rate)
    num_frames = max(1, int(round(pipeline._seconds(plan, spoken, offset) * fps)))
    performance = motion.perform(plan, spoken, offset, num_frames, fps)
    book.lap("motion")
    from sayso.library import Recipe, versions
    from sayso.trust.label import Label
    from sayso.trust.watermark import Watermarker
    recipe = Recipe(pipeline.file_hash(photo), photo.name, plan.to_dict(), None, True, versions(), None)
    marks = [Label.for_frame(framing.width, framing.height),
             Watermarker(framing.width, framing.height, recipe.payload, spare=render.face_box(stage))]
    book.lap("marks set-up")
    from sayso import ambience
    from sayso.mix import mix
    total = int(round(num_frames / fps * rate))
    bed = ambience.synthesize(plan.ambience, total, rate, plan.seed) if plan.ambience else None
    sound = mix(spoken, offset, total, bed=bed)
    book.lap("ambience + mix")

    frames = []
    for i in range(num_frames):
        frames.append(render.render_frame(stage, performance, i))
    book.lap("render (all frames)")
    for frame in frames:
        for mark in marks:
            mark.apply(frame)
    book.lap("marks (all frames)")
    out = Path(tempfile.mkdtemp(prefix="sayso-profile-out-")) / "clip.mp4"
    with encode.VideoWriter(out, framing.width, framing.height, fps, rate, threads=1) as writer:
        writer.write_audio(sound)
        for frame in frames:
            writer.write(frame)
    book.lap("encode (x264 veryfast, 1 thread)")
    pipeline._seal(out, out.name, recipe, photo, None, True)
    book.lap("sign (c2pa, first use)")

    total_cpu = sum(r[0] for r in book.rows.values())
    print(f"{args.photo}, {framing.width}x{framing.height}, {num_frames} frames, scene {','.join(plan.scene) or 'none'}, "
          f"camera {plan.camera.move}{' hand-held' if plan.camera.handheld else ''}; "
          f"load average {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}\n")
    print("| stage | CPU s | share | per frame |")
    print("|---|---|---|---|")
    for name, (c, _) in book.rows.items():
        per = f"{1000 * c / num_frames:.1f} ms" if "all frames" in name or name.startswith("encode") else ""
        print(f"| {name} | {c:.2f} | {100 * c / total_cpu:.0f}% | {per} |")
    print(f"| **total** | **{total_cpu:.2f}** | | |")


if __name__ == "__main__":
    main()
