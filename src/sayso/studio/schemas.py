"""The JSON the API takes and returns (pydantic models: they are the OpenAPI description),
and the functions that turn jobs and plans into it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..jobs import Job
from ..plan import ASPECTS, CAMERA_MOVES, SIZES, VOICES
from ..speech.voices import resolve

Voice = Literal[VOICES]  # type: ignore[valid-type]
Size = Literal[tuple(SIZES)]  # type: ignore[valid-type]
Aspect = Literal[ASPECTS]  # type: ignore[valid-type]
CameraMove = Literal[CAMERA_MOVES]  # type: ignore[valid-type]


class ErrorDetail(BaseModel):
    code: str = Field(description="a stable name: no_face, image_too_large, bad_option, busy, ...")
    message: str = Field(description="one sentence that says what went wrong and what to do")
    field: str | None = Field(None, description="the form field it is about, if any")


class ErrorOut(BaseModel):
    error: ErrorDetail


class Face(BaseModel):
    number: int
    x: float
    y: float
    width: float
    height: float
    score: float
    usable: bool = Field(description="whether this face can be animated (found by the mesh, 80 px wide or more)")


class PhotoOut(BaseModel):
    id: str = Field(description="the photo's SHA-256; give it as photo_id when making a video")
    url: str
    width: int
    height: int
    faces: list[Face] = Field(description="every face found, numbered from 1, left to right; boxes in photo pixels")
    chosen: int = Field(description="the face animated unless another is chosen")


class RecordingOut(BaseModel):
    id: str = Field(description="the recording's SHA-256; give it as recording_id when making or remixing a video")
    seconds: float = Field(description="how long it plays")


class Options(BaseModel):
    """Direction options on top of the prompt; null keeps what the prompt says."""

    voice: Voice | None = None
    expression: str | None = Field(None, max_length=200, description="e.g. 'angry', 'smile then sad', 'angry from 1.5s'")
    camera: CameraMove | None = None
    scene: list[str] | None = Field(None, description="scene effects; [] for none")
    ambience: bool = True
    duration: float | None = Field(None, ge=0.5, le=120)
    size: Size | None = None
    aspect: Aspect | None = None
    fps: Literal[24, 25, 30] | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


class PlanRequest(Options):
    prompt: str = Field("", description="direction with the words to speak in quotes")


class ChangeOut(BaseModel):
    what: str
    strength: float
    when: str


class VoiceOut(BaseModel):
    name: str
    gender: Literal["male", "female"]
    languages: list[str]
    about: str
    real_time: int = Field(description="seconds of speech made per second, on 2 cores")
    samples: dict[str, str] = Field(description="language -> URL of a WAV of the voice's sample line")


class Summary(BaseModel):
    line: str | None
    voice: str = Field(description="as asked: male, female or a voice's name")
    speaker: str = Field(description="the voice that speaks the line (see /api/voices), or \"recording\": "
                                     "the person's own recording is heard")
    expressions: list[ChangeOut]
    gaze: list[ChangeOut]
    gestures: list[ChangeOut]
    camera: str
    scene: list[str]
    ambience: list[str]
    language: str
    ignored: list[str]


class PlanOut(BaseModel):
    plan: dict[str, Any] = Field(description="the plan JSON, as `sayso plan` prints it")
    summary: Summary


class RemixRequest(BaseModel):
    say: str | None = Field(None, max_length=2000, description="new words to speak (with recording_id: its words)")
    recording_id: str | None = Field(None, description="a recording uploaded with POST /api/recordings, heard instead")
    voice: Voice | None = None
    expression: str | None = Field(None, max_length=200)
    scene: list[str] | None = None
    camera: CameraMove | None = None
    size: Size | None = None
    aspect: Aspect | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    duration: float | None = Field(None, ge=0.5, le=120)
    ambience: bool | None = None
    label: bool | None = None
    captions: bool = False


class RemixDefaults(BaseModel):
    say: str
    voice: str
    expression: str
    scene: list[str]
    camera: str


class VideoOut(BaseModel):
    id: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    stage: str | None
    percent: float
    error: ErrorDetail | None
    kind: Literal["make", "remix"]
    parent: str | None
    children: list[str]
    created: float
    started: float | None
    finished: float | None
    attempts: int
    prompt: str
    line: str | None
    summary: Summary | None
    recipe: str | None = Field(description="the recipe id (SHA-256) once made")
    photo_url: str
    preview_url: str | None
    video_url: str | None
    captions_url: str | None = Field(description="WebVTT; the same cues as SRT at captions.srt")
    recipe_url: str | None
    width: int | None
    height: int | None
    duration: float | None
    shared: bool
    share_url: str | None
    remix_defaults: RemixDefaults | None
    changes: dict[str, Any] | None = Field(None, description="a remix: what it changed of its parent")


class VideoList(BaseModel):
    videos: list[VideoOut]


class ShareOut(BaseModel):
    share_url: str


class Provenance(BaseModel):
    made_by: str
    ai_generated: bool
    verdict: str
    signed: bool
    trusted: bool
    label: bool | None
    lineage: list[str]
    created: float


class SharedOut(BaseModel):
    video_url: str
    created: float
    duration: float | None
    width: int | None
    height: int | None
    line: str | None
    provenance: Provenance


class VerifyOut(BaseModel):
    video: str
    verdict: str
    code: int = Field(description="the exit code `sayso verify` gives: 0 intact, 20 none, 21 tampered, 22 stripped, 23 untrusted")
    manifest_present: bool
    manifest_valid: bool
    manifest_trusted: bool
    manifest_reason: str | None
    manifest_actions: list[str]
    recipe_id: str | None
    watermark: str | None
    watermark_confidence: float | None
    watermark_matches_manifest: bool | None
    in_library: bool
    label: bool | None
    lineage: list[str]


class LoginRequest(BaseModel):
    token: str = Field(max_length=512)


# ------------------------------------------------------------------ views


# ---------------------------------------------------------------- what workers send

WorkerName = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9@._:/-]+$",
                   description="the worker process: NODE/PID")


class NodeIn(BaseModel):
    """A `sayso worker` saying it is there (at start, then every few seconds)."""

    name: str = Field(min_length=1, max_length=160, pattern=r"^[A-Za-z0-9@._:-]+$")
    host: str = Field("", max_length=200)
    pid: int = 0
    concurrency: int = Field(1, ge=0, le=1024)
    queues: list[str] = Field(default_factory=list, max_length=32)
    version: str = Field("", max_length=40)


class WorkerIn(BaseModel):
    worker: str = WorkerName


class BeatIn(WorkerIn):
    stage: str | None = Field(None, max_length=20)
    done: int = Field(0, ge=0)
    total: int = Field(0, ge=0)


class FinishIn(WorkerIn):
    state: Literal["done", "failed", "cancelled", "queued"] = Field(description="queued: handed back, not done")
    files: dict[str, str] = Field(default_factory=dict, description="video.mp4, video.vtt, video.sayso.json -> SHA-256")
    result: dict[str, Any] = Field(default_factory=dict, description="the render's summary")
    error_code: str | None = Field(None, max_length=60)
    error_message: str | None = Field(None, max_length=2000)


class ClaimOut(BaseModel):
    id: str
    spec: dict[str, Any]
    prompt: str
    attempts: int
    parent_recipe: str | None = None
    recording: str | None = Field(None, description="the recording the job hears (<sha256>.<ext>): fetch it")


def _when(at: dict[str, Any], count: int) -> str:
    if at.get("seconds") is not None:
        return f"at {at['seconds']:g} s"
    if at.get("word"):
        return f"{'after' if at.get('after') else 'on'} '{at['word']}'"
    if at.get("step"):
        return f"step {at['step'] + 1} of {count}"
    return "from the start"


def _changes(items: list[dict[str, Any]]) -> list[ChangeOut]:
    steps = max((c["at"].get("step", 0) for c in items), default=0) + 1
    return [ChangeOut(what=c["what"], strength=c["strength"], when=_when(c["at"], steps)) for c in items]


def summarize(plan: dict[str, Any]) -> Summary:
    """What sayso understood, in a person's words."""
    camera = plan["camera"]
    move = camera["move"] + (", hand-held" if camera.get("handheld") else "")
    if camera["move"] != "static" and camera.get("speed", 1.0) != 1.0:
        move += " (slow)" if camera["speed"] < 1 else " (fast)"
    lines = plan.get("lines") or []
    voice = lines[0]["voice"] if lines else "male"
    speaker = "recording" if plan.get("recording") else resolve(voice, plan.get("language", "en")).name
    return Summary(line=" ".join(line["text"] for line in lines) or None, voice=voice, speaker=speaker, expressions=_changes(plan.get("expressions", [])),
                   gaze=_changes(plan.get("gaze", [])), gestures=_changes(plan.get("gestures", [])), camera=move,
                   scene=list(plan.get("scene", [])), ambience=list(plan.get("ambience", [])),
                   language=plan.get("language", "en"), ignored=list(plan.get("ignored", [])))


