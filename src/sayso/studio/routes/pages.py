"""The page shell, the share page, and what the page asks first: config, health, login."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse

from ... import __version__
from ...errors import AccessError
from ...plan import ASPECTS, CAMERA_MOVES, EXPRESSIONS, SCENES, SIZES, VOICES
from ...speech.voices import VOICES as ALL_VOICES
from .. import schemas
from ..access import TOKEN_COOKIE, authorized, token_matches
from ..context import Studio, studio
from .photos import EXAMPLES

router = APIRouter()
STATIC = Path(__file__).resolve().parents[1] / "static"
PROMPTS = (
    "At night in the rain, in front of a lit street, she smiles tenderly and says 'I will always love you.' "
    "Slow push-in.",
    "He looks annoyed, rolls his eyes and says 'You are so cringe.'",
    "In the golden hour she smiles and says 'Hello! I run on your own computer.' Slow push-in.",
    "She smiles, then turns angry after saying 'really' and says 'Did you really just say that?'",
    "Elle sourit sous la neige et dit « Je t'aimerai toujours ».",
)
_NO_STORE = {"Cache-Control": "no-cache"}


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers=_NO_STORE)


@router.get("/s/{share_id}", include_in_schema=False)
def share_page(share_id: str) -> FileResponse:
    return FileResponse(STATIC / "share.html", headers=_NO_STORE)


@router.get("/api/health", tags=["studio"])
def health(request: Request, the: Studio = Depends(studio)) -> dict:
    """Is the studio up, how many render processes, how many jobs in each state; with
    Celery also (to holders of the token) the broker, its queues' lengths and each worker
    with its figures."""
    found = the.runner.health()
    jobs = found["jobs"]
    details = ("broker", "broker_state", "queue", "nodes") if authorized(request, the.settings) else ()
    extra = {key: found[key] for key in details if key in found}
    return {"ok": found.get("ok", found["workers"] > 0), "version": __version__, "runner": found["runner"],
            "workers": found["workers"], "queued": jobs.get("queued", 0), "running": jobs.get("running", 0),
            "jobs": jobs, **extra}


@router.get("/api/config", tags=["studio"])
def config(request: Request, the: Studio = Depends(studio)) -> dict:
    """What the page needs to draw its forms: choices, limits, examples."""
    limits = the.settings
    return {"token_required": bool(limits.token), "authorized": authorized(request, limits),
            "limits": {"max_upload_bytes": limits.max_upload_bytes, "max_megapixels": limits.max_megapixels,
                       "max_prompt_chars": limits.max_prompt_chars},
            "voices": list(VOICES), "voice_list": [{"name": v.name, "gender": v.gender, "languages": list(v.languages),
                                                    "about": v.about} for v in ALL_VOICES],
            "sizes": list(SIZES), "aspects": list(ASPECTS), "cameras": list(CAMERA_MOVES),
            "scenes": list(SCENES), "expressions": list(EXPRESSIONS),
            "examples": [{"name": name, "title": title, "url": f"/static/examples/{file}"}
                         for name, (title, file) in EXAMPLES.items()],
            "prompts": list(PROMPTS)}


@router.post("/api/login", status_code=204, tags=["studio"], responses={401: {"model": schemas.ErrorOut}})
def login(body: schemas.LoginRequest, the: Studio = Depends(studio)) -> Response:
    """Check the access token and keep it in an HttpOnly cookie for the page."""
    if not the.settings.token or not token_matches(body.token, the.settings):
        raise AccessError("that is not this studio's access token: check it and try again")
    response = Response(status_code=204)
    response.set_cookie(TOKEN_COOKIE, body.token, max_age=30 * 86400, httponly=True, samesite="strict", path="/")
    return response
