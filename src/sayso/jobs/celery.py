"""The Celery app both sides share: the studio sends `sayso.render(job_id)` to a queue,
`sayso worker` runs it. Only the job id travels through Redis; the job itself (its
spec, its state, its events) lives in the studio's job store and reaches the worker
over HTTP, so the broker never holds anything a user would miss.

Delivery is at least once: a task is acknowledged after it ran (acks_late) and put back
when the process running it dies (reject_on_worker_lost); the studio's claim makes a
second delivery of a job harmless (only a queued job can be taken). Redis hands a
message that was taken but never acknowledged to another worker after the visibility
timeout, which must be longer than the longest job or a slow render would be started
twice; the studio notices a silent worker much sooner by its missing heartbeats."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BrokerError

if TYPE_CHECKING:
    from celery import Celery

TASK = "sayso.render"
QUEUES = ("render", "fast")  # fast: short, small clips (a user waiting at the page)
FAST_SECONDS = 4.0  # a 480p clip this long or shorter goes to the fast queue


def visibility_timeout(job_timeout: float) -> int:
    """Seconds Redis waits for an acknowledgement: twice the longest job, and a minute."""
    return int(2 * job_timeout + 60)


def build(broker: str, job_timeout: float) -> "Celery":
    from celery import Celery

    app = Celery("sayso", broker=broker, backend=broker, set_as_current=False)
    transport = {"visibility_timeout": visibility_timeout(job_timeout), "socket_connect_timeout": 3,
                 "socket_timeout": 10, "retry_on_timeout": True}
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue="render", task_serializer="json", result_serializer="json", accept_content=["json"],
        broker_transport_options=transport, result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True, broker_connection_max_retries=None,
        task_ignore_result=True, task_store_errors_even_if_ignored=True, result_expires=86400, task_time_limit=int(job_timeout + 60), worker_hijack_root_logger=False,
        worker_send_task_events=False, task_send_sent_event=False, broker_heartbeat=0,
    )
    return app


def queue_for(plan: dict | None) -> str:
    """The queue a job goes to: short 480p clips to fast, the rest to render."""
    plan = plan or {}
    duration = plan.get("duration")
    short = duration is not None and duration <= FAST_SECONDS
    return "fast" if plan.get("size") == "480p" and short else "render"


def ping(broker: str) -> None:
    """Raise BrokerError unless a Redis answers at broker."""
    import redis

    try:
        redis.Redis.from_url(broker, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.RedisError, OSError, ValueError) as error:
        raise BrokerError(f"cannot reach the broker at {safe_url(broker)} ({error}): start redis-server there "
                          "or fix --broker (SAYSO_BROKER)") from None


def safe_url(url: str) -> str:
    """The URL without its password, for messages and the health page."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
