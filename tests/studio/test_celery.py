"""The studio on Celery workers over Redis, for real: a private redis-server, `sayso serve
--broker` and two `sayso worker` processes with data folders of their own. What a user
sees: every video made exactly once, in the library once, whatever dies on the way."""

from __future__ import annotations

import io
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import av
import httpx
import numpy as np
import pytest
from live import SAYSO, TOKEN, Live, Proxy, Redis, Worker, events, frames_of, free_port, submit, upload, \
    wait_done, wait_running, wait_workers

from sayso.library import Library

pytestmark = pytest.mark.slow


def library_entries(live: Live, recipe: str) -> int:
    return sum(1 for e in Library(live.data).entries() if e.id == recipe)


def media_files(live: Live, video_id: str) -> list[str]:
    return sorted(p.name for p in (live.data / "studio" / "media" / video_id).iterdir())


def test_twenty_jobs_at_once_on_two_workers_each_made_once(farm, photos):
    studio = farm.studio
    clients = [studio.client() for _ in range(4)]
    loads = [w.loads() for w in farm.workers]
    try:
        photo = upload(clients[0], photos)
        for c in clients[1:]:
            upload(c, photos)
        with ThreadPoolExecutor(20) as pool:
            ids = list(pool.map(lambda i: submit(clients[i % 4], photo, 1.0, seed=100 + i), range(20)))
        assert len(set(ids)) == 20
        done = [wait_done(clients[i % 4], ids[i], timeout=300) for i in range(20)]
        assert [v["state"] for v in done] == ["done"] * 20, [v["error"] for v in done]
        assert [v["attempts"] for v in done] == [1] * 20
        assert len({v["recipe"] for v in done}) == 20
        assert all(library_entries(studio, v["recipe"]) == 1 for v in done)
        for video in done:
            assert media_files(studio, video["id"]) == ["preview.jpg", "video.mp4", "video.sayso.json"]
        assert frames_of(clients[3], done[3]) == 24
        # both workers rendered, each in its own folder; the studio counts what each did
        holders = {farm.holder(i).partition("/")[0] for i in ids}
        assert holders == {"worker-1", "worker-2"}, holders
        health = clients[0].get("/api/health").json()
        figures = {n["name"]: n for n in health["nodes"]}
        assert sum(figures[w.name]["done"] for w in farm.workers) >= 20
        assert all(figures[w.name]["render_seconds"] > 0 for w in farm.workers)
        assert health["queue"] == {"render": 0, "fast": 0} and health["broker_state"] == "ok"
        assert [w.loads() for w in farm.workers] == loads  # the models were loaded once per process, not per job
        for worker in farm.workers:
            assert not any((worker.data / "worker" / "media" / i).exists() for i in ids)  # scratch is emptied
            assert not (worker.data / "studio").exists()
        shown = subprocess.run([str(SAYSO), "status", "--server", studio.url, "--token", TOKEN], capture_output=True,
                               text=True, timeout=30)
        assert shown.returncode == 0, shown.stderr
        assert "runner celery" in shown.stdout, shown.stdout
        assert int(re.search(r"^jobs: .*done (\d+)", shown.stdout, re.M).group(1)) >= 20, shown.stdout
        assert "worker-1" in shown.stdout and "worker-2" in shown.stdout and "alive" in shown.stdout
        anonymous = httpx.get(f"{studio.url}/api/health", timeout=10).json()
        assert anonymous["ok"] and "nodes" not in anonymous  # who renders where is for holders of the token
    finally:
        for c in clients:
            c.close()


