"""The studio's assembly: settings -> files, job store, runner -> routes, page, errors."""

from __future__ import annotations

import os
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .. import __version__
from ..errors import SaysoError
from ..jobs import Runner
from ..jobs.local import LocalRunner
from ..jobs.media import Media
from ..jobs.store import JobStore
from . import access, errors
from .context import Studio
from .routes import jobs, pages, photos, plans, recordings, shares, verify, videos, voices, work
from .settings import Settings

STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings) -> FastAPI:
    studio = _studio(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        studio.runner.start()
        try:
            yield
        finally:
            studio.runner.stop()

    app = FastAPI(title="sayso studio", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Photo + prompt -> a talking video, on your own machine. Every error is "
                              "{\"error\": {\"code\", \"message\", \"field\"}}.")
    app.state.studio = studio
    app.middleware("http")(access.middleware(settings))
    for router in (pages.router, photos.router, plans.router, videos.router, jobs.router, shares.router,
                   verify.router, voices.router, recordings.router):
        app.include_router(router)
    if settings.broker:
        app.include_router(work.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _error_handlers(app)
    return app


def _studio(settings: Settings) -> Studio:
    """The studio's files and runner. The data folder is exported, so the pipeline
    (library, cache, signing identity) and the worker processes use the same one."""
    if settings.data_dir is not None:
        os.environ["SAYSO_DATA_DIR"] = str(settings.data_dir)
    media = Media(settings.root)
    media.incoming.mkdir(parents=True, exist_ok=True)
    for stale in media.incoming.iterdir():  # uploads a killed server was receiving
        stale.unlink(missing_ok=True)
    tempfile.tempdir = str(media.incoming)  # multipart spooling stays inside the data folder too
    store = JobStore(media.jobs_db)
    return Studio(settings, media, store, _runner(settings, store, media))


def _runner(settings: Settings, store: JobStore, media: Media) -> Runner:
    """Render processes of the studio's own (the default), or Celery workers anywhere (--broker)."""
    if settings.broker:
        from ..jobs.distributed import CeleryRunner

        return CeleryRunner(store, media, broker=settings.broker, max_queued=settings.max_queued,
                            job_timeout=settings.job_timeout, lease=settings.lease)
    return LocalRunner(store, media, workers=settings.workers, max_queued=settings.max_queued,
                       job_timeout=settings.job_timeout, log=settings.root / "workers.log")


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SaysoError)
    async def sayso_error(request: Request, error: SaysoError):
        return errors.response(error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        first = error.errors()[0]
        field = str(first["loc"][-1]) if first.get("loc") else None
        return errors.body(422, "bad_option", errors.sentence(first, field), field)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http")
        message = "no such page or route: check the address" if error.status_code == 404 else str(error.detail)
        return errors.body(error.status_code, code, message, None, getattr(error, "headers", None))
