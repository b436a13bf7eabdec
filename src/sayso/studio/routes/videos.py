"""Videos: make one, list them, read one, its files, remix, delete, share."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import time

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from ...errors import BadOptionError, ConflictError, FaceTooSmallError, NotFoundError, SaysoError
from ...jobs import Job, JobSpec, JobState
from ...jobs.media import check_sha
from ...jobs.store import KeptPhoto
from ...library import Library
from ...plan import Plan, timeline
from .. import schemas
from ..access import client_of
from ..context import Studio, studio
from ..errors import about
from .plans import directed

router = APIRouter(tags=["videos"])
ERRORS = {code: {"model": schemas.ErrorOut} for code in (404, 409, 413, 415, 422, 429)}
_MEDIA_TYPES = {"video.mp4": "video/mp4", "captions.vtt": "text/vtt", "captions.srt": "application/x-subrip",
                "recipe.json": "application/json", "preview.jpg": "image/jpeg"}


def _flag(value: str | None, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1", "on", "yes"):
        return True
    if value.lower() in ("false", "0", "off", "no"):
        return False
    raise about(BadOptionError(f"{name} must be true or false, not {value[:20]!r}"), name)


def _photo(request: Request, the: Studio, photo: UploadFile | None, photo_id: str | None) -> KeptPhoto:
    """The photo a request sends, or names by the id an upload gave."""
    if photo is not None and photo.filename:
        kept = the.keep_photo(request, photo.file, photo.filename)
        return KeptPhoto(kept.name, kept.usable, kept.chosen + 1)
    if not photo_id:
        raise about(BadOptionError("no photo: upload one (photo) or name one you uploaded (photo_id)"), "photo")
    try:
        found = the.store.photo(client_of(request), check_sha(photo_id))
    except NotFoundError:
        found = None
    if found is None:
        raise about(NotFoundError(f"no photo {photo_id[:12]} was uploaded here: upload it again"), "photo")
    return found


def _face(kept: KeptPhoto, face: int | None) -> int | None:
    """The face index for the recipe: None for the photo's default face (its analysis is
    cached from the upload), else a face that can be animated."""
    if face is None or face == kept.chosen:
        return None
    count = len(kept.usable)
    if face > count:
        raise about(BadOptionError(f"face {face} is out of range: the photo has {count} face(s), numbered 1 to "
                                   f"{count} left to right"), "face")
    if not kept.usable[face - 1]:
        raise about(FaceTooSmallError(f"face {face} is too small or unclear to animate: choose another face, or a "
                                      "closer photo of this person"), "face")
    return face


def _job_id(request: Request, key: str | None) -> str:
    if key is None:
        return secrets.token_hex(16)
    if not 1 <= len(key) <= 200:
        raise about(BadOptionError("Idempotency-Key must be 1 to 200 characters"), "Idempotency-Key")
    return hashlib.sha256(f"{client_of(request)}\0{key}".encode()).hexdigest()[:32]


def _submit(request: Request, the: Studio, spec: JobSpec, prompt: str, key: str | None) -> JSONResponse:
    request_hash = hashlib.sha256(json.dumps([spec.to_dict(), prompt], sort_keys=True).encode()).hexdigest()
    job = Job(id=_job_id(request, key), owner=client_of(request), spec=spec, prompt=prompt, state=JobState.QUEUED,
              created=time.time(), request=request_hash)
    job, new = the.runner.submit(job)
    return JSONResponse(the.view(job).model_dump(), status_code=202 if new else 200,
                        headers={"Location": f"/api/videos/{job.id}"})


@router.post("/api/videos", status_code=202, response_model=schemas.VideoOut, responses=ERRORS)
def create(request: Request, the: Studio = Depends(studio),
           photo: UploadFile | None = File(None, description="the portrait (or photo_id)"),
           photo_id: str | None = Form(None, description="a photo uploaded with POST /api/photos"),
           prompt: str = Form("", description="direction with the words to speak in quotes"),
           plan: str | None = Form(None, description="a plan JSON (from POST /api/plan) instead of a prompt"),
           voice: schemas.Voice | None = Form(None), expression: str | None = Form(None, max_length=200),
           camera: schemas.CameraMove | None = Form(None),
           scene: str | None = Form(None, description="comma-separated effects; 'none' for none"),
           ambience: str | None = Form(None), duration: float | None = Form(None, ge=0.5, le=120),
           size: schemas.Size | None = Form(None), aspect: schemas.Aspect | None = Form(None),
           fps: int | None = Form(None), seed: int | None = Form(None, ge=0, le=2**31 - 1),
           face: int | None = Form(None, ge=1, description="which face, 1 = leftmost"),
           captions: str | None = Form(None), label: str | None = Form(None),
           recording_id: str | None = Form(None, description="a recording uploaded with POST /api/recordings, "
                                                            "heard instead of a voice"),
           say: str | None = Form(None, max_length=2000, description="with recording_id: the words said in it"),
           idempotency_key: str | None = Header(None)) -> JSONResponse:
    """Queue a video: 202 with the new job, or 200 with the one an Idempotency-Key already made."""
    names = None if scene is None else [n.strip() for n in scene.split(",") if n.strip() and n.strip() != "none"]
    options = schemas.Options(voice=voice, expression=expression, camera=camera, scene=names,
                              ambience=_flag(ambience, "ambience", True), duration=duration, size=size,
                              aspect=aspect, fps=fps, seed=seed)
    given = None
    if plan:
        if prompt:
            raise about(BadOptionError("give a prompt or a plan, not both"), "plan")
        try:
            given = Plan.from_dict(json.loads(plan))
        except ValueError as error:  # bad JSON, or a field out of range (BadOptionError)
            raise about(error if isinstance(error, SaysoError) else BadOptionError(
                f"the plan is not valid JSON ({error}): use the plan POST /api/plan returns"), "plan") from None
    the_plan = directed(prompt, options, the.settings.max_prompt_chars, given)
    kept = _photo(request, the, photo, photo_id)
    heard = the.recording(request, recording_id) if recording_id else None
    if heard and voice:
        raise about(BadOptionError("a voice and a recording both say who speaks: choose one of them"), "voice")
    if say is not None and not heard:
        raise about(BadOptionError("say goes with a recording (its words): quote the line in the prompt"), "say")
    spec = JobSpec("make", photo=kept.name, plan=the_plan.to_dict(), face=_face(kept, face),
                   label=_flag(label, "label", True), captions=_flag(captions, "captions", False),
                   recording=heard, say=say.strip() if say and say.strip() else None)
    return _submit(request, the, spec, prompt, idempotency_key)


@router.get("/api/videos", response_model=schemas.VideoList)
def list_videos(request: Request, limit: int = Query(100, ge=1, le=500),
                the: Studio = Depends(studio)) -> schemas.VideoList:
    """This client's videos, newest first."""
    return schemas.VideoList(videos=[the.view(job) for job in the.store.list(client_of(request), limit)])