def test_own_recordings_reach_the_workers_and_remixes_keep_them(farm, photos):
    speech = photos.parent / "speech"
    with farm.studio.client() as client:
        def kept(name: str) -> dict:
            with open(speech / name, "rb") as fp:
                response = client.post("/api/recordings", files={"recording": (name, fp)})
            assert response.status_code == 201, response.text
            return response.json()

        def heard(video: dict) -> float:
            with av.open(io.BytesIO(client.get(video["video_url"]).content)) as container:
                samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
            return float(np.sqrt(np.mean(samples**2)))

        first = kept("en_male_psphinx_forever_input2.wav")
        asked = client.post("/api/videos", data={"photo_id": upload(client, photos), "recording_id": first["id"],
                                                 "say": "feels like these days go on forever", "size": "480p",
                                                 "captions": "true"})
        assert asked.status_code == 202, asked.text
        made = wait_done(client, asked.json()["id"], timeout=180)
        assert made["state"] == "done", made
        assert abs(made["duration"] - (0.45 + first["seconds"] + 0.7)) < 0.1 and heard(made) > 0.01
        assert "forever" in client.get(made["captions_url"]).text
        # a remix keeps the recording (the worker fetches it again, from the studio's library) ...
        same = client.post(f"/api/videos/{made['id']}/remix", json={"expression": "angry"})
        assert same.status_code == 202, same.text
        kept_one = wait_done(client, same.json()["id"], timeout=180)
        assert kept_one["state"] == "done" and abs(kept_one["duration"] - made["duration"]) < 0.05, kept_one
        assert heard(kept_one) > 0.01
        # ... or hears another
        second = kept("en_male_cmu_arctic_awb_a0007.wav")
        other = client.post(f"/api/videos/{made['id']}/remix", json={"recording_id": second["id"]})
        assert other.status_code == 202, other.text
        remixed = wait_done(client, other.json()["id"], timeout=180)
        assert remixed["state"] == "done", remixed
        assert abs(remixed["duration"] - (0.45 + second["seconds"] + 0.7)) < 0.1
        assert all(library_entries(farm.studio, v["recipe"]) == 1 for v in (made, kept_one, remixed))


def test_a_worker_killed_mid_job_has_its_job_redelivered_and_made_once(farm, photos):
    with farm.studio.client() as client:
        video_id = submit(client, upload(client, photos), 6.0, seed=7)
        wait_running(client, video_id, percent=20)
        victim = farm.worker_of(video_id)
        victim.kill()  # SIGKILL of `sayso worker`: its render process dies with it
        video = wait_done(client, video_id, timeout=180)
        assert video["state"] == "done" and video["attempts"] == 2, video
        reasons = [data.get("reason") or "" for kind, data in events(client, video_id) if kind == "state"]
        assert any(f"its worker {victim.name}/" in r and "went silent" in r for r in reasons), reasons
        assert not farm.holder(video_id).startswith(victim.name + "/")
        assert frames_of(client, video) == 6 * 24
        assert library_entries(farm.studio, video["recipe"]) == 1
        assert media_files(farm.studio, video_id) == ["preview.jpg", "video.mp4", "video.sayso.json"]
        rescuer = farm.holder(video_id).partition("/")[0]
        figures = {n["name"]: n for n in client.get("/api/health").json()["nodes"]}
        assert figures[rescuer]["retried"] >= 1 and figures[victim.name]["alive"] is False
        farm.ensure()  # the killed worker's message, redelivered later, finds the job done: nothing happens
        assert client.get(f"/api/videos/{video_id}").json()["attempts"] == 2


def test_a_worker_stopped_with_sigterm_finishes_its_job_first(farm, photos):
    with farm.studio.client() as client:
        asked = client.post("/api/videos", data={"photo_id": upload(client, photos), "size": "480p", "seed": "8",
                                                 "prompt": "She smiles and says 'Every machine helps, even this one.'",
                                                 "captions": "true"})
        assert asked.status_code == 202, asked.text
        video_id = asked.json()["id"]
        wait_running(client, video_id, percent=15)
        worker = farm.worker_of(video_id)
        worker.stop(timeout=120)  # SIGTERM: Celery's warm shutdown
        assert worker.process.returncode == 0, worker.log()
        video = client.get(f"/api/videos/{video_id}").json()
        assert video["state"] == "done" and video["attempts"] == 1, video  # finished before it exited
        assert frames_of(client, video) == round(video["duration"] * 24)
        assert library_entries(farm.studio, video["recipe"]) == 1
        vtt, srt = (client.get(video["captions_url"].replace(".vtt", suffix)) for suffix in (".vtt", ".srt"))
        assert vtt.status_code == 200 and "Every machine helps" in vtt.text  # the captions came back too
        assert srt.status_code == 200 and srt.text.startswith("1\n") and "Every machine helps" in srt.text


