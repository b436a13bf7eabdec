"""A real `sayso serve` process for tests: started on a free port with a data folder of
its own, waited for over HTTP, killed for real."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SAYSO = ROOT / ".venv" / "bin" / "sayso"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Live:
    data: Path
    port: int
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> "Live":
        for _ in range(3):
            if self._start(timeout):
                return self
            self.port = free_port()  # another process took the port between our look and the bind
        raise RuntimeError(f"sayso serve found no free port: {self.log()}")

    def _start(self, timeout: float) -> bool:
        env = os.environ | {"SAYSO_DATA_DIR": str(self.data)} | self.env
        self.data.mkdir(parents=True, exist_ok=True)
        log = open(self.data.parent / f"{self.data.name}-server.log", "ab")
        self.process = subprocess.Popen([str(SAYSO), "serve", "--port", str(self.port), "--workers", str(self.workers)],
                                        env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if self.process.returncode == 8:  # the port is in use
                    return False
                raise RuntimeError(f"sayso serve exited with {self.process.returncode}: {self.log()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).json().get("ok"):
                    return True
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"sayso serve did not answer within {timeout} s: {self.log()}")

    def log(self) -> str:
        path = self.data.parent / f"{self.data.name}-server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def client(self, **options) -> httpx.Client:
        """A new client: cookies of its own, so it is another user of the studio."""
        return httpx.Client(base_url=self.url, timeout=options.pop("timeout", 30), **options)

    def workers_pids(self) -> list[int]:
        """The render processes of this server (its children)."""
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as a crash or a power cut."""
        pids = self.workers_pids()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        _wait_gone(pids)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            pids = self.workers_pids()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            _wait_gone(pids)


def _wait_gone(pids: list[int], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    for pid in pids:
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and not _zombie(pid):
            time.sleep(0.05)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def events(client: httpx.Client, video_id: str, timeout: float = 120) -> Iterator[tuple[str, dict]]:
    """The job's Server-Sent Events as (event, data), parsed as a browser would, until
    the stream ends."""
    with client.stream("GET", f"/api/jobs/{video_id}/events", timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        kind, data = None, []
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and kind:
                yield kind, json.loads("\n".join(data))
                kind, data = None, []


def wait_done(client: httpx.Client, video_id: str, timeout: float = 180, states=("done", "failed", "cancelled")) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        video = client.get(f"/api/videos/{video_id}").json()
        if video["state"] in states:
            return video
        time.sleep(0.2)
    raise AssertionError(f"video {video_id} did not finish within {timeout} s: {video}")


def wait_running(client: httpx.Client, video_id: str, percent: float = 15, timeout: float = 120,
                 attempt: int = 1) -> dict:
    """Until the job is rendering frames (past percent), in its attempt-th try or later."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        video = client.get(f"/api/videos/{video_id}").json()
        if video["state"] == "running" and video["percent"] >= percent and video["attempts"] >= attempt:
            return video
        assert video["state"] in ("queued", "running"), video
        time.sleep(0.05)
    raise AssertionError(f"video {video_id} did not start within {timeout} s")
