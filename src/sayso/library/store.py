"""The local library: what the user has made, in SQLite, with the source photos kept
content-addressed beside it (photos/<sha256><ext>), so a remix finds its photo even
after the original file has moved."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputError
from ..settings import data_dir
from .recipe import Recipe

_SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY,          -- the recipe id (SHA-256 hex)
    created REAL NOT NULL,        -- seconds since the epoch
    video TEXT NOT NULL,          -- where the video was written
    photo TEXT NOT NULL,          -- SHA-256 of the source photo
    parent TEXT,                  -- the recipe id it was remixed from
    recipe TEXT NOT NULL          -- the recipe as JSON
);
CREATE INDEX IF NOT EXISTS videos_created ON videos (created);
"""


@dataclass(frozen=True)
class Entry:
    """One video in the library."""

    id: str
    created: float
    video: Path
    recipe: Recipe


class Library:
    """The library in folder (default: the data folder). Cheap to open; one connection
    per call, so threads and processes may share it."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else data_dir()
        self.path = self.folder / "library.sqlite"
        self.photos = self.folder / "photos"
        self.recordings = self.folder / "recordings"

    def _connect(self) -> sqlite3.Connection:
        try:
            self.photos.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10)
            db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise OutputError(f"cannot open the library {self.path}: {error}; set SAYSO_DATA_DIR to a folder "
                              "you can write") from error
        return db

    def keep_photo(self, source: str | Path, sha: str) -> Path:
        """Copy the photo in under its hash (once); its path in the library."""
        return self._keep(self.photos, source, sha, "photo")

    def photo_path(self, sha: str, suffix: str | None = None) -> Path:
        """The kept photo with that hash (suffix None: whichever was kept, if any)."""
        return self._kept(self.photos, sha, suffix)

    def keep_recording(self, source: str | Path, sha: str) -> Path:
        """Copy a person's own recording in under its hash (once), so a remix finds it."""
        return self._keep(self.recordings, source, sha, "recording")

    def recording_path(self, sha: str) -> Path:
        return self._kept(self.recordings, sha, None)

    def _keep(self, folder: Path, source: str | Path, sha: str, what: str) -> Path:
        kept = self._kept(folder, sha, Path(source).suffix.lower())
        if not kept.exists():
            tmp = kept.with_name(f".{kept.name}.{os.getpid()}")
            try:
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, tmp)
                os.replace(tmp, kept)
            except OSError as error:
                tmp.unlink(missing_ok=True)
                raise OutputError(f"cannot keep the {what} in the library ({error.strerror}): free some space") from error
        return kept

    @staticmethod
    def _kept(folder: Path, sha: str, suffix: str | None) -> Path:
        if suffix is not None:
            return folder / f"{sha}{suffix}"
        found = sorted(folder.glob(f"{sha}.*")) if folder.is_dir() else []
        return found[0] if found else folder / sha

    def add(self, recipe: Recipe, video: Path) -> Entry:
        entry = Entry(recipe.id, time.time(), Path(video).resolve(), recipe)
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO videos VALUES (?, ?, ?, ?, ?, ?)",
                       (entry.id, entry.created, str(entry.video), recipe.photo, recipe.parent, recipe.canonical()))
        return entry

    def remove(self, recipe_id: str) -> None:
        """Forget one video (its files are the caller's to delete)."""
        with self._connect() as db:
            db.execute("DELETE FROM videos WHERE id = ?", (recipe_id,))

    def _entries(self, where: str, args: tuple, limit: int | None = None) -> list[Entry]:
        sql = f"SELECT id, created, video, recipe FROM videos {where} ORDER BY created DESC, id"
        with self._connect() as db:
            rows = db.execute(sql + (f" LIMIT {int(limit)}" if limit else ""), args).fetchall()
        return [Entry(i, c, Path(v), Recipe.from_dict(json.loads(r))) for i, c, v, r in rows]

    def get(self, recipe_id: str) -> Entry | None:
        found = self._entries("WHERE id = ?", (recipe_id,))
        return found[0] if found else None

    def by_payload(self, payload: bytes) -> Entry | None:
        """The entry whose id starts with a watermark's payload."""
        found = self._entries("WHERE id LIKE ?", (payload.hex() + "%",), 1)
        return found[0] if found else None

    def entries(self, limit: int | None = None) -> list[Entry]:
        """Newest first."""
        return self._entries("", (), limit)

    def lineage(self, recipe_id: str) -> list[Entry]:
        """The entry and its parents, child first, as far as the library knows them."""
        out, seen, at = [], set(), recipe_id
        while at and at not in seen:
            seen.add(at)
            entry = self.get(at)
            if entry is None:
                break
            out.append(entry)
            at = entry.recipe.parent
        return out