@pytest.mark.parametrize("away", [0.0, 5.0])
def test_a_studio_killed_mid_job_gets_its_video_after_a_restart(farm, photos, away):
    """Back at once, the workers' renders carry on; away longer than their patience (3 s
    here), they hand their jobs back, rendered again once the studio is back."""
    with farm.studio.client() as client:
        photo = upload(client, photos)
        video_id = submit(client, photo, 6.0, seed=11 + int(away))
        waiting = submit(client, photo, 1.0, seed=21 + int(away))
        wait_running(client, video_id, percent=20)
        farm.studio.kill()  # SIGKILL: the workers go on rendering, their beats unanswered
        time.sleep(away)
        farm.studio.start()
        video = wait_done(client, video_id, timeout=180)
        assert video["state"] == "done" and video["attempts"] in (1, 2), video
        states = [data["state"] for kind, data in events(client, video_id) if kind == "state"]
        assert "cancelled" not in states and "failed" not in states, states  # a lost studio is no cancel
        assert frames_of(client, video) == 6 * 24
        assert library_entries(farm.studio, video["recipe"]) == 1
        assert wait_done(client, waiting, timeout=120)["state"] == "done"
        if away:
            assert library_entries(farm.studio, client.get(f"/api/videos/{waiting}").json()["recipe"]) == 1


def test_a_redis_restart_mid_queue_loses_no_job(farm, photos):
    with farm.studio.client() as client:
        photo = upload(client, photos)
        ids = [submit(client, photo, 2.0, seed=200 + i) for i in range(6)]
        wait_running(client, ids[0], percent=15)
        farm.redis.stop()
        ids.append(submit(client, photo, 1.0, seed=299))  # while the broker is down: kept, sent when it is back
        time.sleep(1)
        farm.redis.start()
        done = [wait_done(client, i, timeout=240) for i in ids]
        assert [v["state"] for v in done] == ["done"] * 7, [v["error"] for v in done]
        assert all(library_entries(farm.studio, v["recipe"]) == 1 for v in done)
        assert frames_of(client, done[-1]) == 24


def test_a_cancel_from_the_studio_stops_its_worker_within_a_second(farm, photos):
    with farm.studio.client() as client:
        photo = upload(client, photos)
        video_id = submit(client, photo, 30.0, seed=9)
        wait_running(client, video_id, percent=15)
        asked = time.monotonic()
        assert client.post(f"/api/jobs/{video_id}/cancel").status_code == 202
        video = wait_done(client, video_id, timeout=10, poll=0.02)
        stopped = time.monotonic() - asked
        assert video["state"] == "cancelled" and video["video_url"] is None, video
        assert stopped < 1.0, f"the worker took {stopped:.2f} s to stop"
        assert "video.mp4" not in media_files(farm.studio, video_id)
        # the worker is free again at once
        assert wait_done(client, submit(client, photo, 1.0, seed=10), timeout=60)["state"] == "done"


@contextmanager
def one_worker(tmp_path, studio_env: dict | None = None, worker_env: dict | None = None, proxy: bool = False):
    """A studio of a test's own with one worker (through a network that can be cut, if proxy)."""
    redis = Redis(tmp_path / "redis").start()
    studio = Live(tmp_path / "studio", free_port(), token=TOKEN,
                  env={"SAYSO_BROKER": redis.url} | (studio_env or {})).start()
    network = Proxy(studio.port) if proxy else None
    worker = Worker(tmp_path / "worker", redis.url, f"http://127.0.0.1:{network.port if network else studio.port}",
                    "lone", env=worker_env or {}).start()
    try:
        worker.wait_warm()
        wait_workers(studio, ["lone"])
        yield studio, worker, network
    finally:
        worker.kill()
        studio.stop()
        redis.stop()


