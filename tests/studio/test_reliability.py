"""The studio under load and under failure, for real: concurrent clients, the server
killed with SIGKILL mid-job, render processes killed mid-job, a restart with a queue."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from live import events, frames_of, submit, upload, wait_done, wait_running

from sayso.library import Library

pytestmark = pytest.mark.slow


def test_twenty_concurrent_submissions_all_finish_once_each(studio, photos):
    clients = [studio.client() for _ in range(20)]
    try:
        photos_of = [upload(c, photos) for c in clients[:1]] * 20  # one photo, kept once
        for c in clients[1:]:
            upload(c, photos)

        def one(i: int) -> str:
            return submit(clients[i], photos_of[i], 1.0, seed=i)

        with ThreadPoolExecutor(20) as pool:
            ids = list(pool.map(one, range(20)))
        assert len(set(ids)) == 20
        done = [wait_done(clients[i], ids[i], timeout=300) for i in range(20)]
        assert [v["state"] for v in done] == ["done"] * 20, [v["error"] for v in done]
        assert len({v["recipe"] for v in done}) == 20
        library = Library(studio.data)
        assert all(library.get(v["recipe"]) is not None for v in done)
        for i, video in enumerate(done):
            listed = clients[i].get("/api/videos").json()["videos"]
            assert [v["id"] for v in listed] == [video["id"]]  # each client sees its own, once
            media = studio.data / "studio" / "media" / video["id"]
            assert sorted(p.name for p in media.iterdir()) == ["preview.jpg", "video.mp4", "video.sayso.json"]
        assert frames_of(clients[7], done[7]) == 24
    finally:
        for c in clients:
            c.close()


def test_a_server_killed_mid_job_resumes_it_after_a_restart(server, photos):
    server.start()
    client = server.client()
    video_id = submit(client, upload(client, photos), 8.0)
    waiting = submit(client, upload(client, photos), 1.0, seed=1)
    wait_running(client, video_id, percent=20)
    server.kill()  # SIGKILL: no shutdown code runs; its render process dies with it
    with pytest.raises(Exception):
        client.get("/api/health")
    server.start()
    video = wait_done(client, video_id, timeout=120)
    assert video["state"] == "done", video["error"]
    assert frames_of(client, video) == 8 * 24
    assert wait_done(client, waiting)["state"] == "done"  # the queued one too
    assert len(list(Library(server.data).entries())) == 2
    client.close()


def test_a_killed_render_process_is_retried_and_completes(server, photos):
    server.start()
    with server.client() as client:
        video_id = submit(client, upload(client, photos), 6.0)
        wait_running(client, video_id, percent=20)
        (worker,) = server.workers_pids()
        os.kill(worker, signal.SIGKILL)
        video = wait_done(client, video_id, timeout=120)
        assert video["state"] == "done" and video["attempts"] == 2, video
        reasons = [data.get("reason") or "" for kind, data in events(client, video_id) if kind == "state"]
        assert any("killed by signal 9" in r for r in reasons), reasons
        assert frames_of(client, video) == 6 * 24
        assert server.client().get("/api/health").json()["workers"] == 1  # replaced
        assert server.process.poll() is None  # the server never noticed beyond that


def test_a_render_that_dies_twice_fails_with_its_reason(server, photos):
    server.start()
    with server.client() as client:
        video_id = submit(client, upload(client, photos), 6.0)
        for attempt in (1, 2):
            video = wait_running(client, video_id, percent=20, attempt=attempt)
            assert video["attempts"] == attempt
            (worker,) = server.workers_pids()
            os.kill(worker, signal.SIGKILL)
        video = wait_done(client, video_id, timeout=60)
        assert video["state"] == "failed" and video["error"]["code"] == "worker_lost", video
        assert "stopped twice" in video["error"]["message"]
        assert video["video_url"] is None
        assert not list((server.data / "studio" / "media" / video_id).glob("*.mp4"))
        # and the studio goes on working
        assert wait_done(client, submit(client, upload(client, photos), 1.0))["state"] == "done"


def test_queued_jobs_survive_a_server_restart(server, photos):
    server.start()
    with server.client() as client:
        photo = upload(client, photos)
        ids = [submit(client, photo, 3.0, seed=i) for i in range(3)]
        wait_running(client, ids[0], percent=20)
        server.stop()  # SIGTERM: the running job is handed back, the queue stays
        server.start()
        started = time.monotonic()
        done = [wait_done(client, i, timeout=120) for i in ids]
        assert [v["state"] for v in done] == ["done"] * 3, [v["error"] for v in done]
        assert done[0]["attempts"] == 1  # a server stop costs the job no attempt
        assert time.monotonic() - started < 100


def test_a_render_past_the_time_limit_is_stopped_and_failed(server, photos):
    server.env = {"SAYSO_JOB_TIMEOUT": "1.5"}
    server.start()
    with server.client() as client:
        video_id = submit(client, upload(client, photos), 30.0)
        video = wait_done(client, video_id, timeout=60)
        assert video["state"] == "failed" and video["attempts"] == 2, video
        assert "ran past the limit of 1.5 s" in video["error"]["message"]
        assert server.process.poll() is None
