"""A local worker process: loads the models once, then takes queued jobs from the job
store one at a time and renders them, until told to stop or its server is gone.

    python -m sayso.jobs.worker --store DATA/studio/jobs.sqlite --name local-1

The server starts these (LocalRunner) and watches them: a worker that dies mid-job has
its job retried once by the server. A worker exits on SIGTERM after handing its job
back to the queue, and exits by itself when its server process is gone."""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import time
import traceback

from ..errors import Cancelled, SaysoError, error_code
from .media import Media
from .model import Job, JobState
from .store import JobStore
from .work import Hooks, run, save_preview, warm_up

IDLE_POLL = 0.05  # seconds between looks at the queue when idle
CANCEL_POLL = 0.1  # seconds between looks at a running job's cancel flag
PROGRESS_EVERY = 0.2  # seconds between progress events within a stage


class Worker:
    def __init__(self, store: JobStore, media: Media, name: str) -> None:
        self.store, self.media, self.name = store, media, name
        self.parent = os.getppid()
        self.stopping = False

    def alive(self) -> bool:
        return not self.stopping and os.getppid() == self.parent

    def serve(self) -> None:
        while self.alive():
            job = self.store.claim(self.name)
            if job is None:
                time.sleep(IDLE_POLL)
                continue
            self.run(job)

    def run(self, job: Job) -> None:
        try:
            result = run(job, self.media, self._hooks(job))
        except Cancelled:
            if self.alive():
                self.store.finish(job.id, JobState.CANCELLED, worker=self.name)
            else:  # the worker is stopping, not the job: someone else will render it
                self.store.requeue(job.id, "its worker was stopped; it will be rendered again", count_attempt=False)
        except SaysoError as error:
            self.store.finish(job.id, JobState.FAILED, worker=self.name, error_code=error_code(error),
                              error_message=str(error))
        except Exception as error:  # a bug, not the user's input: keep the worker, report the job
            traceback.print_exc(file=sys.stderr)
            self.store.finish(job.id, JobState.FAILED, worker=self.name, error_code="internal",
                              error_message=f"the render failed unexpectedly ({type(error).__name__}: {error}); "
                                            "try again, and report it if it happens again")
        else:
            self.store.finish(job.id, JobState.DONE, worker=self.name, recipe=result.recipe.id,
                              result=result.summary())

    def _hooks(self, job: Job) -> Hooks:
        last = {"stage": None, "at": 0.0, "cancel_at": 0.0, "cancel": False}

        def on_progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if stage != last["stage"] or done >= total or now - last["at"] >= PROGRESS_EVERY:
                self.store.progress(job.id, stage, done, total)
                last["stage"], last["at"] = stage, now

        def should_stop() -> bool:
            now = time.monotonic()
            if now - last["cancel_at"] >= CANCEL_POLL:
                last["cancel"] = self.store.cancel_requested(job.id)
                last["cancel_at"] = now
            return last["cancel"] or not self.alive()

        def on_frame(i: int, frame) -> None:
            if i == 0:
                save_preview(self.media, job.id, frame)
                self.store.note(job.id, "preview", {"url": f"/api/videos/{job.id}/preview.jpg"})

        return Hooks(on_progress, should_stop, on_frame)


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the server that started it dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the parent check in Worker.alive() does it, a poll later


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sayso-worker")
    parser.add_argument("--store", required=True, help="the job store (jobs.sqlite)")
    parser.add_argument("--name", required=True, help="this worker's name in the job store")
    args = parser.parse_args(argv)
    _die_with_parent()
    store = JobStore(args.store)
    worker = Worker(store, Media(store.path.parent), args.name)

    def stop(signum, frame) -> None:
        worker.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    warm_up()
    print(f"worker {args.name} ready (pid {os.getpid()})", file=sys.stderr, flush=True)
    worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
