"""The values of the job system: what to render (JobSpec), where a render stands (Job),
and what happened to it (Event). All JSON-ready; times are seconds since the epoch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import BadOptionError

KINDS = ("make", "remix")

# Where each stage sits on the progress bar, in percent: (start, end).
STAGE_SPAN = {"queued": (0, 0), "face": (0, 4), "speech": (4, 12), "render": (12, 96), "sign": (96, 100)}


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs, by value: the photo by name (<sha256>.<ext>), the plan already
    directed (options applied), and for a remix the parent job and the changes that
    sayso.remix takes as keywords."""

    kind: str
    photo: str
    plan: dict[str, Any] | None = None
    face: int | None = None
    label: bool = True
    captions: bool = False
    parent: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)  # a remix's; "audio" names a kept recording
    recording: str | None = None  # make: the person's recording by name (<sha256>.<ext>), heard instead of a voice
    say: str | None = None  # make: the recording's transcript, if given

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise BadOptionError(f"job kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.kind == "make" and self.plan is None:
            raise BadOptionError("a make job needs a plan")
        if self.kind == "remix" and self.parent is None:
            raise BadOptionError("a remix job needs its parent")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "JobSpec":
        return cls(**data)


@dataclass(frozen=True)
class Job:
    """One render and where it stands. attempts counts the times a worker took it."""

    id: str
    owner: str
    spec: JobSpec
    prompt: str
    state: JobState
    created: float
    stage: str = "queued"
    done: int = 0
    total: int = 0
    percent: float = 0.0
    attempts: int = 0
    started: float | None = None
    finished: float | None = None
    worker: str | None = None
    cancel_requested: bool = False
    error_code: str | None = None
    error_message: str | None = None
    recipe: str | None = None  # the recipe id once done
    result: dict[str, Any] | None = None  # MakeResult.summary() once done
    share: str | None = None  # the share id while shared
    request: str = ""  # hash of the request, for idempotent resubmission


@dataclass(frozen=True)
class Event:
    """Something that happened to a job: kind is "progress", "preview" or "state"."""

    seq: int
    job: str
    kind: str
    data: dict[str, Any]
    at: float


def percent(stage: str, done: int, total: int) -> float:
    """Overall percent for a stage's own progress."""
    start, end = STAGE_SPAN.get(stage, (0, 0))
    fraction = done / total if total > 0 else 0.0
    return round(start + (end - start) * min(max(fraction, 0.0), 1.0), 1)
