"""What a remix reuses: the face analysis of a photo and the speech of a line, kept in
the data folder under content keys. A damaged entry is a miss, never an error."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..face.model import FaceBox, FaceRig
from ..settings import data_dir
from ..speech.model import PhonemeSpan, Speech, WordSpan


def _folder() -> Path:
    folder = data_dir() / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Bump when the face or speech stage changes what it returns, so old entries miss.
REVISION = 7  # 4: many voices, keyed by the voice's name and the line's language; 5: b, p shut where the sound stops; 6: French respelt for Kokoro; 7: German respelt (vocalic r, ɔɪ, ʏ)


def _key(*parts: object) -> str:
    from .. import __version__

    return hashlib.sha256(json.dumps([__version__, REVISION, *parts]).encode()).hexdigest()[:32]


def _save(path: Path, **arrays: np.ndarray) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.npz")
    try:
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError:  # a cache that cannot be written only costs time
        tmp.unlink(missing_ok=True)


def _load(path: Path) -> dict | None:
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, KeyError):
        return None


def face(photo_sha: str, image: np.ndarray, choice: int | None) -> FaceRig | None:
    """The cached analysis of this photo and face choice, if any."""
    data = _load(_folder() / f"face-{_key(photo_sha, choice)}.npz")
    if data is None or data["mask"].shape != image.shape[:2]:
        return None
    faces = tuple(FaceBox(*map(float, row)) for row in data["faces"])
    return FaceRig(image=image, landmarks=data["landmarks"], mask=data["mask"], faces=faces,
                   chosen=int(data["chosen"]))


def keep_face(photo_sha: str, choice: int | None, rig: FaceRig) -> None:
    faces = np.array([[f.x, f.y, f.width, f.height, f.score] for f in rig.faces], np.float64)
    _save(_folder() / f"face-{_key(photo_sha, choice)}.npz", landmarks=rig.landmarks, mask=rig.mask,
          faces=faces, chosen=np.array(rig.chosen))


def speech(text: str, voice: str, language: str = "en") -> Speech | None:
    """The cached speech of this line in this voice (a name: "joe", "alpha") and language."""
    data = _load(_folder() / f"speech-{_key(text, voice, language)}.npz")
    if data is None:
        return None
    meta = json.loads(str(data["meta"]))
    return Speech(data["samples"], int(meta["rate"]), tuple(PhonemeSpan(*p) for p in meta["phonemes"]),
                  tuple(WordSpan(*w) for w in meta["words"]), meta["voice"], meta["text"], meta.get("language", "en"))


def keep_speech(spoken: Speech, voice: str | None = None) -> None:
    """Keep spoken under its text, language and voice (or voice: another key, e.g. a recording's hash)."""
    meta = {"rate": spoken.sample_rate, "voice": spoken.voice, "text": spoken.text, "language": spoken.language,
            "phonemes": [[p.phoneme, p.start, p.end, p.stressed] for p in spoken.phonemes],
            "words": [[w.text, w.start, w.end] for w in spoken.words]}
    _save(_folder() / f"speech-{_key(spoken.text, voice or spoken.voice, spoken.language)}.npz", samples=spoken.samples,
          meta=np.array(json.dumps(meta)))
