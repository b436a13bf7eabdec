"""Shared videos: anyone holding the link may play one and read its provenance."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from ...errors import NotFoundError
from ...jobs import Job, JobState
from .. import schemas
from ..context import Studio, studio

router = APIRouter(tags=["shares"])


def _shared(the: Studio, share_id: str) -> Job:
    job = the.store.by_share(share_id) if 16 <= len(share_id) <= 64 else None
    if job is None or job.state != JobState.DONE:
        raise NotFoundError("this link was unshared or never existed: ask its owner for a new one")
    return job


@router.get("/api/shared/{share_id}", response_model=schemas.SharedOut,
            responses={404: {"model": schemas.ErrorOut}})
def shared(share_id: str, the: Studio = Depends(studio)) -> schemas.SharedOut:
    """The shared video and what it says about itself (as `sayso verify` reads it)."""
    job = _shared(the, share_id)
    report = the.report(the.file(job, "video.mp4"))
    result = job.result or {}
    provenance = schemas.Provenance(made_by="sayso", ai_generated=True, verdict=report.verdict,
                                    signed=report.manifest_valid, trusted=report.manifest_trusted,
                                    label=report.label, lineage=list(report.lineage), created=job.finished or job.created)
    line = " ".join(line["text"] for line in result.get("plan", {}).get("lines", [])) or None
    return schemas.SharedOut(video_url=f"/api/shared/{share_id}/video.mp4", created=job.finished or job.created,
                             duration=result.get("duration"), width=result.get("width"), height=result.get("height"),
                             line=line, provenance=provenance)


@router.get("/api/shared/{share_id}/video.mp4", response_class=FileResponse,
            responses={404: {"model": schemas.ErrorOut}})
def shared_video(share_id: str, the: Studio = Depends(studio)) -> FileResponse:
    return FileResponse(the.file(_shared(the, share_id), "video.mp4"), media_type="video/mp4",
                        headers={"Cache-Control": "no-store"})
