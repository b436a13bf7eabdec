"""CeleryRunner: the studio's jobs rendered by `sayso worker` processes on any machine,
sent to them through Celery over Redis. The studio's job store stays the record: a job
is written there before its message is sent, and only the store says who renders it.

- submit: the job goes in the store, then its id to the broker (the queue a clip's size
  picks). A broker that does not answer leaves the job queued; it is sent when it is back.
- a worker claims the job over HTTP (only a queued job can be taken: a second delivery of
  the same message finds it running or finished and does nothing), then beats every
  fraction of a second while it renders, carrying its progress; the answer carries the
  cancel flag, so a cancel reaches the render's next frame within a beat.
- a watchdog thread: a running job whose worker has been silent for `lease` seconds goes
  back to the queue (its message again) once, and fails with the reason the second time;
  a job past the time limit fails and its worker is told to stop; a job that a worker
  could not even claim (it could not reach the studio) fails with that worker's reason,
  read from Celery's result backend; queued jobs Redis lost are sent again.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import BrokerError, ConflictError, NotFoundError
from . import celery as tasks
from .media import Media
from .model import Event, Job, JobState
from .runner import check_room
from .store import JobStore

MAX_ATTEMPTS = 2  # a job whose worker was lost is tried once more, then failed
WATCH_EVERY = 0.25  # seconds between the watchdog's looks
BEAT_EVERY = 0.2  # seconds between a rendering worker's beats (what the studio asks of workers)
NODE_BEAT_EVERY = 2.0  # seconds between a worker process's hellos
RESULTS_EVERY = 1.0  # seconds between looks at the result backend for failures no worker could report


@dataclass
class Node:
    """A `sayso worker` process as the studio knows it from its hellos."""

    name: str
    host: str = ""
    pid: int = 0
    concurrency: int = 0
    queues: tuple[str, ...] = ()
    version: str = ""
    seen: float = field(default_factory=time.monotonic)


class CeleryRunner:
    def __init__(self, store: JobStore, media: Media, *, broker: str, max_queued: int, job_timeout: float,
                 lease: float) -> None:
        self.store, self.media = store, media
        self.broker, self.max_queued, self.job_timeout, self.lease = broker, max_queued, job_timeout, lease
        self.app = tasks.build(broker, job_timeout)
        self.nodes: dict[str, Node] = {}
        self._beats: dict[str, float] = {}  # job id -> monotonic time of its worker's last word
        self._sent: dict[str, float] = {}  # queued job id -> when its message was last sent
        self._unsent: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._results_at = 0.0

    # --------------------------------------------------------------- Runner

    def start(self) -> None:
        tasks.ping(self.broker)
        for job in self._queued():  # sent again: a message Redis still holds makes a duplicate, harmlessly
            self._send(job)
        now = time.monotonic()
        for job in self.store.running():  # their workers may still be at it: a lease to prove it
            self._beats[job.id] = now
        self._thread = threading.Thread(target=self._watch, name="sayso-celery-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """The workers are not the studio's to stop: they go on and report when it is back."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def submit(self, job: Job) -> tuple[Job, bool]:
        with self._lock:
            check_room(self.store, job, self.max_queued, self._capacity())
            job, new = self.store.add(job)
        if new:
            self._send(job)
        return job, new

    def get(self, job_id: str) -> Job | None:
        return self.store.get(job_id)

    def events(self, job_id: str, after: int = 0) -> list[Event]:
        return self.store.events(job_id, after)

    def cancel(self, job_id: str) -> Job:
        job = self.store.cancel(job_id)
        if job is not None and job.state == JobState.CANCELLED:
            self._revoke(job_id)
        return job

    def health(self) -> dict:
        alive = [n for n in self.nodes.values() if time.monotonic() - n.seen < self.lease]
        metrics = self._metrics()
        try:
            queue = self.queue_lengths()
            broker = "ok"
        except BrokerError as error:
            queue, broker = {}, str(error)
        nodes = [{"name": n.name, "host": n.host, "pid": n.pid, "concurrency": n.concurrency, "queues": list(n.queues),
                  "version": n.version, "seen_seconds_ago": round(time.monotonic() - n.seen, 1),
                  "alive": n in alive, **metrics.pop(n.name, _no_metrics())} for n in self.nodes.values()]
        return {"runner": "celery", "ok": broker == "ok", "workers": sum(n.concurrency for n in alive),
                "jobs": self.store.counts(), "broker": tasks.safe_url(self.broker), "broker_state": broker,
                "queue": queue, "nodes": nodes}

    # ------------------------------------------------------ what workers ask

    def hello(self, node: Node) -> dict[str, Any]:
        self.nodes[node.name] = node
        return {"job_timeout": self.job_timeout, "lease": self.lease, "beat": BEAT_EVERY,
                "node_beat": NODE_BEAT_EVERY}

    def claim(self, job_id: str, worker: str) -> Job:
        """The job for worker, now running; ConflictError when it is not queued (finished,
        cancelled, or another worker has it: a duplicate delivery)."""
        job = self.store.take(job_id, worker)
        if job is None:
            current = self.store.get(job_id)
            if current is None:
                raise NotFoundError(f"no job {job_id}: it was deleted")
            raise ConflictError(f"job {job_id} is {current.state}"
                                + (f" on {current.worker}" if current.state == JobState.RUNNING else "")
                                + ": nothing to do")
        self._beats[job_id] = time.monotonic()
        self._sent.pop(job_id, None)
        self._node_seen(worker)
        return job

    def beat(self, job_id: str, worker: str, progress: tuple[str, int, int] | None) -> bool:
        """A rendering worker's word; True when it should stop (cancelled, failed, or no
        longer its job)."""
        job = self.store.get(job_id)
        if job is None or job.state != JobState.RUNNING or job.worker != worker:
            return True
        self._beats[job_id] = time.monotonic()
        self._node_seen(worker)
        if progress is not None:
            self.store.progress(job_id, *progress)
        return job.cancel_requested

    def holder(self, job_id: str, worker: str) -> Job:
        """The running job, if worker holds it; else ConflictError."""
        job = self.store.get(job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id}: it was deleted")
        if job.state != JobState.RUNNING or job.worker != worker:
            raise ConflictError(f"job {job_id} is no longer this worker's ({job.state}"
                                + (f" on {job.worker}" if job.worker and job.worker != worker else "") + ")")
        return job

    def hand_back(self, job: Job, why: str) -> None:
        """A worker gives its running job back (it lost the studio a while): queued again
        and sent, at no cost of an attempt."""
        self.media.clear_partials(job.id)
        if self.store.requeue(job.id, f"{why}; it will be rendered again", count_attempt=False):
            self._send(self.store.get(job.id))

    def closed(self, job_id: str) -> None:
        """A worker's job is finished (the store has its outcome)."""
        self._beats.pop(job_id, None)

    # --------------------------------------------------------------- watchdog

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_EVERY):
            try:
                self._look()
            except Exception as error:  # noqa: BLE001 - the watchdog must outlive a bad moment (a locked store)
                print(f"sayso: the job watchdog stumbled ({type(error).__name__}: {error})", flush=True)

    def _look(self) -> None:
        now = time.monotonic()
        for job in self.store.running():
            silent = now - self._beats.setdefault(job.id, now)
            if job.started is not None and time.time() - job.started > self.job_timeout:
                self.store.finish(job.id, JobState.FAILED, error_code="timeout",
                                  error_message=f"the render ran past the limit of {self.job_timeout:g} s: "
                                                "make a shorter or smaller video")  # its worker's next beat stops it
                self.closed(job.id)
            elif silent > self.lease:
                self._lost(job, f"its worker {job.worker} went silent for {silent:.0f} s")
        queued = self._queued()
        for job in queued:
            if job.id in self._unsent:
                self._send(job)
        if now - self._results_at >= RESULTS_EVERY and queued:
            self._results_at = now
            self._failed_claims(queued)
            self._resend_lost(queued, now)

    def _lost(self, job: Job, why: str) -> None:
        self.media.clear_partials(job.id)
        self.closed(job.id)
        if job.attempts >= MAX_ATTEMPTS:
            self.store.finish(job.id, JobState.FAILED, error_code="worker_lost",
                              error_message=f"the render was lost twice ({why}): try again, or a shorter or "
                                            "smaller video")
        elif self.store.requeue(job.id, f"the render was lost ({why}); trying once more"):
            self._send(self.store.get(job.id))

    def _failed_claims(self, queued: list[Job]) -> None:
        """Queued jobs whose task failed before any claim: the worker could not reach us."""
        for job in queued:
            result = self.app.AsyncResult(job.id)
            try:
                state = result.state
            except Exception:  # noqa: BLE001 - the backend is the broker: down now, looked at again later
                return
            if state == "FAILURE":
                self.store.finish(job.id, JobState.FAILED, queued=True, error_code="studio_unreachable",
                                  error_message=str(result.result))
                result.forget()

    def _resend_lost(self, queued: list[Job], now: float) -> None:
        """Queued jobs whose message is in no queue (Redis lost it) are sent again."""
        try:
            waiting = sum(self.queue_lengths().values())
        except BrokerError:
            return
        if waiting == 0:
            for job in queued:
                if now - self._sent.get(job.id, 0.0) > self.lease:
                    self._send(job)

    # ---------------------------------------------------------------- broker

    def _send(self, job: Job) -> None:
        try:
            self.app.AsyncResult(job.id).forget()  # an earlier try's failure is not this one's
            self.app.send_task(tasks.TASK, args=(job.id,), task_id=job.id, queue=tasks.queue_for(job.spec.plan),
                               retry=True, retry_policy={"max_retries": 1, "interval_start": 0,
                                                         "interval_step": 0.2, "interval_max": 0.2})
        except Exception:  # noqa: BLE001 - kombu raises many kinds; the job stays queued and is sent later
            self._unsent.add(job.id)
        else:
            self._unsent.discard(job.id)
            self._sent[job.id] = time.monotonic()

    def _revoke(self, job_id: str) -> None:
        try:
            self.app.control.revoke(job_id)
        except Exception:  # noqa: BLE001 - a courtesy: the claim refuses a cancelled job anyway
            pass

    def queue_lengths(self) -> dict[str, int]:
        import redis

        try:
            with redis.Redis.from_url(self.broker, socket_connect_timeout=2, socket_timeout=2) as client:
                return {name: int(client.llen(name)) for name in tasks.QUEUES}
        except (redis.RedisError, OSError) as error:
            raise BrokerError(f"cannot reach the broker at {tasks.safe_url(self.broker)} ({error})") from None

    # ---------------------------------------------------------------- helpers

    def _queued(self) -> list[Job]:
        return self.store.queued()

    def _node_seen(self, worker: str) -> None:
        node = self.nodes.get(worker.partition("/")[0])
        if node is not None:
            node.seen = time.monotonic()

    def _capacity(self) -> int:
        return sum(n.concurrency for n in self.nodes.values() if time.monotonic() - n.seen < self.lease)

    def _metrics(self) -> dict[str, dict[str, float]]:
        """The store's per-process figures summed per worker node."""
        out: dict[str, dict[str, float]] = {}
        for worker, figures in self.store.by_worker().items():
            node = out.setdefault(worker.partition("/")[0], _no_metrics())
            for key, value in figures.items():
                node[key] = round(node[key] + value, 2)
        return out


def _no_metrics() -> dict[str, float]:
    return {"done": 0, "failed": 0, "retried": 0, "render_seconds": 0.0}
