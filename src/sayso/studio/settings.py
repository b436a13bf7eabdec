"""The studio's settings, in one validated place. Each can be set as an environment
variable SAYSO_<NAME> (SAYSO_TOKEN, SAYSO_WORKERS, ...) or by `sayso serve` options."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..errors import BadOptionError


def _default_workers() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAYSO_", extra="ignore")

    data_dir: Path | None = None  # None: sayso's data folder (SAYSO_DATA_DIR, XDG, ~/.local/share/sayso)
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(default_factory=_default_workers, ge=1, le=64)  # render processes
    token: str | None = None  # required to bind beyond this machine
    max_upload_mb: float = Field(25.0, gt=0, le=2048)
    max_megapixels: float = Field(40.0, gt=0, le=50)  # photo.MAX_PIXELS is the engine's own ceiling
    max_prompt_chars: int = Field(2000, ge=10, le=2000)  # the prompt reader's own ceiling is 2000
    max_queued: int = Field(64, ge=1)  # queued + running jobs; beyond it 429
    rate_per_minute: int = Field(120, ge=1)  # changes (POST, DELETE) per client per minute
    job_timeout: float = Field(600.0, gt=0)  # seconds a render may take before its worker is killed
    broker: str | None = None  # redis://host:port/db: jobs go to Celery workers (sayso worker) instead
    lease: float = Field(10.0, gt=0.5, le=600)  # seconds a worker may stay silent before its job goes to another

    @field_validator("broker")
    @classmethod
    def _broker_redis(cls, broker: str | None) -> str | None:
        return _redis_url(broker) if broker else None

    @field_validator("token")
    @classmethod
    def _token_strong(cls, token: str | None) -> str | None:
        if token is not None and len(token) < 16:
            raise ValueError("the access token must be at least 16 characters: make one with "
                             "'python -c \"import secrets; print(secrets.token_urlsafe(24))\"'")
        return token

    @model_validator(mode="after")
    def _token_beyond_loopback(self) -> "Settings":
        if not _loopback(self.host) and not self.token:
            raise ValueError(f"binding to {self.host} lets other machines in: set an access token "
                             "(--token or SAYSO_TOKEN), or bind to 127.0.0.1")
        if self.broker and not self.token:
            raise ValueError("workers sign in to the studio with its access token: set one (--token or SAYSO_TOKEN) "
                             "when you give --broker")
        return self

    @property
    def root(self) -> Path:
        """The studio's own folder inside the data folder."""
        from ..settings import data_dir

        return (self.data_dir or data_dir()) / "studio"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_pixels(self) -> int:
        return int(self.max_megapixels * 1_000_000)


class WorkerSettings(BaseSettings):
    """`sayso worker`: where the jobs come from (broker), where their inputs and results
    go (server, with the studio's token), and how many at once. SAYSO_<NAME> as well."""

    model_config = SettingsConfigDict(env_prefix="SAYSO_", extra="ignore")

    broker: str
    server: str
    token: str = Field(min_length=16)
    concurrency: int = Field(default_factory=_default_workers, ge=1, le=64)  # render processes
    queues: str = "render,fast"  # comma-separated: a worker for previews only takes --queues fast
    data_dir: Path | None = None  # the worker's own folder: inputs cache, scratch renders
    name: str | None = None  # this worker's name in the studio (default: host name and pid)
    patience: float = Field(20.0, gt=0, le=3600)  # seconds to keep trying a studio that does not answer

    @field_validator("broker")
    @classmethod
    def _broker_redis(cls, broker: str) -> str:
        return _redis_url(broker)

    @field_validator("server")
    @classmethod
    def _server_http(cls, server: str) -> str:
        if not server.startswith(("http://", "https://")):
            raise ValueError(f"the studio's address {server!r} must start with http:// or https://, "
                             "e.g. --server http://studio-host:8000")
        return server.rstrip("/")

    @field_validator("queues")
    @classmethod
    def _queue_names(cls, queues: str) -> str:
        names = [q.strip() for q in queues.split(",") if q.strip()]
        if not names or any(not q.replace("-", "").replace("_", "").isalnum() for q in names):
            raise ValueError(f"{queues!r} is not a list of queue names: use e.g. --queues render,fast")
        return ",".join(names)

    @property
    def queue_names(self) -> tuple[str, ...]:
        return tuple(self.queues.split(","))

    @property
    def root(self) -> Path:
        from ..settings import data_dir

        return (self.data_dir or data_dir()) / "worker"


def _redis_url(url: str) -> str:
    if not url.startswith(("redis://", "rediss://")):
        raise ValueError(f"the broker {url[:60]!r} must be a Redis address, e.g. redis://queue-host:6379/0")
    return url


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load(kind: type[BaseSettings] = Settings, **options):
    """Settings (or WorkerSettings) from the environment with options on top;
    BadOptionError names what is wrong."""
    from pydantic import ValidationError

    try:
        return kind(**{k: v for k, v in options.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "missing":
            where, message = f"--{where.replace('_', '-')}", f"is missing: give it (or set SAYSO_{where.upper()})"
        raise BadOptionError(f"{where}: {message}" if where != "settings" else message) from None
