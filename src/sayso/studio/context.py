"""Studio: what every route needs (settings, files, the job store, the runner), and the
two checks every route about a video makes: it exists and it is the asker's."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fastapi import Request

from ..errors import NotFoundError
from ..jobs import Job, Runner
from ..jobs.media import Media, check_job_id
from ..jobs.store import JobStore
from . import schemas
from .access import client_of
from .errors import about
from .settings import Settings
from .uploads import Photo, Recording, accept_photo, accept_recording


@dataclass
class Studio:
    settings: Settings
    media: Media
    store: JobStore
    runner: Runner
    verified: dict[tuple[str, float], object] = field(default_factory=dict)  # (path, mtime) -> Report

    def own(self, request: Request, job_id: str) -> Job:
        """The asker's job, else NotFoundError: another client's video is as absent as a
        video that never existed."""
        job = self.runner.get(check_job_id(job_id))
        if job is None or job.owner != client_of(request):
            raise NotFoundError(f"no video {job_id}: it was deleted, or it is not yours")
        return job

    def keep_photo(self, request: Request, source: BinaryIO, filename: str) -> Photo:
        """Check, analyse and keep an uploaded photo as the asker's."""
        kept = accept_photo(source, filename, self.settings, self.media)
        self.store.keep_photo(client_of(request), kept.sha, kept.name.partition(".")[2], kept.usable,
                              kept.chosen + 1)
        return kept

    def keep_recording(self, request: Request, source: BinaryIO, filename: str) -> Recording:
        """Check and keep an uploaded recording as the asker's."""
        kept = accept_recording(source, filename, self.settings, self.media)
        self.store.keep_recording(client_of(request), kept.sha, kept.name.partition(".")[2], kept.seconds)
        return kept

    def recording(self, request: Request, recording_id: str) -> str:
        """The name of a recording the asker uploaded, else NotFoundError about the field."""
        from ..jobs.media import check_sha

        try:
            name = self.store.recording(client_of(request), check_sha(recording_id))
        except NotFoundError:
            name = None
        if name is None:
            raise about(NotFoundError(f"no recording {recording_id[:12]} was uploaded here: upload it again"),
                        "recording")
        return name

    def view(self, job: Job) -> schemas.VideoOut:
        return schemas.video_out(job, self.store.children(job.id), self.media.preview(job.id).is_file())

    def file(self, job: Job, name: str) -> Path:
        """A finished job's file: video.mp4, captions.vtt/.srt, recipe.json or preview.jpg."""
        path = {"video.mp4": self.media.video, "captions.vtt": self.media.captions,
                "captions.srt": lambda job_id: self.media.captions(job_id).with_suffix(".srt"),
                "recipe.json": self.media.recipe, "preview.jpg": self.media.preview}[name](job.id)
        if name != "preview.jpg" and job.state != "done" or not path.is_file():
            raise NotFoundError(f"video {job.id} has no {name} (yet): wait until it is made")
        return path

    def report(self, video: Path):
        """sayso verify's report on a kept video, computed once per file version."""
        from ..trust.verify import verify

        key = (str(video), os.stat(video).st_mtime)
        if key not in self.verified:
            if len(self.verified) > 256:
                self.verified.clear()
            self.verified[key] = verify(video)
        return self.verified[key]


def studio(request: Request) -> Studio:
    """The FastAPI dependency."""
    return request.app.state.studio
