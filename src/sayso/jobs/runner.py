"""The one interface between the studio and whatever runs its renders.

The studio's routes and page know only this: submit a job, read it, read what happened
to it, cancel it. LocalRunner (worker processes on this machine) is the default; a
distributed engine (Celery workers over Redis) implements the same four calls and the
studio does not change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..errors import BusyError
from .model import Event, Job

if TYPE_CHECKING:
    from .store import JobStore


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


def check_room(store: "JobStore", job: Job, max_queued: int, processes: int) -> None:
    """BusyError (with a fair Retry-After) when a new job would pass the queue's limit;
    a job already there (the same request again) always gets in."""
    if store.get(job.id) is None and (pending := store.pending()) >= max_queued:
        raise BusyError(f"the queue is full ({pending} videos waiting): try again in a minute",
                        retry_after=int(min(300, 5 + 4 * pending / max(1, processes))))
