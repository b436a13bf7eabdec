"""make: photo + prompt -> MP4. The only place that knows the order of the stages."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import BadOptionError, OutputError
from .plan import Camera, Plan, plan as read_prompt, timeline

ProgressHook = Callable[[str, int, int], None]  # (stage, done, total)
CancelHook = Callable[[], bool]  # True = stop now

LEAD_IN = 0.45  # seconds of life before the first word (a breath, a look)
SETTLE = 0.7  # seconds after the last word, for the face to settle
SILENT_DURATION = 5.0  # seconds, when there is nothing to say and no --duration
LINE_PAUSE = 0.35  # seconds of silence between two quoted lines
CUE_HOLD = 1.2  # seconds a change at a time or word is held before the clip ends


@dataclass(frozen=True)
class MakeResult:
    """What make() produced. Times are seconds, measured on this run."""

    video: Path
    captions: Path | None
    plan: Plan
    width: int
    height: int
    fps: Fraction
    num_frames: int
    duration: float
    speech_start: float  # seconds into the clip where the line starts
    faces_found: int
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready summary for --json and the API."""
        return {
            "video": str(self.video), "captions": str(self.captions) if self.captions else None,
            "width": self.width, "height": self.height, "fps": str(self.fps),
            "frames": self.num_frames, "duration": round(self.duration, 3),
            "speech_start": round(self.speech_start, 3), "faces_found": self.faces_found,
            "plan": self.plan.to_dict(), "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def _captions_path(video: Path) -> Path:
    return video.with_suffix(".vtt")


def write_text_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error.strerror}; free some space or choose another folder") from error


def direct(prompt: str = "", *, plan: Plan | None = None, voice: str | None = None,
           expression: str | None = None, camera: str | None = None, scene: tuple[str, ...] | None = None,
           ambience: bool = True, duration: float | None = None, size: str | None = None,
           aspect: str | None = None, fps: int | None = None, seed: int | None = None) -> Plan:
    """The plan a render follows: the prompt's (or the given plan), with options applied.

    expression is a short direction of its own ('angry from 1.5s', 'smile then sad');
    camera a move name; scene effect names; ambience=False mutes the sound bed."""
    the_plan = plan or read_prompt(prompt)
    changes: dict = dict(voice=voice, duration=duration, size=size, aspect=aspect, fps=fps, seed=seed)
    if expression is not None:
        changes["expressions"] = timeline(expression)
    if camera is not None:
        changes["camera"] = Camera(camera, the_plan.camera.handheld, the_plan.camera.speed)
    if scene is not None:
        changes["scene"] = tuple(scene)
    if not ambience:
        changes["ambience"] = ()
    return the_plan.with_options(**changes)


def make(photo: str | os.PathLike, prompt: str = "", output: str | os.PathLike = "sayso.mp4", *,
         voice: str | None = None, face: int | None = None, duration: float | None = None,
         size: str | None = None, aspect: str | None = None, fps: int | None = None,
         seed: int | None = None, expression: str | None = None, camera: str | None = None,
         scene: tuple[str, ...] | None = None, ambience: bool = True, captions: bool = False,
         plan: Plan | None = None, on_progress: ProgressHook | None = None,
         should_stop: CancelHook | None = None) -> MakeResult:
    """Render a talking video of the face in photo saying the quoted line of prompt.

    Options left None keep what the prompt (or a given plan) says; see direct(). Raises
    a SaysoError subclass for every problem a user can cause; nothing is left at output
    on failure.
    """
    from . import ambience as ambience_stage, encode, face as face_stage, motion, photo as photo_io, render
    from . import speech as speech_stage
    from .mix import mix

    progress = on_progress or (lambda stage, done, total: None)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    # 0. Check inputs before any work.
    target = encode.check_output(output)
    the_plan = direct(prompt, plan=plan, voice=voice, expression=expression, camera=camera, scene=scene,
                      ambience=ambience, duration=duration, size=size, aspect=aspect, fps=fps, seed=seed)
    if face is not None and face < 1:
        raise BadOptionError(f"--face {face} is out of range: faces are numbered from 1, left to right")
    lap("plan")

    # 1. The photo and its face.
    progress("face", 0, 1)
    image = photo_io.load_photo(photo)
    rig = face_stage.analyze(image, face)
    lap("face")
    progress("face", 1, 1)

    # 2. The voice.
    progress("speech", 0, 1)
    if the_plan.lines:
        parts = [speech_stage.synthesize(line.text, line.voice) for line in the_plan.lines]
        spoken = speech_stage.Speech.join(parts, int(LINE_PAUSE * parts[0].sample_rate))
    else:
        spoken = speech_stage.Speech.silence(0)
    lap("speech")
    progress("speech", 1, 1)

    # 3. The timeline: a lead-in, the line, a settle; or a silent clip.
    rate = spoken.sample_rate
    clip_fps = Fraction(the_plan.fps)
    offset = int(LEAD_IN * rate) if spoken.num_samples else 0
    needed = (offset + spoken.num_samples) / rate + (SETTLE if spoken.num_samples else 0.0)
    if the_plan.duration is not None and the_plan.duration + 1e-9 < needed - SETTLE + 0.1:
        raise BadOptionError(
            f"--duration {the_plan.duration:g} s is too short for the line ({needed:.1f} s needed): raise it or shorten the line")
    cued = motion.latest_cue(the_plan, spoken, offset)
    if the_plan.duration is not None and the_plan.duration < cued:
        raise BadOptionError(
            f"--duration {the_plan.duration:g} s ends before a change the prompt asks for at {cued:.1f} s: raise it")
    natural = needed if spoken.num_samples else SILENT_DURATION
    seconds = the_plan.duration if the_plan.duration is not None else max(natural, cued + CUE_HOLD if cued else 0.0)
    num_frames = max(1, int(round(seconds * clip_fps)))
    total = int(round(num_frames / clip_fps * rate))

    # 4. The performance.
    performance = motion.perform(the_plan, spoken, offset, num_frames, clip_fps)
    lap("motion")

    # 5. Render and encode; the writer encodes on its own thread while we render.
    framing = render.frame_for(rig, the_plan.size, the_plan.aspect)
    moving = the_plan.camera.move != "static" or the_plan.camera.handheld
    stage = render.prepare(rig, framing, scene=the_plan.scene, camera_moves=moving, seed=the_plan.seed,
                           fps=clip_fps)
    lap("prepare")
    bed = ambience_stage.synthesize(the_plan.ambience, total, rate, the_plan.seed) if the_plan.ambience else None
    audio = mix(spoken, offset, total, bed=bed)
    lap("ambience")
    with encode.VideoWriter(target, framing.width, framing.height, clip_fps, rate) as writer:
        writer.write_audio(audio)
        for i, frame in enumerate(render.render(stage, performance, should_stop)):
            writer.write(frame)
            progress("render", i + 1, num_frames)
        lap("render")
    lap("encode")  # what remained of encoding after the last frame was rendered

    # 6. Captions beside the video.
    vtt = None
    if captions and spoken.words:
        vtt = _captions_path(target)
        write_text_atomically(vtt, speech_stage.webvtt(spoken, offset))
    return MakeResult(target, vtt, the_plan, framing.width, framing.height, clip_fps, num_frames,
                      num_frames / float(clip_fps), offset / rate, len(rig.faces), timings)
