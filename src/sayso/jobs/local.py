"""LocalRunner: jobs rendered by worker processes on this machine, queued in SQLite.

The server never renders: each worker is a separate process (sayso.jobs.worker) that
takes jobs from the job store, so a crashed or killed render never takes the server
down. A supervisor thread watches the workers: one that died mid-job has its job put
back in the queue once and failed with the reason the second time, and is replaced.
A job running past the time limit has its worker killed, which is the same case.
On start, jobs a previous server left running go back to the queue: the server
stopped, not the render, so that costs the job no attempt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .media import Media
from .model import Event, Job, JobState
from .runner import check_room
from .store import JobStore

MAX_ATTEMPTS = 2  # a job whose worker died is tried once more, then failed
WATCH_EVERY = 0.25  # seconds between the supervisor's looks at the workers
STOP_GRACE = 10.0  # seconds a stopping worker has to hand its job back


@dataclass
class _Slot:
    name: str
    process: subprocess.Popen | None = None
    started: float = 0.0
    timed_out: bool = False
    deaths: list[float] = field(default_factory=list)


class LocalRunner:
    def __init__(self, store: JobStore, media: Media, *, workers: int, max_queued: int, job_timeout: float,
                 log: Path | None = None) -> None:
        self.store, self.media = store, media
        self.max_queued = max_queued
        self.job_timeout = job_timeout
        self.log = log
        self.slots = [_Slot(f"local-{i + 1}") for i in range(workers)]
        self._stop = threading.Event()
        self._lock = threading.Lock()  # submissions: the queue-length check and the insert together
        self._thread: threading.Thread | None = None

    # --------------------------------------------------------------- Runner

    def start(self) -> None:
        for job in self.store.running():
            self.media.clear_partials(job.id)
            self.store.requeue(job.id, "the server restarted; it will be rendered again", count_attempt=False)
        for slot in self.slots:
            self._spawn(slot)
        self._thread = threading.Thread(target=self._watch, name="sayso-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for slot in self.slots:
            if slot.process is not None and slot.process.poll() is None:
                slot.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for slot in self.slots:
            if slot.process is None:
                continue
            try:
                slot.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                slot.process.kill()
                slot.process.wait()
        for job in self.store.running():  # what a killed worker could not hand back
            self.media.clear_partials(job.id)
            self.store.requeue(job.id, "the server stopped; it will be rendered again", count_attempt=False)

    def submit(self, job: Job) -> tuple[Job, bool]:
        with self._lock:
            check_room(self.store, job, self.max_queued, len(self.slots))
            return self.store.add(job)

    def get(self, job_id: str) -> Job | None:
        return self.store.get(job_id)

    def events(self, job_id: str, after: int = 0) -> list[Event]:
        return self.store.events(job_id, after)

    def cancel(self, job_id: str) -> Job:
        return self.store.cancel(job_id)

    def health(self) -> dict:
        alive = sum(1 for s in self.slots if s.process is not None and s.process.poll() is None)
        return {"runner": "local", "workers": alive, "jobs": self.store.counts()}

    # ------------------------------------------------------------ supervisor

    def _spawn(self, slot: _Slot) -> None:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        try:
            slot.process = subprocess.Popen(
                [sys.executable, "-m", "sayso.jobs.worker", "--store", str(self.store.path), "--name", slot.name],
                stdout=out, stderr=out, stdin=subprocess.DEVNULL, env=os.environ.copy())
        finally:
            if self.log:
                out.close()
        slot.started = time.monotonic()

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_EVERY):
            for slot in self.slots:
                self._check(slot)

    def _check(self, slot: _Slot) -> None:
        code = slot.process.poll() if slot.process is not None else 0
        if code is None:
            self._enforce_time_limit(slot)
            return
        if self._stop.is_set():
            return
        why = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        if slot.timed_out:
            why, slot.timed_out = f"it ran past the limit of {self.job_timeout:g} s", False
        for job in self.store.running(slot.name):
            self._after_death(job, why)
        slot.deaths = [t for t in slot.deaths if time.monotonic() - t < 60] + [time.monotonic()]
        if len(slot.deaths) < 5:  # a worker that cannot even start is not restarted in a loop
            self._spawn(slot)

    def _after_death(self, job: Job, why: str) -> None:
        self.media.clear_partials(job.id)
        if job.attempts >= MAX_ATTEMPTS:
            self.store.finish(job.id, JobState.FAILED, error_code="worker_lost",
                              error_message=f"the render process stopped twice ({why}): try again, or a shorter "
                                            "or smaller video")
        else:
            self.store.requeue(job.id, f"the render process stopped ({why}); trying once more")

    def _enforce_time_limit(self, slot: _Slot) -> None:
        for job in self.store.running(slot.name):
            if job.started is not None and time.time() - job.started > self.job_timeout:
                slot.timed_out = True
                slot.process.kill()  # the next look sees the death and retries or fails the job
