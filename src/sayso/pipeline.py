"""make: photo + prompt -> MP4; remix: a sayso video + changes -> a new one. The only
place that knows the order of the stages."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BadOptionError, InputNotFoundError, OutputError, ProvenanceError
from .library import Library, Recipe, file_hash, versions
from .plan import Camera, Line, Plan, plan as read_prompt, timeline
from .plan.words import ambience_for, line_language

if TYPE_CHECKING:
    import numpy as np

ProgressHook = Callable[[str, int, int], None]  # (stage, done, total)
CancelHook = Callable[[], bool]  # True = stop now
FrameHook = Callable[[int, "np.ndarray"], None]  # (index, (H, W, 3) uint8 RGB, marked) e.g. a preview

LEAD_IN = 0.45  # seconds of life before the first word (a breath, a look)
SETTLE = 0.7  # seconds after the last word, for the face to settle
SILENT_DURATION = 5.0  # seconds, when there is nothing to say and no --duration
LINE_PAUSE = 0.35  # seconds of silence between two quoted lines
CUE_HOLD = 1.2  # seconds a change at a time or word is held before the clip ends


@dataclass(frozen=True)
class MakeResult:
    """What make() produced. Times are seconds, measured on this run: timings per stage
    ("speech" runs on its own thread beside "face" and "prepare"; "speech wait" is what
    the rest waited for it), elapsed the whole call."""

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
    recipe: "Recipe | None" = None  # what made it; None when trust was off
    sidecar: Path | None = None  # the recipe as JSON beside the video
    elapsed: float = 0.0

    def summary(self) -> dict:
        """JSON-ready summary for --json and the API."""
        return {
            "video": str(self.video), "captions": str(self.captions) if self.captions else None,
            "width": self.width, "height": self.height, "fps": str(self.fps),
            "frames": self.num_frames, "duration": round(self.duration, 3),
            "speech_start": round(self.speech_start, 3), "faces_found": self.faces_found,
            "plan": self.plan.to_dict(), "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "recipe": self.recipe.id if self.recipe else None, "sidecar": str(self.sidecar) if self.sidecar else None,
            "parent": self.recipe.parent if self.recipe else None, "elapsed": round(self.elapsed, 3),
        }


@dataclass(frozen=True)
class Parent:
    """The video a remix comes from: its recipe and its file (the manifest's ingredient)."""

    recipe: Recipe
    video: Path


def _captions_path(video: Path) -> Path:
    return video.with_suffix(".vtt")


def sidecar_path(video: Path) -> Path:
    """Where a video's recipe is written: love.mp4 -> love.sayso.json."""
    return video.with_suffix(".sayso.json")


def write_text_atomically(path: Path, text: str) -> None:
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """All of data at path, or nothing there (a partial file is removed)."""
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        tmp.write_bytes(data)
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
         label: bool = True, plan: Plan | None = None, parent: Parent | None = None,
         audio: str | os.PathLike | None = None, say: str | None = None,
         on_progress: ProgressHook | None = None, should_stop: CancelHook | None = None,
         on_frame: FrameHook | None = None) -> MakeResult:
    """Render a talking video of the face in photo saying the quoted line of prompt.

    audio: the person's own recording, heard instead of a voice (the lips follow it);
    say: its transcript (else the prompt's quoted line), which aligns the lips' closures
    and the captions. Options left None keep what the prompt (or a given plan) says; see direct(). Every
    video gets the invisible watermark and a signed C2PA manifest, the visible label
    unless label=False, a recipe beside it and an entry in the library. Raises a
    SaysoError subclass for every problem a user can cause; nothing is left at output
    on failure.
    """
    from . import ambience as ambience_stage, encode, motion, photo as photo_io, render
    from .mix import mix
    from .trust.label import Label
    from .trust.watermark import Watermarker

    progress = on_progress or (lambda stage, done, total: None)
    timings: dict[str, float] = {}
    clock = began = time.perf_counter()

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
    if audio is not None and voice is not None:
        raise BadOptionError("--voice and --audio both say who speaks: give one of them")
    the_plan, heard = _recording(the_plan, audio, say)
    clip_fps = Fraction(the_plan.fps)
    lap("plan")

    # 1. The voice starts speaking on a thread of its own (each line once per text and
    #    voice) while the photo is analysed and the layers prepared: neither needs the other.
    speaking = ThreadPoolExecutor(1, thread_name_prefix="sayso-speech")
    try:
        spoken_later = speaking.submit(_timed, _speak, the_plan, heard)

        # 2. The photo and its face (analysed once per photo and face choice).
        progress("face", 0, 1)
        image = photo_io.load_photo(photo)
        photo_sha = file_hash(photo)
        rig = _analyze(image, photo_sha, face)
        lap("face")
        progress("face", 1, 1)

        # 3. What stays fixed: the framing and the layers.
        progress("speech", 0, 1)
        framing = render.frame_for(rig, the_plan.size, the_plan.aspect)
        moving = the_plan.camera.move != "static" or the_plan.camera.handheld
        stage = render.prepare(rig, framing, scene=the_plan.scene, camera_moves=moving, seed=the_plan.seed,
                               fps=clip_fps)
        lap("prepare")
        spoken, timings["speech"] = spoken_later.result()
        if the_plan.recording and not the_plan.lines and spoken.text:  # what Whisper heard in the recording
            the_plan = replace(the_plan, lines=(Line(spoken.text, the_plan.voice),),
                               language=spoken.language if spoken.words else the_plan.language)
        lap("speech wait")
        progress("speech", 1, 1)
    finally:
        speaking.shutdown(wait=False, cancel_futures=True)

    # 4. The timeline: a lead-in, the line, a settle; or a silent clip.
    rate = spoken.sample_rate
    offset = int(LEAD_IN * rate) if spoken.num_samples else 0
    num_frames = max(1, int(round(_seconds(the_plan, spoken, offset) * clip_fps)))
    total = int(round(num_frames / clip_fps * rate))

    # 5. The performance, the marks, the sound.
    performance = motion.perform(the_plan, spoken, offset, num_frames, clip_fps)
    lap("motion")
    recipe = Recipe(photo_sha, Path(photo).name, the_plan.to_dict(), face, label, versions(),
                    parent.recipe.id if parent else None)
    marks = ([Label.for_frame(framing.width, framing.height)] if label else []) + [
        Watermarker(framing.width, framing.height, recipe.payload, spare=render.face_box(stage))]
    lap("marks")
    bed = ambience_stage.synthesize(the_plan.ambience, total, rate, the_plan.seed) if the_plan.ambience else None
    sound = mix(spoken, offset, total, bed=bed)
    lap("ambience")

    # 6. Render (the next frames on a thread per core), mark and encode (the writer
    #    encodes on its own thread) into a hidden file, sign it, and only then put it
    #    in place. Marks stay here, in frame order: the watermark re-fits every 4 frames.
    unsigned = target.with_name(f".{target.name}.unsigned-{os.getpid()}.mp4")
    try:
        with encode.VideoWriter(unsigned, framing.width, framing.height, clip_fps, rate) as writer:
            writer.write_audio(sound)
            frames = render.render(stage, performance, should_stop, workers=render.render_workers())
            for i, frame in enumerate(frames):
                lap("render")
                for mark in marks:
                    mark.apply(frame)
                lap("marks")
                if on_frame is not None:
                    on_frame(i, frame)
                writer.write(frame)
                progress("render", i + 1, num_frames)
        lap("encode")  # what remained of encoding after the last frame was rendered
        progress("sign", 0, 1)
        _seal(unsigned, target.name, recipe, Path(photo), parent, label)
        os.replace(unsigned, target)
    except BaseException:
        unsigned.unlink(missing_ok=True)
        raise
    lap("sign")

    # 7. The recipe beside the video and in the library; captions.
    sidecar = sidecar_path(target)
    write_text_atomically(sidecar, json.dumps({"id": recipe.id, **recipe.to_dict()}, indent=2, ensure_ascii=False))
    library = Library()
    library.keep_photo(photo, photo_sha)
    if audio is not None:
        library.keep_recording(audio, the_plan.recording)
    library.add(recipe, target)
    vtt = None
    if captions and spoken.words:
        from .speech import srt, webvtt

        vtt = _captions_path(target)
        write_text_atomically(vtt, webvtt(spoken, offset))
        write_text_atomically(vtt.with_suffix(".srt"), srt(spoken, offset))  # the same cues, for editors
    lap("library")
    progress("sign", 1, 1)
    return MakeResult(target, vtt, the_plan, framing.width, framing.height, clip_fps, num_frames,
                      num_frames / float(clip_fps), offset / rate, len(rig.faces), timings, recipe, sidecar,
                      time.perf_counter() - began)


