"""Time the studio's two runners against each other: the embedded one (render processes
of `sayso serve`) and Celery workers over Redis (`sayso serve --broker`, `sayso worker`
processes with data folders of their own, everything over HTTP). Prints figures; never
passes or fails on time.

    .venv/bin/python benchmarks/celery.py [--clips 12] [--duration 3] [--size 480p] [--runs 5]

- throughput: --clips clips submitted at once, clips per minute from the first submit to
  the last video done; embedded with 1 and 2 render processes, Celery with 1 and 2 workers
  (one process each);
- overhead per job: one clip at a time (--runs of them), seconds from submit to done, and
  the part of it that is not rendering (submit to start, and the job's end to done seen);
- cancel: seconds from the cancel request to the job cancelled (Celery, a long clip).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "studio"))

from live import TOKEN, Live, Redis, Worker, free_port, submit, upload, wait_done, wait_running, \
    wait_workers  # noqa: E402

PHOTO = HERE.parent / "examples" / "astronaut.png"


class Embedded:
    def __init__(self, folder: Path, processes: int) -> None:
        self.studio = Live(folder / "studio", free_port(), workers=processes).start()
        self.name = f"embedded, {processes} render process{'es' if processes > 1 else ''}"

    def stop(self) -> None:
        self.studio.stop()


class Distributed:
    def __init__(self, folder: Path, workers: int) -> None:
        self.redis = Redis(folder / "redis").start()
        self.studio = Live(folder / "studio", free_port(), token=TOKEN, env={"SAYSO_BROKER": self.redis.url}).start()
        self.workers = [Worker(folder / f"worker-{i}", self.redis.url, self.studio.url, f"bench-{i}").start()
                        for i in range(workers)]
        wait_workers(self.studio, [w.name for w in self.workers])
        self.name = f"Celery, {workers} worker{'s' if workers > 1 else ''}"

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.studio.stop()
        self.redis.stop()


def warm(client, photo: str, args) -> None:
    """One clip first: every render process has loaded its models, caches are warm."""
    wait_done(client, submit(client, photo, args.duration, seed=999, size=args.size), timeout=300)


def throughput(setup, args) -> float:
    with setup.studio.client(timeout=120) as client:
        photo = upload(client, PHOTO.parent, PHOTO.name)
        warm(client, photo, args)
        time.sleep(2)
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(lambda i: submit(client, photo, args.duration, seed=i, size=args.size),
                                range(args.clips)))
        done = [wait_done(client, i, timeout=900) for i in ids]
        elapsed = time.perf_counter() - start
    assert all(v["state"] == "done" for v in done), [v["error"] for v in done]
    return args.clips / elapsed * 60


def overhead(setup, args) -> dict[str, list[float]]:
    from sayso.jobs.store import JobStore

    store = JobStore(setup.studio.data / "studio" / "jobs.sqlite")
    out: dict[str, list[float]] = {"submit to done": [], "render (start to finish)": [], "not rendering": []}
    with setup.studio.client(timeout=120) as client:
        photo = upload(client, PHOTO.parent, PHOTO.name)
        warm(client, photo, args)
        for i in range(args.runs):
            time.sleep(0.5)
            start = time.perf_counter()
            video_id = submit(client, photo, args.duration, seed=500 + i, size=args.size)
            wait_done(client, video_id, timeout=300)
            total = time.perf_counter() - start
            job = store.get(video_id)
            out["submit to done"].append(total)
            out["render (start to finish)"].append(job.finished - job.started)
            out["not rendering"].append(total - (job.finished - job.started))
    return out


def cancel_latency(setup, runs: int) -> list[float]:
    seconds = []
    with setup.studio.client(timeout=120) as client:
        photo = upload(client, PHOTO.parent, PHOTO.name)
        for i in range(runs):
            video_id = submit(client, photo, 30.0, seed=700 + i)
            wait_running(client, video_id, percent=15)
            asked = time.perf_counter()
            client.post(f"/api/jobs/{video_id}/cancel")
            wait_done(client, video_id, timeout=30)
            seconds.append(time.perf_counter() - asked)
    return seconds


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f}   ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clips", type=int, default=12)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--size", default="480p")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sayso-bench-celery-"))
    clip = f"{args.duration:g} s {args.size} clip"

    print(f"throughput: {args.clips} x {clip} submitted at once")
    for make, n in ((Embedded, 1), (Embedded, 2), (Distributed, 1), (Distributed, 2)):
        setup = make(folder / f"{make.__name__}-{n}-throughput", n)
        try:
            print(f"  {setup.name:<32} {throughput(setup, args):6.1f} clips/minute", flush=True)
        finally:
            setup.stop()

    print(f"one {clip} at a time, {args.runs} runs, seconds (median, min-max):")
    for make in (Embedded, Distributed):
        setup = make(folder / f"{make.__name__}-overhead", 1)
        try:
            for key, values in overhead(setup, args).items():
                print(f"  {setup.name:<32} {key:<26} {spread(values)}", flush=True)
            if isinstance(setup, Distributed):
                print(f"  {setup.name:<32} {'cancel to cancelled':<26} {spread(cancel_latency(setup, 3))}")
        finally:
            setup.stop()


if __name__ == "__main__":
    main()
