"""JobStore: the studio's jobs and their events in SQLite (jobs.sqlite beside the library).

A job is a row with a state machine, queued -> running -> done | failed | cancelled,
written before it is acted on, so a restarted server knows where every job stood.
Every change of a row appends an event; the page's progress stream reads events in
order by their sequence number. One connection per call, WAL journal: the server's
threads and the worker processes share the file safely."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConflictError, OutputError
from .model import Event, Job, JobSpec, JobState, percent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,              -- 32 hex digits: random, or derived from an Idempotency-Key
    owner TEXT NOT NULL,              -- the client that asked for it
    request TEXT NOT NULL,            -- SHA-256 of the request, to refuse a reused key
    spec TEXT NOT NULL,               -- JobSpec as JSON
    prompt TEXT NOT NULL,
    parent TEXT,                      -- the job a remix comes from
    state TEXT NOT NULL,
    stage TEXT NOT NULL DEFAULT 'queued',
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    percent REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    worker TEXT,                      -- who runs it now
    cancel INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    recipe TEXT,
    result TEXT,
    share TEXT UNIQUE                 -- the share id while shared
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, created);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, created);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_job ON events (job, seq);
CREATE TABLE IF NOT EXISTS photos (
    owner TEXT NOT NULL,
    sha TEXT NOT NULL,
    suffix TEXT NOT NULL,
    usable TEXT NOT NULL,             -- JSON: for each face, left to right, can it be animated
    chosen INTEGER NOT NULL,          -- the face animated by default, from 1
    created REAL NOT NULL,
    PRIMARY KEY (owner, sha)
);
CREATE TABLE IF NOT EXISTS recordings (
    owner TEXT NOT NULL,
    sha TEXT NOT NULL,
    suffix TEXT NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (owner, sha)
);
"""

@dataclass(frozen=True)
class KeptPhoto:
    name: str  # <sha256>.<ext>
    usable: tuple[bool, ...]  # for each face, left to right: can it be animated
    chosen: int  # the face animated by default, from 1


_COLUMNS = ("id, owner, request, spec, prompt, state, stage, done, total, percent, attempts, created, started, "
            "finished, worker, cancel, error_code, error_message, recipe, result, share")


class JobStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._db() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise OutputError(f"cannot open the job store {self.path}: {error}; "
                              "set SAYSO_DATA_DIR to a folder you can write") from error

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock at once (no upgrade deadlocks)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ reading

    def get(self, job_id: str) -> Job | None:
        found = self._select("WHERE id = ?", (job_id,))
        return found[0] if found else None

    def by_share(self, share: str) -> Job | None:
        found = self._select("WHERE share = ?", (share,))
        return found[0] if found else None

    def list(self, owner: str, limit: int = 100) -> list[Job]:
        return self._select("WHERE owner = ? ORDER BY created DESC, id LIMIT ?", (owner, int(limit)))

    def children(self, job_id: str) -> list[str]:
        with self._db() as db:
            return [r[0] for r in db.execute("SELECT id FROM jobs WHERE parent = ? ORDER BY created", (job_id,))]

    def counts(self) -> dict[str, int]:
        with self._db() as db:
            rows = db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        return {state.value: 0 for state in JobState} | dict(rows)

    def pending(self) -> int:
        """Jobs queued or running: the queue's length."""
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()[0]

    def queued(self) -> list[Job]:
        """Jobs waiting, oldest first."""
        return self._select("WHERE state = 'queued' ORDER BY created, id", ())

    def running(self, worker: str | None = None) -> list[Job]:
        if worker is None:
            return self._select("WHERE state = 'running'", ())
        return self._select("WHERE state = 'running' AND worker = ?", (worker,))

    def events(self, job_id: str, after: int = 0) -> list[Event]:
        with self._db() as db:
            rows = db.execute("SELECT seq, job, kind, data, at FROM events WHERE job = ? AND seq > ? ORDER BY seq",
                              (job_id, int(after))).fetchall()
        return [Event(seq, job, kind, json.loads(data), at) for seq, job, kind, data, at in rows]

    def cancel_requested(self, job_id: str) -> bool:
        with self._db() as db:
            row = db.execute("SELECT cancel, state FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row is None or bool(row[0]) or row[1] != JobState.RUNNING

    def _select(self, where: str, args: tuple) -> list[Job]:
        with self._db() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM jobs {where}", args).fetchall()
        return [_job(row) for row in rows]

    # ------------------------------------------------------------------ writing

    def add(self, job: Job) -> tuple[Job, bool]:
        """Insert a queued job; (the job, True), or (the existing one, False) when a job
        with its id exists: the same request sent again. A different request under the
        same id (a reused Idempotency-Key) is a ConflictError."""
        with self._write() as db:
            row = db.execute("SELECT request FROM jobs WHERE id = ?", (job.id,)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO jobs (id, owner, request, spec, prompt, parent, state, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (job.id, job.owner, job.request, json.dumps(job.spec.to_dict()), job.prompt, job.spec.parent,
                     JobState.QUEUED.value, job.created))
                self._event(db, job.id, "state", {"state": "queued"})
        if row is not None and row[0] != job.request:
            raise ConflictError("this Idempotency-Key was already used for a different request: use a new key")
        return self.get(job.id), row is None

    def claim(self, worker: str) -> Job | None:
        """Take the oldest queued job for worker, or None."""
        with self._write() as db:
            row = db.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY created, id LIMIT 1").fetchone()
            if row is None:
                return None
            db.execute("UPDATE jobs SET state = 'running', worker = ?, started = ?, attempts = attempts + 1 "
                       "WHERE id = ?", (worker, time.time(), row[0]))
            self._event(db, row[0], "state", {"state": "running"})
        return self.get(row[0])

    def take(self, job_id: str, worker: str) -> Job | None:
        """Take this queued job for worker (a remote worker's claim), or None if it is not queued."""
        with self._write() as db:
            taken = db.execute("UPDATE jobs SET state = 'running', worker = ?, started = ?, attempts = attempts + 1, "
                               "cancel = 0 WHERE id = ? AND state = 'queued'", (worker, time.time(), job_id)).rowcount
            if taken:
                self._event(db, job_id, "state", {"state": "running"})
        return self.get(job_id) if taken else None

    def by_worker(self) -> dict[str, dict[str, float]]:
        """For each worker that ran jobs: done, failed, retried (jobs it took after another
        try was lost) and the seconds its finished jobs took."""
        with self._db() as db:
            rows = db.execute("SELECT worker, SUM(state = 'done'), SUM(state = 'failed'), SUM(attempts > 1), "
                              "SUM(CASE WHEN state = 'done' THEN finished - started ELSE 0 END) FROM jobs "
                              "WHERE worker IS NOT NULL GROUP BY worker").fetchall()
        return {w: {"done": d or 0, "failed": f or 0, "retried": r or 0, "render_seconds": round(s or 0.0, 2)}
                for w, d, f, r, s in rows}

    def progress(self, job_id: str, stage: str, done: int, total: int) -> float:
        share = percent(stage, done, total)
        with self._write() as db:
            db.execute("UPDATE jobs SET stage = ?, done = ?, total = ?, percent = ? WHERE id = ? AND state = 'running'",
                       (stage, done, total, share, job_id))
            self._event(db, job_id, "progress", {"stage": stage, "done": done, "total": total, "percent": share})
        return share

    def note(self, job_id: str, kind: str, data: dict[str, Any]) -> None:
        with self._write() as db:
            self._event(db, job_id, kind, data)

    def finish(self, job_id: str, state: JobState, *, worker: str | None = None, error_code: str | None = None,
               error_message: str | None = None, recipe: str | None = None,
               result: dict[str, Any] | None = None, queued: bool = False) -> bool:
        """Close a job once; False if it was no longer running (for worker, if given).
        queued=True closes a job still waiting too (a failure no worker could report)."""
        states = "('running', 'queued')" if queued else "('running')"
        with self._write() as db:
            sql = ("UPDATE jobs SET state = ?, finished = ?, error_code = ?, error_message = ?, recipe = ?, "
                   "result = ?, percent = CASE WHEN ? = 'done' THEN 100 ELSE percent END "
                   f"WHERE id = ? AND state IN {states}")
            args: tuple = (state.value, time.time(), error_code, error_message, recipe,
                           json.dumps(result) if result is not None else None, state.value, job_id)
            if worker is not None:
                sql, args = sql + " AND worker = ?", args + (worker,)
            changed = db.execute(sql, args).rowcount == 1
            if changed:
                self._event(db, job_id, "state", {"state": state.value, "error_code": error_code,
                                                  "error_message": error_message})
        return changed

    def requeue(self, job_id: str, reason: str, *, count_attempt: bool = True) -> bool:
        """Put a running job back in the queue (its worker died or handed it back).
        count_attempt=False gives back the attempt: the job did nothing wrong."""
        with self._write() as db:
            changed = db.execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, stage = 'queued', done = 0, total = 0, percent = 0, "
                f"attempts = attempts - {0 if count_attempt else 1} WHERE id = ? AND state = 'running'",
                (job_id,)).rowcount == 1
            if changed:
                self._event(db, job_id, "state", {"state": "queued", "reason": reason})
        return changed

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job now, or ask a running one's worker to stop."""
        with self._write() as db:
            row = db.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is not None and row[0] == JobState.QUEUED:
                db.execute("UPDATE jobs SET state = 'cancelled', finished = ? WHERE id = ?", (time.time(), job_id))
                self._event(db, job_id, "state", {"state": "cancelled"})
            elif row is not None and row[0] == JobState.RUNNING:
                db.execute("UPDATE jobs SET cancel = 1 WHERE id = ?", (job_id,))
        return self.get(job_id)

    def set_share(self, job_id: str, share: str | None) -> None:
        with self._write() as db:
            db.execute("UPDATE jobs SET share = ? WHERE id = ?", (share, job_id))

    def delete(self, job_id: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM events WHERE job = ?", (job_id,))
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def keep_photo(self, owner: str, sha: str, suffix: str, usable: tuple[bool, ...], chosen: int) -> None:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO photos VALUES (?, ?, ?, ?, ?, ?)",
                       (owner, sha, suffix, json.dumps(list(usable)), chosen, time.time()))

    def photo(self, owner: str, sha: str) -> KeptPhoto | None:
        """A photo owner uploaded, else None."""
        with self._db() as db:
            row = db.execute("SELECT suffix, usable, chosen FROM photos WHERE owner = ? AND sha = ?",
                             (owner, sha)).fetchone()
        return KeptPhoto(f"{sha}.{row[0]}", tuple(json.loads(row[1])), row[2]) if row else None

    def keep_recording(self, owner: str, sha: str, suffix: str, seconds: float) -> None:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO recordings VALUES (?, ?, ?, ?, ?)",
                       (owner, sha, suffix, seconds, time.time()))

    def recording(self, owner: str, sha: str) -> str | None:
        """The name (<sha256>.<ext>) of a recording owner uploaded, else None."""
        with self._db() as db:
            row = db.execute("SELECT suffix FROM recordings WHERE owner = ? AND sha = ?", (owner, sha)).fetchone()
        return f"{sha}.{row[0]}" if row else None

    @staticmethod
    def _event(db: sqlite3.Connection, job_id: str, kind: str, data: dict[str, Any]) -> None:
        db.execute("INSERT INTO events (job, at, kind, data) VALUES (?, ?, ?, ?)",
                   (job_id, time.time(), kind, json.dumps(data)))


def _job(row: tuple) -> Job:
    (id_, owner, request, spec, prompt, state, stage, done, total, share_percent, attempts, created, started,
     finished, worker, cancel, error_code, error_message, recipe, result, share) = row
    return Job(id=id_, owner=owner, spec=JobSpec.from_dict(json.loads(spec)), prompt=prompt, state=JobState(state),
               created=created, stage=stage, done=done, total=total, percent=share_percent, attempts=attempts,
               started=started, finished=finished, worker=worker, cancel_requested=bool(cancel),
               error_code=error_code, error_message=error_message, recipe=recipe,
               result=json.loads(result) if result else None, share=share, request=request)