def _timed(function, *args):
    """(function(*args), seconds it took)."""
    start = time.perf_counter()
    return function(*args), time.perf_counter() - start


def _analyze(image, photo_sha: str, face: int | None):
    from . import face as face_stage
    from .library import cache

    rig = cache.face(photo_sha, image, face)
    if rig is None:
        rig = face_stage.analyze(image, face)
        cache.keep_face(photo_sha, face, rig)
    return rig


def _recording(the_plan: Plan, audio, say: str | None) -> "tuple[Plan, np.ndarray | None]":
    """The plan with the person's recording (its hash, its transcript as the line and the
    transcript's language) and the recording's samples; (the_plan, None) without one."""
    from .speech import recording

    if audio is None and the_plan.recording is None:
        if say is not None:
            raise BadOptionError("--say goes with --audio (the words of the recording): to have a voice speak, "
                                 "quote the line in the prompt")
        return the_plan, None
    if audio is None:  # a remix keeps the recording that made its parent
        kept = Library().recording_path(the_plan.recording)
        if not kept.is_file():
            raise InputNotFoundError("the recording that made this video is not in your library: "
                                     "give it again with --audio")
        return the_plan, recording.load(kept)
    samples = recording.load(audio)
    transcript = (say if say is not None else the_plan.line or "").strip()
    if say is not None and not transcript:
        raise BadOptionError("--say needs the words said in the recording (or leave it out)")
    language = (line_language([transcript]) or the_plan.language) if transcript else the_plan.language
    lines = (Line(transcript, the_plan.voice),) if transcript else ()
    return replace(the_plan, recording=file_hash(audio), lines=lines, language=language).with_options(), samples


