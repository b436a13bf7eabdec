"""`sayso worker`: a Celery worker that renders a studio's jobs on this machine, sharing
no disk with the studio. Each process loads the models once (worker_process_init), then
for every job: claim it from the studio, fetch its inputs (the photo; a remix's parent
video) checked by SHA-256, render it with the same run() as the studio's own workers,
beat while rendering (progress out, cancel in), send the files back by SHA-256, finish.

    sayso worker --broker redis://queue-host:6379/0 --server http://studio-host:8000 --token T

A studio that does not answer is tried for `patience` seconds, then the job fails with
that reason (Celery's result backend carries it to the studio, the one channel left).
SIGTERM is Celery's warm shutdown: the jobs running are finished, no new one is taken."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import (AccessError, BadOptionError, Cancelled, ConflictError, InputNotFoundError, NotFoundError,
                      SaysoError, StudioUnreachableError, error_code)
from . import celery as tasks
from .media import Media
from .model import Job, JobSpec, JobState
from .receive import OUTPUTS

CLAIM_RETRIES = 2  # a job this worker could not claim goes back to the queue this often, maybe to another worker


class StudioClient:
    """The studio's worker routes, with its token; every call is tried again while the
    studio does not answer, for patience seconds, then StudioUnreachableError."""

    def __init__(self, server: str, token: str, patience: float) -> None:
        import httpx

        self.server, self.patience = server, patience
        self.http = httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"} if token else {},
                                 timeout=httpx.Timeout(60, connect=3))

    def call(self, method: str, path: str, *, patience: float | None = None, **options):
        import httpx

        deadline = time.monotonic() + (self.patience if patience is None else patience)
        delay = 0.2
        while True:
            try:
                response = self.http.request(method, path, **options)
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                if response.status_code < 500:
                    return _checked(response)
                problem = f"HTTP {response.status_code}: {_message(response)}"
            if time.monotonic() + delay > deadline:
                raise StudioUnreachableError(f"cannot reach the studio at {self.server} ({problem}): "
                                             "check --server (SAYSO_SERVER) and that the studio is up")
            time.sleep(delay)
            delay = min(2 * delay, 2.0)

    def json(self, method: str, path: str, **options) -> Any:
        return self.call(method, path, **options).json()


def _message(response) -> str:
    try:
        return response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def _checked(response):
    if response.status_code < 400:
        return response
    kind = {401: AccessError, 404: NotFoundError, 409: ConflictError}.get(response.status_code, BadOptionError)
    raise kind(_message(response))


# ----------------------------------------------------------------- one job


@dataclass
class RemoteJob:
    client: StudioClient
    worker: str  # NODE/PID
    media: Media
    job: Job
    parent_recipe: str | None = None
    recording: str | None = None  # the recording the job hears, <sha256>.<ext>
    beat_every: float = 0.2
    stop: bool = False
    studio_lost: bool = False  # the render stopped because the studio stopped answering, not for a cancel
    progress: tuple[str, int, int] | None = None

    def run(self) -> str:
        try:
            return self._render_and_send()
        finally:
            shutil.rmtree(self.media.job_dir(self.job.id), ignore_errors=True)

    def _render_and_send(self) -> str:
        try:
            self._fetch_inputs()
            result = self._render()
        except Cancelled:
            if self.studio_lost:  # not the user's cancel: the job goes back to the queue, if the studio is back
                return self._finish("queued", error_message=f"its worker {self.worker} lost the studio for "
                                                             f"{self.client.patience:g} s")
            return self._finish("cancelled")
        except (ConflictError, NotFoundError):
            return "no longer this worker's"
        except StudioUnreachableError:
            raise  # nobody to tell but Celery
        except SaysoError as error:
            return self._finish("failed", error_code=error_code(error), error_message=str(error))
        except Exception as error:  # a bug, not the user's input: keep the worker, report the job
            traceback.print_exc(file=sys.stderr)
            return self._finish("failed", error_code="internal",
                                error_message=f"the render failed unexpectedly ({type(error).__name__}: {error}); "
                                              "try again, and report it if it happens again")
        outcome = self._finish("done", files=self._send_outputs(), result=result.summary())
        _forget(result)
        return outcome

    def _render(self):
        from .work import run

        beating = threading.Thread(target=self._beat, name="sayso-beat", daemon=True)
        beating.start()
        try:
            return run(self.job, self.media, self._hooks())
        finally:
            self.stop = True
            beating.join(timeout=5)

    def _path(self, path: str) -> str:
        return f"/api/work/jobs/{self.job.id}/{path}"

    def _fetch_inputs(self) -> None:
        try:
            self._fetch_each()
        except NotFoundError as error:  # the studio lost an input: the job cannot be made, say why
            raise InputNotFoundError(str(error)) from None

    def _fetch_each(self) -> None:
        """The photo and the recording (their names are their hashes, so one fetched once
        serves every job of it) and a remix's parent video, each checked against its SHA-256."""
        from ..library import Library

        photo = self._cached("photo", self.media.photo(self.job.spec.photo))
        if self.recording:
            heard = self._cached("recording", self.media.recording(self.recording))
            Library().keep_recording(heard, self.recording.partition(".")[0])  # where remix() looks for it
        if self.job.spec.parent:
            self._fetch("parent", self.media.video(self.job.spec.parent), None)
            Library().keep_photo(photo, photo.name.partition(".")[0])  # where remix() looks for the parent's photo

    def _cached(self, which: str, local: Path) -> Path:
        """An input named by its hash: the copy here if it is whole, else fetched."""
        sha = local.name.partition(".")[0]
        if not (local.is_file() and _sha(local) == sha):
            self._fetch(which, local, sha)
        return local

    def _fetch(self, which: str, target: Path, sha: str | None) -> None:
        response = self.client.call("GET", self._path(f"inputs/{which}"), params={"worker": self.worker})
        expected = sha or response.headers.get("x-sha256", "")
        if hashlib.sha256(response.content).hexdigest() != expected:
            raise StudioUnreachableError(f"the {which} of job {self.job.id} arrived damaged (its SHA-256 differs): "
                                         "check the network between this worker and the studio")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
        partial.write_bytes(response.content)
        os.replace(partial, target)

    def _hooks(self):
        from .work import Hooks, save_preview

        def on_progress(stage: str, done: int, total: int) -> None:
            self.progress = (stage, done, total)

        def should_stop() -> bool:  # every frame: a flag the beat sets, nothing slower
            return self.stop

        def on_frame(i: int, frame) -> None:
            if i == 0:
                save_preview(self.media, self.job.id, frame)
                try:
                    self.client.call("PUT", self._path("preview.jpg"), params={"worker": self.worker},
                                     content=self.media.preview(self.job.id).read_bytes(), patience=2)
                except SaysoError:
                    pass  # a preview is a nicety; the beat finds out if the studio is gone

        return Hooks(on_progress, should_stop, on_frame)

    def _beat(self) -> None:
        """Every beat: the latest progress out, whether to stop in. A studio silent for
        patience seconds stops the render too: its result could not be delivered."""
        sent, heard = None, time.monotonic()
        while not self.stop:
            body: dict[str, Any] = {"worker": self.worker}
            if self.progress is not None and self.progress != sent:
                sent = self.progress
                body |= dict(zip(("stage", "done", "total"), sent))
            try:
                answer = self.client.json("POST", self._path("beat"), json=body, patience=0, timeout=5)
                heard = time.monotonic()
                if answer.get("stop"):
                    self.stop = True
            except (StudioUnreachableError, ConflictError, NotFoundError, BadOptionError):
                if time.monotonic() - heard > self.client.patience:
                    self.studio_lost = self.stop = True
            time.sleep(self.beat_every)

    def _send_outputs(self) -> dict[str, str]:
        files = {}
        folder = self.media.job_dir(self.job.id)
        for name in OUTPUTS:
            path = folder / name
            if path.is_file():
                files[name] = _sha(path)
                self.client.call("PUT", self._path(f"files/{files[name]}"), params={"worker": self.worker},
                                 content=path.read_bytes())
        return files

    def _finish(self, state: str, **outcome) -> str:
        try:
            self.client.call("POST", self._path("finish"), json={"worker": self.worker, "state": state, **outcome})
        except (ConflictError, NotFoundError):
            return "no longer this worker's"
        return state


