"""Real processes for tests: `sayso serve` started on a free port with a data folder of
its own, waited for over HTTP, killed for real; for the Celery runner also a private
`redis-server` and `sayso worker` processes, each with a data folder of its own."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SAYSO = ROOT / ".venv" / "bin" / "sayso"
ASTRONAUT = "skimage_astronaut.png"
TOKEN = "a-studio-token-for-workers-42"


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
    token: str | None = None  # the access token (required with a broker)

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
        env = os.environ | {"SAYSO_DATA_DIR": str(self.data)} | ({"SAYSO_TOKEN": self.token} if self.token else {}) \
            | self.env
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
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url, timeout=options.pop("timeout", 30), headers=headers, **options)

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


def wait_done(client: httpx.Client, video_id: str, timeout: float = 180, states=("done", "failed", "cancelled"),
              poll: float = 0.2) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        video = client.get(f"/api/videos/{video_id}").json()
        if video["state"] in states:
            return video
        time.sleep(poll)
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


# ------------------------------------------------------------------ the job's inputs and outputs


def upload(client: httpx.Client, photos: Path, name: str = ASTRONAUT) -> str:
    with open(photos / name, "rb") as fp:
        response = client.post("/api/photos", files={"photo": (name, fp)})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def submit(client: httpx.Client, photo: str, duration: float, seed: int = 0, size: str = "480p") -> str:
    response = client.post("/api/videos", data={"photo_id": photo, "prompt": "She looks around and smiles.",
                                                "size": size, "duration": str(duration), "seed": str(seed)})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def frames_of(client: httpx.Client, video: dict) -> int:
    import av

    with av.open(io.BytesIO(client.get(video["video_url"]).content)) as container:
        return sum(1 for _ in container.decode(video=0))


# ------------------------------------------------------------------ the Celery runner's processes


@dataclass
class Redis:
    """A private redis-server keeping its data in folder (append-only file on)."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20) -> "Redis":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis writes its append-only file and exits
            self.process.wait(timeout=20)


@dataclass
class Worker:
    """A real `sayso worker` process with a data folder of its own (no disk shared)."""

    data: Path
    broker: str
    server: str
    name: str
    token: str = TOKEN
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        self.data.mkdir(parents=True, exist_ok=True)
        self.warm_before = self.loads()
        env = os.environ | {"SAYSO_PATIENCE": "3"} | self.env
        env.pop("SAYSO_DATA_DIR", None)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(SAYSO), "worker", "--broker", self.broker, "--server", self.server, "--token", self.token,
             "--concurrency", "1", "--data-dir", str(self.data), "--name", self.name],
            env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        return self

    @property
    def log_path(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def loads(self) -> int:
        """How often a process of this worker has loaded the models (its log says so each time)."""
        return self.log_path.read_text(errors="replace").count("loaded its models") if self.log_path.exists() else 0

    def wait_warm(self, timeout: float = 120) -> None:
        """Until the worker's render process has its models loaded."""
        deadline = time.monotonic() + timeout
        while self.loads() <= self.warm_before:
            if time.monotonic() > deadline or not self.alive():
                raise AssertionError(f"worker {self.name} never loaded its models: {self.log()}")
            time.sleep(0.1)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [self.process.pid] + [int(pid) for pid in out.split()]

    def kill(self) -> None:
        """SIGKILL of the worker (its render processes die with it)."""
        pids = self.pids()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        _wait_gone(pids)

    def stop(self, timeout: float = 60) -> None:
        if self.alive():
            pids = self.pids()
            self.process.send_signal(signal.SIGTERM)  # Celery's warm shutdown
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            _wait_gone(pids)


def wait_workers(live: Live, names: list[str], timeout: float = 120) -> dict:
    """Until the studio's health shows these workers alive."""
    deadline = time.monotonic() + timeout
    health: dict = {}
    while time.monotonic() < deadline:
        with live.client(timeout=5) as client:
            health = client.get("/api/health").json()
        alive = {n["name"] for n in health.get("nodes", []) if n["alive"]}
        if set(names) <= alive:
            return health
        time.sleep(0.2)
    raise AssertionError(f"workers {names} never showed in the studio's health: {health}")


class Proxy:
    """A TCP forwarder to port, that can be closed: a network between a worker and the studio."""

    def __init__(self, port: int) -> None:
        self.target, self.server = port, socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.open = True
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()

    def close(self) -> None:
        """From now on, connections to the proxy are refused, and those open are cut."""
        self.open = False
        _cut(self.server)  # wakes the accept() of the forwarding thread (a close alone would not)
        self.server.close()
        for connection in self.connections:
            _cut(connection)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _cut(source)
        _cut(sink)


def _cut(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