def _speak(the_plan: Plan, heard: "np.ndarray | None" = None):
    from . import speech as speech_stage
    from .library import cache

    if the_plan.recording is not None:
        return _hear(the_plan, heard)
    if not the_plan.lines:
        return speech_stage.Speech.silence(0)
    parts = []
    for line in the_plan.lines:
        # "male"/"female" become that gender's voice in the plan's language; a name stays.
        voice = speech_stage.resolve(line.voice, the_plan.language).name
        spoken = cache.speech(line.text.strip(), voice, the_plan.language)
        if spoken is None:
            spoken = speech_stage.synthesize(line.text, voice, the_plan.language)
            cache.keep_speech(spoken)
        parts.append(spoken)
    return speech_stage.Speech.join(parts, int(LINE_PAUSE * parts[0].sample_rate))


def _hear(the_plan: Plan, heard: "np.ndarray"):
    """The recording as Speech, its transcript aligned (once per recording and transcript)."""
    from .library import cache
    from .speech import recording

    key = f"recording-{the_plan.recording}"
    transcript = the_plan.line or ""
    spoken = cache.speech(transcript, key, the_plan.language)
    if spoken is None:
        spoken = recording.as_speech(heard, transcript, the_plan.language)
        cache.keep_speech(spoken, voice=key)
    return spoken


def _seconds(the_plan: Plan, spoken, offset: int) -> float:
    """The clip's length: as asked, else the lead-in, the line and a settle, long
    enough to hold the latest timed change; refuses a duration too short for either."""
    from . import motion

    rate = spoken.sample_rate
    needed = (offset + spoken.num_samples) / rate + (SETTLE if spoken.num_samples else 0.0)
    if the_plan.duration is not None and the_plan.duration + 1e-9 < needed - SETTLE + 0.1:
        raise BadOptionError(
            f"--duration {the_plan.duration:g} s is too short for the line ({needed:.1f} s needed): raise it or shorten the line")
    cued = motion.latest_cue(the_plan, spoken, offset)
    if the_plan.duration is not None and the_plan.duration < cued:
        raise BadOptionError(
            f"--duration {the_plan.duration:g} s ends before a change the prompt asks for at {cued:.1f} s: raise it")
    if the_plan.duration is not None:
        return the_plan.duration
    natural = needed if spoken.num_samples else SILENT_DURATION
    return max(natural, cued + CUE_HOLD if cued else 0.0)


