"""The Celery runner's settings and routing, as a user meets them: one line that says
what to fix, before anything starts."""

from __future__ import annotations

import pytest

from sayso.errors import BadOptionError
from sayso.jobs.celery import queue_for, safe_url, visibility_timeout
from sayso.studio.settings import Settings, WorkerSettings, load

TOKEN = "a-studio-token-for-workers-42"


def test_a_worker_needs_a_redis_broker_an_http_studio_and_a_token():
    ok = load(WorkerSettings, broker="redis://q:6379/0", server="http://studio:8000/", token=TOKEN, queues="fast")
    assert ok.server == "http://studio:8000" and ok.queue_names == ("fast",)
    with pytest.raises(BadOptionError, match=r"^--broker: is missing: give it \(or set SAYSO_BROKER\)"):
        load(WorkerSettings, server="http://studio:8000", token=TOKEN)
    with pytest.raises(BadOptionError, match="must be a Redis address"):
        load(WorkerSettings, broker="amqp://q", server="http://studio:8000", token=TOKEN)
    with pytest.raises(BadOptionError, match="must start with http:// or https://"):
        load(WorkerSettings, broker="redis://q", server="studio:8000", token=TOKEN)
    with pytest.raises(BadOptionError, match="not a list of queue names"):
        load(WorkerSettings, broker="redis://q", server="http://s", token=TOKEN, queues="fast;rm -rf")


def test_a_studio_with_a_broker_needs_its_token():
    assert load(Settings, broker="redis://q:6379/0", token=TOKEN).broker == "redis://q:6379/0"
    with pytest.raises(BadOptionError, match="workers sign in to the studio with its access token"):
        load(Settings, broker="redis://q:6379/0")


def test_short_small_clips_go_to_the_fast_queue():
    assert queue_for({"size": "480p", "duration": 3.0}) == "fast"
    assert queue_for({"size": "480p", "duration": 6.0}) == "render"
    assert queue_for({"size": "720p", "duration": 2.0}) == "render"
    assert queue_for({"size": "480p", "duration": None}) == "render"  # as long as its line: unknown
    assert queue_for(None) == "render"  # a remix


def test_the_visibility_timeout_outlasts_the_longest_job_and_passwords_stay_hidden():
    assert visibility_timeout(600) > 600 and visibility_timeout(1.5) > 60
    assert safe_url("redis://:s3cret@q:6379/0") == "redis://:***@q:6379/0"
    assert safe_url("redis://q:6379/0") == "redis://q:6379/0"
