"""Where the studio keeps files, all under one folder (DATA_DIR/studio):

    jobs.sqlite                 the job store
    photos/<sha256>.<ext>       every uploaded photo once, by content
    recordings/<sha256>.<ext>   every uploaded recording once, by content
    media/<job id>/video.mp4    a job's outputs: video.mp4, video.vtt, video.sayso.json,
                                preview.jpg
    incoming/                   uploads being received (hidden partial files)

Every path is built from a checked id (hex digits only), never from a user's file name,
so no request can reach outside this folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotFoundError

_JOB_ID = re.compile(r"[0-9a-f]{32}")
_SHA = re.compile(r"[0-9a-f]{64}")
PHOTO_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "AVIF": ".avif", "GIF": ".gif", "BMP": ".bmp",
                  "TIFF": ".tif", "PPM": ".ppm"}

# FFmpeg's demuxer names -> the suffix a kept recording gets
RECORDING_SUFFIXES = {"wav": ".wav", "mp3": ".mp3", "mov,mp4,m4a,3gp,3g2,mj2": ".m4a", "ogg": ".ogg", "flac": ".flac",
                      "matroska,webm": ".webm", "aiff": ".aiff", "other": ".snd"}


def check_job_id(job_id: str) -> str:
    if not _JOB_ID.fullmatch(job_id or ""):
        raise NotFoundError(f"no video {job_id[:40]!r}: check the link")
    return job_id


def check_sha(sha: str) -> str:
    if not _SHA.fullmatch(sha or ""):
        raise NotFoundError(f"no photo {sha[:70]!r}: upload the photo again")
    return sha


@dataclass(frozen=True)
class Media:
    root: Path

    @property
    def jobs_db(self) -> Path:
        return self.root / "jobs.sqlite"

    @property
    def incoming(self) -> Path:
        return self.root / "incoming"

    def photo(self, name: str) -> Path:
        """A kept photo by its name, <sha256><suffix>."""
        sha, dot, suffix = name.partition(".")
        if not dot or f".{suffix}" not in PHOTO_SUFFIXES.values():
            raise NotFoundError(f"no photo {name[:70]!r}: upload the photo again")
        return self.root / "photos" / f"{check_sha(sha)}.{suffix}"

    def recording(self, name: str) -> Path:
        """A kept recording by its name, <sha256><suffix>."""
        sha, dot, suffix = name.partition(".")
        if not dot or f".{suffix}" not in RECORDING_SUFFIXES.values():
            raise NotFoundError(f"no recording {name[:70]!r}: upload the recording again")
        return self.root / "recordings" / f"{check_sha(sha)}.{suffix}"

    def job_dir(self, job_id: str) -> Path:
        return self.root / "media" / check_job_id(job_id)

    def video(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "video.mp4"

    def captions(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "video.vtt"

    def recipe(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "video.sayso.json"

    def preview(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "preview.jpg"

    def voice_sample(self, voice: str, language: str) -> Path:
        """A voice's sample line, made once (names come from the voice table, never a user)."""
        return self.root / "voices" / f"{voice}-{language}.wav"

    def clear_partials(self, job_id: str) -> None:
        """Remove the hidden partial files a killed render left (a whole file is never hidden)."""
        folder = self.job_dir(job_id)
        if folder.is_dir():
            for partial in folder.glob(".*"):
                partial.unlink(missing_ok=True)
