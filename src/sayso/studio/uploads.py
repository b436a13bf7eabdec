"""Receiving files: copied into a hidden partial file inside the studio's folder, counted
against the size limit as they arrive, judged by their content (never their name), and
either put in place whole or removed. A refused upload leaves nothing behind."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import BadImageError, OutputError, UnsupportedFileError, UploadTooLargeError
from ..jobs.media import PHOTO_SUFFIXES, RECORDING_SUFFIXES, Media
from ..library import file_hash
from ..library.cache import keep_face
from .settings import Settings

CHUNK = 1 << 20


def shown_name(filename: str | None) -> str:
    """An upload's own name, as messages show it: no folders, no control characters."""
    name = Path(filename or "upload").name
    return "".join(c for c in name if c.isprintable())[:80] or "upload"


@contextmanager
def received(source: BinaryIO, folder: Path, limit: int, what: str) -> Iterator[Path]:
    """The upload as a file in folder, removed on leaving unless moved away. what names
    it in messages ("photo portrait.jpg")."""
    partial = folder / f".upload-{secrets.token_hex(8)}"
    try:
        _copy(source, partial, limit, what)
        yield partial
    finally:
        partial.unlink(missing_ok=True)


def _copy(source: BinaryIO, partial: Path, limit: int, what: str) -> None:
    size = 0
    try:
        partial.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLargeError(f"{what} is over the limit of {limit / 2**20:g} MB: "
                                              "send a smaller file")
                out.write(chunk)
    except OSError as error:
        raise OutputError(f"cannot store the upload ({error.strerror}): free some space on the studio's disk") from error
    if size == 0:
        raise (BadImageError if what.startswith("photo") else UnsupportedFileError)(
            f"{what} is empty (0 bytes): choose another file")


@dataclass(frozen=True)
class Photo:
    sha: str
    name: str  # <sha256>.<ext>, as kept
    width: int
    height: int
    faces: tuple  # FaceBox, numbered left to right
    usable: tuple[bool, ...]  # for each face: can it be animated
    chosen: int  # 0-based


def accept_photo(source: BinaryIO, filename: str, settings: Settings, media: Media) -> Photo:
    """Check, analyse and keep an uploaded photo. Refusals: UploadTooLargeError (bytes),
    ImageTooLargeError (pixels, from the header before decoding), BadImageError (not an
    image, judged by content; corrupt), NoFaceError, FaceTooSmallError."""
    from .. import face, photo

    shown = shown_name(filename)
    with received(source, media.incoming, settings.max_upload_bytes, f"photo {shown}") as partial:
        width, height, kind = photo.probe(partial, name=shown, max_pixels=settings.max_pixels)
        image = photo.load_photo(partial, name=shown)
        rig = face.analyze(image)
        usable = face.can_animate(image, rig.faces) if len(rig.faces) > 1 else (True,)
        sha = file_hash(partial)
        name = f"{sha}{PHOTO_SUFFIXES[kind]}"
        kept = media.photo(name)
        kept.parent.mkdir(parents=True, exist_ok=True)
        if not kept.exists():
            os.replace(partial, kept)
    keep_face(sha, None, rig)  # the render finds the analysis done
    return Photo(sha, name, width, height, rig.faces, usable, rig.chosen)


@dataclass(frozen=True)
class Recording:
    sha: str
    name: str  # <sha256>.<ext>, as kept
    seconds: float


def accept_recording(source: BinaryIO, filename: str, settings: Settings, media: Media) -> Recording:
    """Check and keep an uploaded recording of a person speaking. Refusals:
    UploadTooLargeError, BadAudioError (not sound, judged by content), AudioTooLongError,
    NoSpeechError (silence or noise only)."""
    import av

    from ..speech import recording

    shown = shown_name(filename)
    with received(source, media.incoming, settings.max_upload_bytes, f"recording {shown}") as partial:
        samples = recording.load(partial, name=shown)
        with av.open(str(partial)) as container:
            suffix = RECORDING_SUFFIXES.get(container.format.name, RECORDING_SUFFIXES["other"])
        sha = file_hash(partial)
        kept = media.recording(f"{sha}{suffix}")
        kept.parent.mkdir(parents=True, exist_ok=True)
        if not kept.exists():
            os.replace(partial, kept)
    return Recording(sha, kept.name, samples.size / recording.RATE)


# ISO base media (MP4, MOV, M4V, 3GP): 'ftyp' at 4; Matroska/WebM; AVI
def is_video(path: Path) -> bool:
    with open(path, "rb") as fp:
        head = fp.read(12)
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3" or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")


@contextmanager
def received_video(source: BinaryIO, filename: str, settings: Settings, media: Media) -> Iterator[Path]:
    shown = shown_name(filename)
    with received(source, media.incoming, settings.max_upload_bytes, f"video {shown}") as partial:
        if not is_video(partial):
            raise UnsupportedFileError(f"{shown} is not a video (judged by its content): "
                                       "choose an MP4, MOV or WebM file")
        yield partial