def _remix_defaults(plan: dict[str, Any]) -> RemixDefaults:
    expressions = plan.get("expressions", [])
    return RemixDefaults(say=" ".join(line["text"] for line in plan.get("lines", [])),
                         voice=plan["lines"][0]["voice"] if plan.get("lines") else "male",
                         expression=" then ".join(c["what"] for c in expressions) or "neutral",
                         scene=list(plan.get("scene", [])), camera=plan["camera"]["move"])


def video_out(job: Job, children: list[str], has_preview: bool) -> VideoOut:
    base = f"/api/videos/{job.id}"
    done = job.state == "done"
    result = job.result or {}
    plan = result.get("plan") or job.spec.plan
    error = ErrorDetail(code=job.error_code, message=job.error_message or "") if job.error_code else None
    return VideoOut(
        id=job.id, state=job.state.value, stage=job.stage, percent=job.percent, error=error, kind=job.spec.kind,
        parent=job.spec.parent, children=children, created=job.created, started=job.started, finished=job.finished,
        attempts=job.attempts, prompt=job.prompt, line=summarize(plan).line if plan else None,
        summary=summarize(plan) if plan else None, recipe=job.recipe,
        photo_url=f"/api/photos/{job.spec.photo.partition('.')[0]}",
        preview_url=f"{base}/preview.jpg" if has_preview else None,
        video_url=f"{base}/video.mp4" if done else None,
        captions_url=f"{base}/captions.vtt" if done and result.get("captions") else None,
        recipe_url=f"{base}/recipe.json" if done else None,
        width=result.get("width"), height=result.get("height"), duration=result.get("duration"),
        shared=job.share is not None, share_url=f"/s/{job.share}" if job.share else None,
        remix_defaults=_remix_defaults(plan) if done and plan else None,
        changes=dict(job.spec.changes) if job.spec.kind == "remix" else None)