def _forget(result) -> None:
    """The worker's library keeps nothing: the video is the studio's now."""
    from ..library import Library

    if result.recipe is not None:
        Library().remove(result.recipe.id)


def _sha(path: Path) -> str:
    from ..library import file_hash

    return file_hash(path)


# ----------------------------------------------------------------- the process


@dataclass
class _Process:
    """What each worker process holds (set before the pool forks, completed in each child)."""

    settings: Any = None
    node: str = ""
    answer: dict | None = None
    client: StudioClient | None = None
    media: Media | None = None


_here = _Process()


def render(task, job_id: str) -> str:
    """The Celery task: one job, by id."""
    name = f"{_here.node}/{os.getpid()}"
    try:
        claimed = _here.client.json("POST", f"/api/work/jobs/{job_id}/claim", json={"worker": name})
    except (ConflictError, NotFoundError):
        return "nothing to do"  # a duplicate delivery, a cancelled or deleted job
    except StudioUnreachableError as error:
        if task.request.retries < CLAIM_RETRIES:
            raise task.retry(exc=error, countdown=1) from None
        raise StudioUnreachableError(f"worker {_here.node} could not reach the studio at {_here.client.server} "
                                     f"for this job: check that worker's --server and the network") from None
    spec = JobSpec.from_dict(claimed["spec"])
    job = Job(id=claimed["id"], owner="", spec=spec, prompt=claimed["prompt"], state=JobState.RUNNING,
              created=time.time(), attempts=claimed["attempts"])
    return RemoteJob(_here.client, name, _here.media, job, claimed.get("parent_recipe"), claimed.get("recording"),
                     beat_every=float((_here.answer or {}).get("beat", 0.2))).run()


