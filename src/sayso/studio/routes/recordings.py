"""Recordings: upload a person's own speech, heard in a video instead of a voice."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile

from ...errors import BadOptionError, SaysoError
from .. import schemas
from ..context import Studio, studio
from ..errors import about

router = APIRouter(tags=["recordings"])


@router.post("/api/recordings", status_code=201, response_model=schemas.RecordingOut,
             responses={413: {"model": schemas.ErrorOut}, 415: {"model": schemas.ErrorOut},
                        422: {"model": schemas.ErrorOut}})
def upload(request: Request, recording: UploadFile | None = File(None, description="WAV, MP3, M4A, OGG or FLAC"),
           the: Studio = Depends(studio)) -> schemas.RecordingOut:
    """Keep a recording (each once, by content) after checking it holds speech."""
    if recording is None or not recording.filename:
        raise about(BadOptionError("no recording was sent: choose a sound file"), "recording")
    try:
        kept = the.keep_recording(request, recording.file, recording.filename)
    except SaysoError as error:  # every refusal is about this field
        raise about(error, "recording") from None
    return schemas.RecordingOut(id=kept.sha, seconds=round(kept.seconds, 2))
