"""Photos: upload one (or pick a bundled example) and see its faces."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from ...errors import BadOptionError, NotFoundError
from ...jobs.media import check_sha
from .. import schemas
from ..access import client_of
from ..context import Studio, studio
from ..errors import about

router = APIRouter(tags=["photos"])
STATIC = Path(__file__).resolve().parents[1] / "static"
EXAMPLES = {"astronaut": ("Eileen Collins, NASA astronaut (public domain)", "astronaut.png"),
            "grace_hopper": ("Grace Hopper (public domain)", "grace_hopper.jpg")}


@router.post("/api/photos", status_code=201, response_model=schemas.PhotoOut,
             responses={413: {"model": schemas.ErrorOut}, 415: {"model": schemas.ErrorOut},
                        422: {"model": schemas.ErrorOut}})
def upload(request: Request, photo: UploadFile | None = File(None, description="the portrait"),
           example: str | None = Form(None, description="or the name of a bundled example"),
           the: Studio = Depends(studio)) -> schemas.PhotoOut:
    """Keep a photo (each once, by content) and find its faces, numbered left to right."""
    if photo is not None and photo.filename:
        kept = the.keep_photo(request, photo.file, photo.filename)
    elif example:
        if example not in EXAMPLES:
            raise about(BadOptionError(f"no example {example[:40]!r}: choose one of {', '.join(EXAMPLES)}"), "photo")
        with open(STATIC / "examples" / EXAMPLES[example][1], "rb") as source:
            kept = the.keep_photo(request, source, EXAMPLES[example][1])
    else:
        raise about(BadOptionError("no photo was sent: choose a photo"), "photo")
    faces = [schemas.Face(number=i + 1, x=f.x, y=f.y, width=f.width, height=f.height, score=round(f.score, 3),
                          usable=ok) for i, (f, ok) in enumerate(zip(kept.faces, kept.usable))]
    return schemas.PhotoOut(id=kept.sha, url=f"/api/photos/{kept.sha}", width=kept.width, height=kept.height,
                            faces=faces, chosen=kept.chosen + 1)


@router.get("/api/photos/{sha}", response_class=FileResponse, responses={404: {"model": schemas.ErrorOut}})
def photo(request: Request, sha: str, the: Studio = Depends(studio)) -> FileResponse:
    """A photo this client uploaded."""
    found = the.store.photo(client_of(request), check_sha(sha))
    if found is None:
        raise NotFoundError(f"no photo {sha[:12]}: upload it again")
    return FileResponse(the.media.photo(found.name), headers={"Cache-Control": "private, max-age=86400"})
