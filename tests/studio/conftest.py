import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # live.py

from live import TOKEN, Live, Redis, Worker, free_port, wait_workers  # noqa: E402


@pytest.fixture(scope="session")
def studio(tmp_path_factory):
    """One live `sayso serve` (2 render processes) shared by the studio's tests; each
    test talks to it as a new client (its own cookie) unless it says otherwise."""
    live = Live(tmp_path_factory.mktemp("studio") / "data", free_port(), workers=2).start()
    yield live
    live.stop()


@pytest.fixture
def server(tmp_path):
    """A live server of a test's own, started with settings the test gives (not yet
    running): server.env, server.workers, then server.start()."""
    live = Live(tmp_path / "data", free_port(), workers=1)
    yield live
    live.stop()


@pytest.fixture
def client(studio):
    with studio.client() as c:
        yield c


class Farm:
    """The Celery runner for real: a private redis-server, `sayso serve --broker` and two
    `sayso worker` processes, each with a data folder of its own (no disk shared)."""

    def __init__(self, folder, lease: float = 3.0) -> None:
        self.redis = Redis(folder / "redis").start()
        self.studio = Live(folder / "studio", free_port(), token=TOKEN, env={"SAYSO_BROKER": self.redis.url,
                                                                          "SAYSO_LEASE": str(lease)}).start()
        self.workers = [Worker(folder / f"worker-{i}", self.redis.url, self.studio.url, f"worker-{i}")
                        for i in (1, 2)]
        self.ensure()

    def ensure(self) -> "Farm":
        """Both workers running and known to the studio (a test may have killed one)."""
        started = [worker.start() for worker in self.workers if not worker.alive()]
        for worker in started:
            worker.wait_warm()
        wait_workers(self.studio, [w.name for w in self.workers])
        return self

    def holder(self, video_id: str) -> str | None:
        """Which worker process runs (or ran) the job, as the studio's job store says."""
        from sayso.jobs.store import JobStore

        job = JobStore(self.studio.data / "studio" / "jobs.sqlite").get(video_id)
        return job.worker if job else None

    def worker_of(self, video_id: str) -> Worker:
        return next(w for w in self.workers if (self.holder(video_id) or "").startswith(w.name + "/"))

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop(timeout=20)
        self.studio.stop()
        self.redis.stop()


@pytest.fixture(scope="session")
def celery_farm(tmp_path_factory):
    farm = Farm(tmp_path_factory.mktemp("celery"))
    yield farm
    farm.stop()


@pytest.fixture
def farm(celery_farm):
    """The farm with both workers up."""
    return celery_farm.ensure()


@pytest.fixture
def celery_studio(farm):
    """The studio of the farm, as the browser tests use a studio."""
    return farm.studio
