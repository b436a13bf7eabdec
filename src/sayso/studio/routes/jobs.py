"""Jobs: where a render stands, its live progress (Server-Sent Events), cancelling it."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from ...errors import ConflictError
from .. import schemas
from ..context import Studio, studio
from .videos import ERRORS

router = APIRouter(tags=["jobs"])
POLL = 0.1  # seconds between looks at the job's events
KEEPALIVE = 15.0  # seconds between comments on a quiet stream, so proxies keep it open


@router.get("/api/jobs/{job_id}", response_model=schemas.VideoOut, responses=ERRORS)
def status(request: Request, job_id: str, the: Studio = Depends(studio)) -> schemas.VideoOut:
    return the.view(the.own(request, job_id))


@router.post("/api/jobs/{job_id}/cancel", status_code=202, response_model=schemas.VideoOut, responses=ERRORS)
def cancel(request: Request, job_id: str, the: Studio = Depends(studio)) -> JSONResponse:
    """A queued job is cancelled at once; a running one stops at its next frame."""
    job = the.own(request, job_id)
    if job.state.finished:
        raise ConflictError(f"video {job_id} is already {job.state}: there is nothing to cancel")
    return JSONResponse(the.view(the.runner.cancel(job.id)).model_dump(), status_code=202)


@router.get("/api/jobs/{job_id}/events", responses={200: {"content": {"text/event-stream": {}}}, **ERRORS})
async def events(request: Request, job_id: str, the: Studio = Depends(studio),
                 last_event_id: str | None = Header(None)) -> StreamingResponse:
    """Server-Sent Events: `progress` {stage, done, total, percent}, `preview` {url} once
    the first frame is rendered, and `state` {the video} at every change of state; the
    stream ends after the last one. Reconnecting with Last-Event-ID resumes."""
    job = await run_in_threadpool(the.own, request, job_id)
    after = int(last_event_id) if (last_event_id or "").isdigit() else 0

    async def stream():
        nonlocal after
        yield "retry: 1000\n\n"
        quiet = 0.0
        while not await request.is_disconnected():
            for event in await run_in_threadpool(the.runner.events, job.id, after):
                after = event.seq
                data = event.data
                if event.kind == "state":
                    current = await run_in_threadpool(the.runner.get, job.id)
                    if current is None:
                        return
                    # the video as it is now, with the state this event moved it to
                    data = the.view(current).model_dump() | {"state": event.data["state"],
                                                             "reason": event.data.get("reason")}
                yield f"id: {event.seq}\nevent: {event.kind}\ndata: {json.dumps(data)}\n\n"
                if event.kind == "state" and event.data["state"] in ("done", "failed", "cancelled"):
                    return
                quiet = 0.0
            await asyncio.sleep(POLL)
            quiet += POLL
            if quiet >= KEEPALIVE:
                yield ": still here\n\n"
                quiet = 0.0

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
