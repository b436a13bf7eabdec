import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # live.py

from live import Live, free_port  # noqa: E402


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