def _seal(video: Path, title: str, recipe: Recipe, photo: Path, parent: Parent | None, label: bool) -> None:
    """Sign the C2PA manifest: created from the photo, or edited from the parent video."""
    from .trust import c2pa

    source = parent.video if parent else photo
    c2pa.sign(video, title=title, recipe=recipe.to_dict(), ingredient=source, ingredient_title=source.name,
              edited=parent is not None, label=label)


# ---------------------------------------------------------------------------- remix


def find_recipe(video: str | os.PathLike) -> Recipe:
    """The recipe of a video sayso made: from its manifest, else its watermark and the
    library, else the recipe file beside it. Raises ProvenanceError if none is found."""
    from .trust import c2pa, watermark

    video = Path(video)
    if not video.is_file():
        raise InputNotFoundError(f"{video} does not exist: check the path")
    found = c2pa.read(video)
    if found.present and found.recipe:
        return Recipe.from_dict(found.recipe)
    reading = watermark.read_video(video)
    if reading is not None:
        entry = Library().by_payload(reading.payload)
        if entry is not None:
            return entry.recipe
    side = sidecar_path(video)
    if side.is_file():
        try:
            data = json.loads(side.read_text(encoding="utf-8"))
            return Recipe.from_dict({k: v for k, v in data.items() if k != "id"})
        except (OSError, ValueError) as error:
            raise ProvenanceError(f"the recipe beside {video} is damaged ({error}): remix the original") from error
    raise ProvenanceError(f"no sayso recipe found for {video}: remix works on videos sayso made")


def remix(video: str | os.PathLike, output: str | os.PathLike, *, say: str | None = None,
          voice: str | None = None, expression: str | None = None, scene: tuple[str, ...] | None = None,
          camera: str | None = None, size: str | None = None, aspect: str | None = None,
          seed: int | None = None, duration: float | None = None, ambience: bool | None = None,
          label: bool | None = None, captions: bool = False, audio: str | os.PathLike | None = None,
          on_progress: ProgressHook | None = None, should_stop: CancelHook | None = None,
          on_frame: FrameHook | None = None) -> MakeResult:
    """A new video from one sayso made, with these changes; what did not change (the
    face analysis, the speech of unchanged words) is reused. The new one records its
    parent in its recipe, its manifest and the library. audio: a new recording to hear
    (say: its transcript); say alone: new words for a voice, in place of a recording."""
    video = Path(video)
    recipe = find_recipe(video)
    photo = Library().photo_path(recipe.photo)
    if not photo.is_file():
        raise InputNotFoundError(f"the photo {recipe.photo_name} that made {video.name} is not in your library: "
                                 "make the video again from the photo")
    base = Plan.from_dict(recipe.plan)
    changes: dict = {}
    if audio is not None or (voice is not None and base.recording is not None):
        changes.update(recording=None, lines=())  # a new recording, or a voice in place of the old one
        if audio is None:
            changes["lines"] = (Line(base.line, base.voice),) if base.line else ()
        if duration is None:
            changes["duration"] = None
    if say is not None and audio is None:
        if not say.strip():
            raise BadOptionError("--say needs words to speak")
        changes["lines"] = (Line(say.strip(), base.voice),)  # make() applies a new voice
        changes["language"] = line_language([say]) or base.language  # French words, a French voice
        changes["recording"] = None  # a voice speaks the new words
        if duration is None:
            changes["duration"] = None  # the new words set the length
    if scene is not None:
        changes["ambience"] = ambience_for(scene) if base.ambience else ()
    if ambience is False:
        changes["ambience"] = ()
    new_plan = replace(base, **changes) if changes else base
    return make(photo, output=output, plan=new_plan, voice=voice, expression=expression, scene=scene, camera=camera,
                size=size, aspect=aspect, seed=seed, duration=duration, face=recipe.face,
                label=recipe.label if label is None else label, captions=captions, audio=audio,
                say=say if audio is not None else None,
                parent=Parent(recipe, video.resolve()), on_progress=on_progress, should_stop=should_stop,
                on_frame=on_frame)