def _process_init(**_) -> None:
    """In each pool process, once: die with the worker, a client of its own, the models."""
    from .work import warm_up
    from .worker import _die_with_parent

    _die_with_parent()
    s = _here.settings
    _here.client = StudioClient(s.server, s.token, s.patience)
    _here.media = Media(s.root)
    started = time.perf_counter()
    warm_up()
    print(f"sayso worker {_here.node}: process {os.getpid()} loaded its models in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def _hello(node: dict) -> dict:
    return _here.client.json("POST", "/api/work/hello", json=node)


def _keep_saying_hello(node: dict, every: float) -> None:
    while True:
        time.sleep(every)
        try:
            _hello(node)
        except SaysoError:
            pass  # the studio is down or busy: its jobs' leases say the rest


def work(**options) -> int:
    """`sayso worker`: check the broker and the studio, then serve until SIGTERM."""
    from celery import signals

    from ..studio.settings import WorkerSettings, load

    s = load(WorkerSettings, **options)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per beat
    tasks.ping(s.broker)
    s.root.mkdir(parents=True, exist_ok=True)
    os.environ["SAYSO_DATA_DIR"] = str(s.root.parent)  # the pipeline's library, cache and scratch identity
    _here.settings, _here.node = s, s.name or f"{socket.gethostname()}-{os.getpid()}"
    _here.client = StudioClient(s.server, s.token, s.patience)
    node = {"name": _here.node, "host": socket.gethostname(), "pid": os.getpid(), "concurrency": s.concurrency,
            "queues": list(s.queue_names), "version": __version__}
    _here.answer = _hello(node)  # AccessError (bad token) or StudioUnreachableError, before anything starts
    from ..trust.identity import identity

    identity()  # made once here, not raced by the pool's processes
    app = tasks.build(s.broker, float(_here.answer["job_timeout"]))
    app.conf.worker_proc_alive_timeout = 120  # loading the models takes a few seconds on a busy machine
    app.task(name=tasks.TASK, bind=True)(render)
    signals.worker_process_init.connect(_process_init, weak=False)
    signals.worker_ready.connect(lambda **_: threading.Thread(
        target=_keep_saying_hello, args=(node, float(_here.answer.get("node_beat", 2.0))), daemon=True).start(),
        weak=False)
    print(f"sayso worker {_here.node}: {s.concurrency} process(es) on {', '.join(s.queue_names)} from "
          f"{tasks.safe_url(s.broker)} for {s.server}; data in {s.root}", file=sys.stderr, flush=True)
    worker = app.Worker(hostname=f"{_here.node}@{socket.gethostname()}", concurrency=s.concurrency,
                        queues=list(s.queue_names), pool_cls="prefork", loglevel="INFO", optimization="fair",
                        without_gossip=True, without_mingle=True)
    worker.start()
    return worker.exitcode or 0


# ----------------------------------------------------------------- sayso status


def status(server: str | None, token: str | None = None, as_json: bool = False) -> int:
    """`sayso status`: the studio's runner, workers, queue and jobs, from /api/health."""
    server = (server or os.environ.get("SAYSO_SERVER") or "http://127.0.0.1:8000").rstrip("/")
    client = StudioClient(server, token or os.environ.get("SAYSO_TOKEN", ""), patience=3)
    health = client.json("GET", "/api/health")
    if as_json:
        print(json.dumps(health, indent=2))
        return 0
    jobs = health["jobs"]
    print(f"studio {server}: {'ok' if health['ok'] else 'NOT OK'}, sayso {health['version']}, "
          f"runner {health['runner']}, {health['workers']} render process(es)")
    if "broker" in health:
        queue = ", ".join(f"{name} {n}" for name, n in health.get("queue", {}).items()) or "unknown"
        print(f"broker {health['broker']}: {health['broker_state']}; waiting in the queues: {queue}")
    print("jobs: " + ", ".join(f"{state} {jobs.get(state, 0)}" for state in
                               ("queued", "running", "done", "failed", "cancelled")))
    for n in health.get("nodes", []):
        print(f"  {n['name']:<28} {'alive' if n['alive'] else 'silent ' + str(n['seen_seconds_ago']) + ' s':<12} "
              f"{n['concurrency']} x {','.join(n['queues'])}  done {n['done']}, failed {n['failed']}, "
              f"retried {n['retried']}, {n['render_seconds']:.1f} s rendering")
    return 0 if health["ok"] else 1