def test_a_worker_that_cannot_reach_the_studio_fails_its_job_with_the_reason(tmp_path, photos):
    with one_worker(tmp_path, worker_env={"SAYSO_PATIENCE": "1"}, proxy=True) as (studio, worker, network):
        network.close()  # from now on the worker cannot reach the studio; the studio still reaches Redis
        with studio.client() as client:
            video_id = submit(client, upload(client, photos), 1.0)
            started = time.monotonic()
            video = wait_done(client, video_id, timeout=60)
            assert video["state"] == "failed", video
            assert video["error"]["code"] == "studio_unreachable", video
            message = video["error"]["message"]
            assert f"worker lone could not reach the studio at http://127.0.0.1:{network.port}" in message
            assert "--server" in message
            assert time.monotonic() - started < 45
            time.sleep(3)  # and it stays failed: not retried forever
            assert client.get(f"/api/videos/{video_id}").json()["state"] == "failed"
            assert client.get("/api/health").json()["queue"] == {"render": 0, "fast": 0}


def test_a_render_past_the_time_limit_is_stopped_and_failed(tmp_path, photos):
    with one_worker(tmp_path, studio_env={"SAYSO_JOB_TIMEOUT": "2"}) as (studio, worker, _):
        with studio.client() as client:
            photo = upload(client, photos)
            video_id = submit(client, photo, 30.0)
            video = wait_done(client, video_id, timeout=60)
            assert video["state"] == "failed" and video["error"]["code"] == "timeout", video
            assert "ran past the limit of 2 s" in video["error"]["message"]
            assert video["video_url"] is None
            # its worker stopped rendering it: the next job is made at once
            assert wait_done(client, submit(client, photo, 1.0), timeout=30)["state"] == "done"
            assert worker.alive()


def test_a_worker_takes_only_its_queues(tmp_path, photos):
    with one_worker(tmp_path, worker_env={"SAYSO_QUEUES": "fast"}) as (studio, worker, _):
        with studio.client() as client:
            photo = upload(client, photos)
            long_one = submit(client, photo, 6.0, size="720p")  # the render queue: no worker takes it
            short_one = submit(client, photo, 1.0)  # 480p, 1 s: the fast queue
            assert wait_done(client, short_one, timeout=60)["state"] == "done"
            time.sleep(1)
            assert client.get(f"/api/videos/{long_one}").json()["state"] == "queued"
            health = client.get("/api/health").json()
            assert health["queue"] == {"render": 1, "fast": 0}, health
            assert [n["queues"] for n in health["nodes"]] == [["fast"]]


def test_what_goes_wrong_at_start_says_what_to_do(farm, tmp_path):
    def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        import os

        return subprocess.run([str(SAYSO), *args], capture_output=True, text=True, timeout=60,
                              env=os.environ | {"SAYSO_DATA_DIR": str(tmp_path / "data")} | (env or {}))

    dead = f"redis://127.0.0.1:{free_port()}/0"
    refused = run("serve", "--port", str(free_port()), "--broker", dead, "--token", TOKEN)
    assert refused.returncode == 27 and "cannot reach the broker" in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    tokenless = run("serve", "--port", str(free_port()), "--broker", farm.redis.url)
    assert tokenless.returncode == 2 and "access token" in tokenless.stderr, tokenless.stderr
    common = ["worker", "--concurrency", "1", "--data-dir", str(tmp_path / "w")]
    wrong = run(*common, "--broker", farm.redis.url, "--server", farm.studio.url, "--token", "x" * 20)
    assert wrong.returncode == 18 and "refused this worker's token" in wrong.stderr, wrong.stderr
    no_broker = run(*common, "--broker", dead, "--server", farm.studio.url, "--token", TOKEN)
    assert no_broker.returncode == 27 and "cannot reach the broker" in no_broker.stderr, no_broker.stderr
    no_studio = run(*common, "--broker", farm.redis.url, "--server", f"http://127.0.0.1:{free_port()}",
                    "--token", TOKEN, env={"SAYSO_PATIENCE": "1"})
    assert no_studio.returncode == 28 and "cannot reach the studio" in no_studio.stderr, no_studio.stderr
    assert "--server" in no_studio.stderr
    unauthorized = httpx.post(f"{farm.studio.url}/api/work/hello", json={"name": "x"}, timeout=10)
    assert unauthorized.status_code == 401 and unauthorized.json()["error"]["code"] == "access"
