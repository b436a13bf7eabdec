"""The studio's side of a remote render's files: what a worker sends back, checked,
signed and recorded. No disk is shared with workers: they fetch the inputs and send the
outputs over HTTP, each file named and checked by its SHA-256.

The studio signs on receipt (the worker's own signature, made with a throwaway identity
of the worker's, is replaced): the signing key never leaves the studio, so a worker that
is lost, stolen or compromised cannot sign anything as the studio, there is no key to
hand out, rotate or revoke, and `sayso verify` on the studio's machine trusts every
video it made exactly as it does without workers. It costs the studio ~10 ms a video."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterable
from pathlib import Path
from typing import Any

from ..errors import BadOptionError, OutputError
from .media import Media, check_sha
from .model import Job

OUTPUTS = ("video.mp4", "video.vtt", "video.srt", "video.sayso.json")  # what a worker sends; the video, recipe always
MAX_OUTPUT_BYTES = 4 << 30  # one file from a worker


def recording_of(media: Media, job: Job, parent_plan: dict | None) -> tuple[str, Path] | None:
    """The recording a job hears, as (its name <sha256>.<ext>, the studio's file): the one
    it was given, or for a remix the one its parent was made with (in the library)."""
    from ..library import Library

    given = job.spec.recording or job.spec.changes.get("audio")
    if given:
        return given, media.recording(given)
    kept = (parent_plan or {}).get("recording")
    if kept and job.spec.kind == "remix" and "say" not in job.spec.changes and "voice" not in job.spec.changes:
        path = Library().recording_path(kept)
        return f"{kept}{path.suffix}", path
    return None


def staged(media: Media, job_id: str, sha: str) -> Path:
    """Where a worker's upload of that content waits for the job's finish (hidden:
    clear_partials removes what a lost worker left)."""
    return media.job_dir(job_id) / f".from-worker-{check_sha(sha)}"


async def receive(media: Media, job_id: str, sha: str, chunks: AsyncIterable[bytes]) -> bool:
    """Keep an upload under its hash; False if it was already here. The bytes must hash
    to sha, else nothing is kept (BadOptionError)."""
    target = staged(media, job_id, sha)
    if target.is_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}-{id(chunks)}")
    digest, size = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > MAX_OUTPUT_BYTES:
                    raise BadOptionError(f"a worker's file is over {MAX_OUTPUT_BYTES >> 30} GiB: render a shorter video")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha:
            raise BadOptionError(f"the upload does not match its SHA-256 ({digest.hexdigest()[:12]} is not "
                                 f"{sha[:12]}): the worker sends it again")
        os.replace(partial, target)
    except OSError as error:
        raise OutputError(f"cannot keep a worker's file in {target.parent}: {error.strerror}; free some space") from error
    finally:
        partial.unlink(missing_ok=True)
    return True


def accept(media: Media, job: Job, files: dict[str, str], result: dict[str, Any],
           parent_recipe: str | None) -> tuple[str, dict[str, Any]]:
    """Put a finished job's uploads in place, signed by the studio and in its library:
    (the recipe id, the result summary with the studio's paths)."""
    from ..library import Library, Recipe
    from ..trust import c2pa

    # 1. Check what was sent before touching anything.
    unknown = set(files) - set(OUTPUTS)
    if unknown or not {"video.mp4", "video.sayso.json"} <= set(files):
        raise BadOptionError(f"a finished job sends video.mp4 and video.sayso.json (and its captions), not "
                             f"{', '.join(sorted(files))}")
    paths = {name: staged(media, job.id, sha) for name, sha in files.items()}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        raise BadOptionError(f"{', '.join(missing)} of job {job.id} never arrived: send it, then finish")
    recipe = _recipe(paths["video.sayso.json"], job, parent_recipe)
    # 2. Sign the video as the studio: created from the photo, or edited from the parent video.
    photo = media.photo(job.spec.photo)
    source = media.video(job.spec.parent) if job.spec.parent else photo
    c2pa.sign(paths["video.mp4"], title="video.mp4", recipe=recipe.to_dict(), ingredient=source,
              ingredient_title=source.name, edited=job.spec.parent is not None, label=recipe.label)
    # 3. Into place (the video last: it is what says the job's files are there), then the library.
    finals = {"video.vtt": media.captions(job.id), "video.srt": media.captions(job.id).with_suffix(".srt"),
              "video.sayso.json": media.recipe(job.id), "video.mp4": media.video(job.id)}
    for name, final in finals.items():
        if name in paths:
            os.replace(paths[name], final)
    library = Library()
    library.keep_photo(photo, job.spec.photo.partition(".")[0])
    heard = job.spec.recording or job.spec.changes.get("audio")
    if heard and recipe.plan.get("recording"):  # so a remix of this video finds it, as `sayso make --audio` keeps it
        library.keep_recording(media.recording(heard), recipe.plan["recording"])
    library.add(recipe, finals["video.mp4"])
    summary = dict(result) | {"video": str(finals["video.mp4"]), "sidecar": str(finals["video.sayso.json"]),
                              "captions": str(finals["video.vtt"]) if "video.vtt" in paths else None,
                              "recipe": recipe.id, "parent": recipe.parent}
    return recipe.id, summary


def _recipe(path: Path, job: Job, parent_recipe: str | None):
    """The uploaded recipe, if it is this job's: its photo, its parent."""
    from ..library import Recipe

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        recipe = Recipe.from_dict({k: v for k, v in data.items() if k != "id"})
    except (OSError, ValueError) as error:
        raise BadOptionError(f"the recipe a worker sent for job {job.id} is not readable ({error})") from None
    if data.get("id") != recipe.id or recipe.photo != job.spec.photo.partition(".")[0] \
            or recipe.parent != parent_recipe:
        raise BadOptionError(f"the recipe a worker sent for job {job.id} is not this job's (photo, parent or id "
                             "differ): the worker renders it again")
    return recipe
