"""What `sayso worker` processes ask of the studio (only with its access token, and only
when the studio runs its jobs on Celery): say hello, claim a job, fetch its inputs, beat
while rendering (and learn of a cancel), send the files back, finish."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from ...errors import NotFoundError
from ...jobs import JobState
from ...jobs.distributed import CeleryRunner, Node
from ...jobs.media import check_job_id
from ...jobs.receive import accept, receive, recording_of
from ...library import file_hash
from .. import schemas
from ..context import Studio, studio

router = APIRouter(prefix="/api/work", tags=["workers"])
_finishing = threading.Lock()  # one finish at a time: the check of the holder and the placing of files together


def runner(the: Studio = Depends(studio)) -> CeleryRunner:
    return the.runner  # the router is only mounted with a CeleryRunner


@router.post("/hello")
def hello(node: schemas.NodeIn, celery: CeleryRunner = Depends(runner)) -> dict:
    """A worker process starting or still there; the answer is how the studio wants to be talked to."""
    return celery.hello(Node(node.name, node.host, node.pid, node.concurrency, tuple(node.queues), node.version))


@router.post("/jobs/{job_id}/claim", response_model=schemas.ClaimOut)
def claim(job_id: str, body: schemas.WorkerIn, the: Studio = Depends(studio),
          celery: CeleryRunner = Depends(runner)) -> schemas.ClaimOut:
    """The job, now this worker's; 409 when it is not waiting (a duplicate delivery: do nothing)."""
    job = celery.claim(check_job_id(job_id), body.worker)
    parent = the.store.get(job.spec.parent) if job.spec.parent else None
    heard = recording_of(the.media, job, _plan_of(parent))
    return schemas.ClaimOut(id=job.id, spec=job.spec.to_dict(), prompt=job.prompt, attempts=job.attempts,
                            parent_recipe=parent.recipe if parent else None, recording=heard[0] if heard else None)


def _plan_of(job) -> dict | None:
    return (job.result or {}).get("plan") if job is not None else None


@router.post("/jobs/{job_id}/beat")
def beat(job_id: str, body: schemas.BeatIn, celery: CeleryRunner = Depends(runner)) -> dict:
    progress = (body.stage, body.done, body.total) if body.stage else None
    return {"stop": celery.beat(check_job_id(job_id), body.worker, progress)}


@router.get("/jobs/{job_id}/inputs/{which}", response_class=FileResponse)
def inputs(job_id: str, which: str, worker: str, the: Studio = Depends(studio),
           celery: CeleryRunner = Depends(runner)) -> FileResponse:
    """photo (named by its SHA-256), parent (a remix's source video) or recording (the one
    the job hears, named by its SHA-256), with X-Sha256."""
    job = celery.holder(check_job_id(job_id), worker)
    heard = recording_of(the.media, job, _plan_of(the.store.get(job.spec.parent) if job.spec.parent else None))
    if which == "photo":
        path = the.media.photo(job.spec.photo)
        sha = job.spec.photo.partition(".")[0]
    elif which == "parent" and job.spec.parent:
        path = the.media.video(job.spec.parent)
        sha = file_hash(path) if path.is_file() else ""
    elif which == "recording" and heard:
        path, sha = heard[1], heard[0].partition(".")[0]
    else:
        raise NotFoundError(f"job {job_id} has no input {which[:20]!r}: ask for photo, parent (a remix) or "
                            "recording (a job with one)")
    if not path.is_file():
        raise NotFoundError(f"the {which} of job {job_id} is gone from the studio: make the video again")
    return FileResponse(path, headers={"X-Sha256": sha})


@router.put("/jobs/{job_id}/files/{sha}", status_code=201)
async def upload(job_id: str, sha: str, worker: str, request: Request, the: Studio = Depends(studio),
                 celery: CeleryRunner = Depends(runner)) -> Response:
    """One output file, kept under its SHA-256 until the finish names it (200: already here)."""
    await run_in_threadpool(celery.holder, check_job_id(job_id), worker)
    new = await receive(the.media, job_id, sha, request.stream())
    return Response(status_code=201 if new else 200)


@router.put("/jobs/{job_id}/preview.jpg", status_code=204)
async def preview(job_id: str, worker: str, request: Request, the: Studio = Depends(studio),
                  celery: CeleryRunner = Depends(runner)) -> Response:
    """The first frame, for the page while the rest renders."""
    await run_in_threadpool(celery.holder, check_job_id(job_id), worker)
    data = await request.body()
    target = the.media.preview(job_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(data[: 8 << 20])
    partial.replace(target)
    the.store.note(job_id, "preview", {"url": f"/api/videos/{job_id}/preview.jpg"})
    return Response(status_code=204)


@router.post("/jobs/{job_id}/finish")
def finish(job_id: str, body: schemas.FinishIn, the: Studio = Depends(studio),
           celery: CeleryRunner = Depends(runner)) -> dict:
    """done (the files sent before are signed and recorded), failed or cancelled, or queued
    (handed back: another try, at no cost of an attempt); 409 when the job is no longer
    this worker's (then nothing of its is kept)."""
    with _finishing:
        job = celery.holder(check_job_id(job_id), body.worker)
        state = JobState(body.state)
        if state == JobState.DONE:
            parent = the.store.get(job.spec.parent) if job.spec.parent else None
            recipe, result = accept(the.media, job, body.files, body.result, parent.recipe if parent else None)
            the.store.finish(job.id, state, worker=body.worker, recipe=recipe, result=result)
        elif state == JobState.QUEUED:
            celery.hand_back(job, body.error_message or f"its worker {body.worker} handed it back")
        else:
            the.media.clear_partials(job.id)
            the.store.finish(job.id, state, worker=body.worker, error_code=body.error_code,
                             error_message=body.error_message)
        celery.closed(job.id)
    return {"state": state.value}
