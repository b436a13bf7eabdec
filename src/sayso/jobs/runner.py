"""The one interface between the studio and whatever runs its renders.

The studio's routes and page know only this: submit a job, read it, read what happened
to it, cancel it. LocalRunner (worker processes on this machine) is the default; a
distributed engine (Celery workers over Redis) implements the same four calls and the
studio does not change."""

from __future__ import annotations

from typing import Protocol

from .model import Event, Job


class Runner(Protocol):
    def start(self) -> None:
        """Begin running jobs (recover what a previous server left running)."""

    def stop(self) -> None:
        """Stop taking jobs; hand back what is running so a later start resumes it."""

    def submit(self, job: Job) -> tuple[Job, bool]:
        """Queue job unless one with its id exists; (the job, whether it is new).
        Raises BusyError (queue full) and ConflictError (id reused for another request)."""

    def get(self, job_id: str) -> Job | None:
        """Where the job stands now."""

    def events(self, job_id: str, after: int = 0) -> list[Event]:
        """What happened to the job since event number after, in order."""

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job at once; ask a running one to stop at its next frame."""

    def health(self) -> dict:
        """Workers alive and jobs by state, for /api/health."""
