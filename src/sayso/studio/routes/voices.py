"""Voices: who can speak a line, in which languages, and a sample of each to hear."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from ...errors import BadOptionError, NotFoundError
from ...speech import sample, wav_bytes
from ...speech.voices import BY_NAME, GENDERS, LANGUAGES, VOICES, resolve
from .. import schemas
from ..context import Studio, studio
from ..errors import about

router = APIRouter(tags=["voices"])
_speaking = threading.Lock()  # one sample synthesised at a time: the voices share one model


@router.get("/api/voices", response_model=list[schemas.VoiceOut])
def voices() -> list[schemas.VoiceOut]:
    """Every voice: give its name as `voice` (or male/female for that gender's voice in
    the line's language)."""
    return [schemas.VoiceOut(name=v.name, gender=v.gender, languages=list(v.languages), about=v.about,
                             real_time=round(1 / v.rtf),
                             samples={k: f"/api/voices/{v.name}/sample.wav?language={k}" for k in v.languages})
            for v in VOICES]


@router.get("/api/voices/{name}/sample.wav", response_class=FileResponse,
            responses={200: {"content": {"audio/wav": {}}}, 404: {"model": schemas.ErrorOut},
                       422: {"model": schemas.ErrorOut}})
def voice_sample(name: str, language: str = Query("en", description="en, de or fr"),
                 the: Studio = Depends(studio)) -> FileResponse:
    """The voice (a name, or male/female) saying its sample line in the language; made
    once, then kept in the data folder."""
    if name not in BY_NAME and name not in GENDERS:
        raise NotFoundError(f"no voice {name[:40]!r}: see /api/voices")
    if language not in LANGUAGES:
        raise NotFoundError(f"no language {language[:10]!r}: use {', '.join(LANGUAGES)}")
    try:
        voice = resolve(name, language)
    except BadOptionError as error:  # a voice that does not speak the language: 422, one sentence
        raise about(error, "voice") from None
    target = the.media.voice_sample(voice.name, language)
    if not target.is_file():
        from ...pipeline import write_bytes_atomically

        with _speaking:
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                write_bytes_atomically(target, wav_bytes(sample(voice.name, language)))
    return FileResponse(target, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})