@router.get("/api/videos/{video_id}", response_model=schemas.VideoOut, responses=ERRORS)
def read(request: Request, video_id: str, the: Studio = Depends(studio)) -> schemas.VideoOut:
    return the.view(the.own(request, video_id))


@router.get("/api/videos/{video_id}/{name}", response_class=FileResponse, responses=ERRORS)
def download(request: Request, video_id: str, name: str, download: bool = False,
             the: Studio = Depends(studio)) -> FileResponse:
    """video.mp4, captions.vtt, captions.srt, recipe.json or preview.jpg (?download=1 to save it)."""
    if name not in _MEDIA_TYPES:
        raise NotFoundError(f"no such file {name[:40]!r}: use {', '.join(_MEDIA_TYPES)}")
    path = the.file(the.own(request, video_id), name)
    filename = f"sayso-{video_id[:12]}{path.suffix}" if download else None
    return FileResponse(path, media_type=_MEDIA_TYPES[name], filename=filename,
                        headers={"Cache-Control": "private, no-cache"})


@router.post("/api/videos/{video_id}/remix", status_code=202, response_model=schemas.VideoOut, responses=ERRORS)
def remix(request: Request, video_id: str, changes: schemas.RemixRequest, the: Studio = Depends(studio),
          idempotency_key: str | None = Header(None)) -> JSONResponse:
    """A new video from this one with these changes; it records this one as its parent."""
    parent = the.own(request, video_id)
    if parent.state != JobState.DONE:
        raise ConflictError(f"video {video_id} is {parent.state}: only a finished video can be remixed")
    asked = changes.model_dump(exclude_none=True, exclude={"captions", "recording_id"})
    if changes.recording_id:
        asked["audio"] = the.recording(request, changes.recording_id)
    if "say" in asked and not asked["say"].strip():
        raise about(BadOptionError("say needs words to speak"), "say")
    if "expression" in asked:
        try:
            timeline(asked["expression"])
        except BadOptionError as error:
            raise about(error, "expression") from None
    if "scene" in asked:
        asked["scene"] = tuple(asked["scene"])
    spec = JobSpec("remix", photo=parent.spec.photo, parent=parent.id, changes=asked, label=parent.spec.label,
                   captions=changes.captions)
    return _submit(request, the, spec, parent.prompt, idempotency_key)


@router.delete("/api/videos/{video_id}", status_code=204, responses=ERRORS)
def delete(request: Request, video_id: str, the: Studio = Depends(studio)) -> Response:
    """Delete a video and its files (a running render is cancelled first)."""
    job = the.own(request, video_id)
    if not job.state.finished:
        the.runner.cancel(job.id)
    if job.recipe:
        Library().remove(job.recipe)
    shutil.rmtree(the.media.job_dir(job.id), ignore_errors=True)
    the.store.delete(job.id)
    return Response(status_code=204)


@router.post("/api/videos/{video_id}/share", response_model=schemas.ShareOut, responses=ERRORS)
def share(request: Request, video_id: str, the: Studio = Depends(studio)) -> schemas.ShareOut:
    """A link anyone holding it can play (192 random bits); the same link while shared."""
    job = the.own(request, video_id)
    if job.state != JobState.DONE:
        raise ConflictError(f"video {video_id} is {job.state}: only a finished video can be shared")
    share_id = job.share or secrets.token_urlsafe(24)
    the.store.set_share(job.id, share_id)
    return schemas.ShareOut(share_url=f"/s/{share_id}")


@router.delete("/api/videos/{video_id}/share", status_code=204, responses=ERRORS)
def unshare(request: Request, video_id: str, the: Studio = Depends(studio)) -> Response:
    """The link stops working at once."""
    the.store.set_share(the.own(request, video_id).id, None)
    return Response(status_code=204)
