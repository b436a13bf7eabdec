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


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load(**options) -> Settings:
    """Settings from the environment with options on top; BadOptionError names what is wrong."""
    from pydantic import ValidationError

    try:
        return Settings(**{k: v for k, v in options.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise BadOptionError(f"{where}: {message}" if where != "settings" else message) from None
