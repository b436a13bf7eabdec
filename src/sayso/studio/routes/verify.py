"""Verify: what any video says about itself, as `sayso verify` would say it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, UploadFile

from ...errors import BadOptionError, SaysoError
from ...trust.verify import verify as check
from .. import schemas
from ..context import Studio, studio
from ..errors import about
from ..uploads import received_video, shown_name

router = APIRouter(tags=["verify"])


@router.post("/api/verify", response_model=schemas.VerifyOut,
             responses={code: {"model": schemas.ErrorOut} for code in (413, 415, 422)})
def verify(video: UploadFile | None = File(None, description="any video file"),
           the: Studio = Depends(studio)) -> schemas.VerifyOut:
    """The manifest, the watermark, the library and the lineage; `code` is the exit code
    `sayso verify` gives. The upload is read and forgotten."""
    if video is None or not video.filename:
        raise about(BadOptionError("no video was sent: choose a video file"), "video")
    try:
        with received_video(video.file, video.filename, the.settings, the.media) as partial:
            report = check(partial).to_dict()
    except SaysoError as error:
        raise about(error, "video") from None
    return schemas.VerifyOut(**(report | {"video": shown_name(video.filename)}))
