"""One job through the pipeline: the same make() and remix() the command line calls,
with the job's hooks for progress, cancellation and the preview frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..pipeline import CancelHook, FrameHook, MakeResult, ProgressHook
from .media import Media
from .model import Job


@dataclass(frozen=True)
class Hooks:
    on_progress: ProgressHook
    should_stop: CancelHook
    on_frame: FrameHook


def run(job: Job, media: Media, hooks: Hooks) -> MakeResult:
    """Render job into media.job_dir(job.id); raises what the pipeline raises."""
    from .. import pipeline
    from ..plan import Plan

    media.job_dir(job.id).mkdir(parents=True, exist_ok=True)
    hook_args = dict(on_progress=hooks.on_progress, should_stop=hooks.should_stop, on_frame=hooks.on_frame)
    if job.spec.kind == "make":
        audio = media.recording(job.spec.recording) if job.spec.recording else None
        return pipeline.make(media.photo(job.spec.photo), output=media.video(job.id),
                             plan=Plan.from_dict(job.spec.plan), face=job.spec.face, label=job.spec.label,
                             captions=job.spec.captions, audio=audio, say=job.spec.say, **hook_args)
    changes = dict(job.spec.changes)
    if "audio" in changes:
        changes["audio"] = media.recording(changes["audio"])
    return pipeline.remix(media.video(job.spec.parent), media.video(job.id), captions=job.spec.captions,
                          **changes, **hook_args)


def save_preview(media: Media, job_id: str, frame: np.ndarray) -> None:
    """The first rendered frame as a JPEG, written whole or not at all."""
    import os

    from PIL import Image

    target = media.preview(job_id)
    tmp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    Image.fromarray(frame).save(tmp, format="JPEG", quality=85)
    os.replace(tmp, target)


def warm_up() -> None:
    """Load the models a render needs once per worker process (face mesh, voice), so the
    first job starts as fast as the next."""
    from .. import face, speech

    face.detect_faces(np.zeros((64, 64, 3), np.uint8))
    speech.synthesize("Hi.", "male")
