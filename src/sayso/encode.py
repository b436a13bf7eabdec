"""Frames + audio -> MP4 (H.264 yuv420p + AAC, faststart), written atomically.

`check_output` refuses a bad output path before any work starts. `VideoWriter` encodes
on a background thread while the caller renders the next frame, writes a hidden
partial file beside the target and renames it into place only when the MP4 is whole.
`sayso.probe` reopens an MP4 and reports what a user (or a test) would see.
"""

from __future__ import annotations

import errno
import os
import queue
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping
from fractions import Fraction
from numbers import Rational
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from sayso.errors import BadOptionError, EncodeError, OutputError

AUDIO_RATE = 48_000
"""Sample rate of the AAC track, Hz; other rates are resampled to it."""

AUDIO_BIT_RATE = 96_000
"""AAC bit rate, bits per second: transparent enough for one mono voice."""

QUEUE_FRAMES = 8
"""Frames waiting for the encoder thread: 8 x 2.7 MB at 720p keeps memory small while
letting the renderer run ahead through an expensive frame."""

X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow", "placebo",
)  # fmt: skip

# Container tags the MP4 muxer writes natively (as iTunes-style atoms). Any other key
# needs movflags=+use_metadata_tags, or FFmpeg silently drops it.
_MP4_TAGS = frozenset({
    "title", "artist", "album_artist", "composer", "album", "date", "comment",
    "genre", "copyright", "grouping", "lyrics", "description", "synopsis", "show",
    "episode_id", "network", "keywords",
})  # fmt: skip

_FULL_DISK = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_NO_PERMISSION = (errno.EACCES, errno.EPERM, errno.EROFS)
_CLOSE = object()  # queue sentinels: finish the file / stop at once
_ABORT = object()


# ---------------------------------------------------------------------------- output


def default_x264_threads() -> int:
    """One core for the caller's renderer, the rest for x264: 1 thread on 2 cores.

    Measured on 2 cores at 1280x720 with a renderer busy beside the encoder: 1 thread
    gave 40 fps against 36 for 2 threads (26 ms/frame render) and tied at 16 ms/frame;
    x264's own choice (1.5 x cores) was slowest. Encoding alone, 2 threads are ~20%
    faster, so pass threads=2 when nothing else runs.
    """
    return max(1, len(os.sched_getaffinity(0)) - 1)


def check_output(path: str | Path) -> Path:
    """Resolve the output path and prove it can be written, before any work starts.

    Raises BadOptionError (extension other than .mp4) or OutputError (a directory,
    missing parent folder, folder not writable). Returns the resolved path.
    """
    target = Path(path).expanduser().resolve()
    if target.is_dir():
        raise OutputError(f"output {target} is a directory: give a file name ending in .mp4")
    if target.suffix.lower() != ".mp4":
        raise BadOptionError(
            f"output {target} must end in .mp4 (sayso writes H.264/AAC MP4 only)"
        )
    folder = target.parent
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"output folder {folder} is a file, not a folder: choose another path")
    if not folder.is_dir():
        raise OutputError(
            f"output folder {folder} does not exist: create it first or choose another"
        )
    _probe_writable(folder, target)
    return target


def _probe_writable(folder: Path, target: Path) -> None:
    # os.access() answers for the real uid and ignores read-only mounts; only really
    # creating a file tells the truth (root, ACLs, read-only or full file systems).
    try:
        handle, probe_path = tempfile.mkstemp(prefix=f".{target.name}.probe-", dir=folder)
        os.close(handle)
        os.unlink(probe_path)
    except OSError as error:
        raise _output_error(target, error) from None


def _output_error(target: Path, error: OSError) -> OutputError:
    """Turn an OS-level write failure into one line that says what to do."""
    reason = error.strerror or str(error)
    if error.errno in _FULL_DISK:
        return OutputError(
            f"cannot write {target}: {reason}; free some disk space or choose another folder"
        )
    if error.errno in _NO_PERMISSION:
        return OutputError(
            f"cannot write {target}: {reason}; choose a folder you can write to"
        )
    return OutputError(f"cannot write {target}: {reason}; choose another folder")


def create_partial(target: Path, tag: str = "partial", mode: int = 0o666) -> Path:
    """Create a hidden partial file beside the target, so the final rename is atomic.

    os.open with 0o666 (not mkstemp's 0o600) lets the umask decide the final MP4's
    permissions, as for any ordinary file.
    """
    for _ in range(100):
        partial = target.with_name(f".{target.name}.{tag}-{secrets.token_hex(4)}.mp4")
        try:
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
            return partial
        except FileExistsError:
            continue
        except OSError as error:
            raise _output_error(target, error) from None
    raise OutputError(f"cannot create a temporary file beside {target}; choose another folder")


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


# ---------------------------------------------------------------------------- options


def _check_options(
    width: int, height: int, fps: Fraction, sample_rate: int, crf: int, preset: str
) -> Fraction:
    """Validate writer options; returns fps as an exact Fraction."""
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or value <= 0 or value % 2:
            raise BadOptionError(
                f"video {name} {value!r} must be a positive even number of pixels "
                "(H.264 yuv420p halves the colour resolution)"
            )
    if not isinstance(fps, Rational) or isinstance(fps, bool) or fps <= 0:
        raise BadOptionError(
            f"fps {fps!r} must be a positive int or Fraction (e.g. Fraction(30000, 1001))"
        )
    if not isinstance(sample_rate, int) or not 8_000 <= sample_rate <= 192_000:
        raise BadOptionError(f"audio sample rate {sample_rate!r} must be 8000-192000 Hz")
    if not isinstance(crf, int) or not 0 <= crf <= 51:
        raise BadOptionError(f"crf {crf!r} must be an integer 0-51 (lower is better)")
    if preset not in X264_PRESETS:
        raise BadOptionError(f"preset {preset!r} must be one of {', '.join(X264_PRESETS)}")
    return Fraction(fps)


def _check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    tags = dict(metadata or {})
    for key, value in tags.items():
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise BadOptionError(
                f"metadata {key!r}: {value!r} must map non-empty strings to strings"
            )
    return tags


def _samples_for_frames(num_frames: int, fps: Fraction) -> int:
    """Audio samples at AUDIO_RATE lasting exactly as long as num_frames, rounded."""
    numerator = num_frames * AUDIO_RATE * fps.denominator
    return (2 * numerator + fps.numerator) // (2 * fps.numerator)


def _prepare_audio(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Validate mono audio and resample it: -> (n,) float32 in [-1, 1] at AUDIO_RATE."""
    samples = np.asarray(samples)
    if samples.ndim != 1 or not np.issubdtype(samples.dtype, np.floating):
        raise BadOptionError(
            f"audio has shape {samples.shape} and dtype {samples.dtype}: "
            "pass one mono float32 track, shape (num_samples,)"
        )
    if not np.all(np.isfinite(samples)):
        raise BadOptionError("audio contains NaN or infinity: check the speech and mix stages")
    mono = np.clip(samples.astype(np.float32), -1.0, 1.0)  # (n,) float32
    if sample_rate == AUDIO_RATE or mono.size == 0:
        return np.ascontiguousarray(mono)
    return _resample(mono, sample_rate)


def _resample(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """(n,) float32 at sample_rate -> (m,) float32 at AUDIO_RATE, m ~ n * 48000 / rate."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
    frame = av.AudioFrame.from_ndarray(mono[np.newaxis, :], format="flt", layout="mono")
    frame.sample_rate = sample_rate
    pieces = resampler.resample(frame) + resampler.resample(None)
    return np.concatenate([piece.to_ndarray().reshape(-1) for piece in pieces])


# ---------------------------------------------------------------------------- writer


class VideoWriter:
    """Write RGB frames and one mono track to an H.264/AAC MP4, encoding on a thread.

    Use as a context manager. Frame i is shown at i / fps exactly. The audio track is
    padded with silence or trimmed to end with the last frame. Nothing appears at
    `path` until close() succeeds; on any error the partial file is removed.
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: Fraction,
        sample_rate: int,
        crf: int = 20,
        preset: str = "veryfast",
        metadata: Mapping[str, str] | None = None,
        threads: int | None = None,
    ) -> None:
        self.fps = _check_options(width, height, fps, sample_rate, crf, preset)
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise BadOptionError(f"encoder threads {threads!r} must be a positive integer")
        self._threads = threads or default_x264_threads()
        self.width, self.height, self.sample_rate = width, height, sample_rate
        tags = _check_metadata(metadata)
        self.path = check_output(path)
        self.num_frames = 0
        self._partial = create_partial(self.path)
        try:
            self._open(tags, crf, preset)
        except BaseException:
            _remove_quietly(self._partial)
            raise
        self._audio_given = False
        self._error: BaseException | None = None
        self._done = False
        self._aborting = threading.Event()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._thread = threading.Thread(target=self._run, name="sayso-encode", daemon=True)
        self._thread.start()

    # -- caller side --------------------------------------------------------------

    def write(self, frame: np.ndarray) -> None:
        """Queue one frame: (height, width, 3) uint8 RGB. Copied, so it may be reused."""
        self._raise_if_failed()
        expected = (self.height, self.width, 3)
        if not isinstance(frame, np.ndarray) or frame.shape != expected or frame.dtype != np.uint8:
            shape = getattr(frame, "shape", None)
            dtype = getattr(frame, "dtype", type(frame).__name__)
            raise BadOptionError(
                f"frame {self.num_frames} has shape {shape} and dtype {dtype}: "
                f"expected {expected} uint8 RGB"
            )
        self._put(np.array(frame, order="C", copy=True))
        self.num_frames += 1

    def write_audio(self, samples: np.ndarray) -> None:
        """Give the whole mono track once: (n,) float32 in [-1, 1] at sample_rate."""
        self._raise_if_failed()
        if self._audio_given:
            raise BadOptionError(f"write_audio for {self.path} was called twice: call it once")
        self._put(("audio", _prepare_audio(samples, self.sample_rate)))
        self._audio_given = True

    def close(self) -> Path:
        """Finish the MP4 and move it into place; returns its path. Safe to repeat."""
        if self._done:
            return self.path
        try:
            if self.num_frames == 0:
                raise EncodeError(f"no frames were written for {self.path}: nothing to encode")
            self._put(_CLOSE)
            self._thread.join()
            self._raise_if_failed()
            self._publish()
        except BaseException:
            self.abort()
            raise
        self._done = True
        return self.path

    def abort(self) -> None:
        """Stop encoding and remove the partial file. The target is left untouched."""
        if self._done:
            return
        self._done = True
        self._aborting.set()
        try:
            if self._thread.is_alive():
                self._queue.put(_ABORT)  # the thread drains, so this cannot block long
            self._thread.join()
        finally:
            # Unlink first: the faststart pass in close() would reopen and copy the file.
            _remove_quietly(self._partial)
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - already failing; the file is gone anyway
                pass
            _remove_quietly(self._partial)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _put(self, item: object) -> None:
        while True:
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                self._raise_if_failed()
                if not self._thread.is_alive():
                    raise EncodeError(f"the encoder for {self.path} stopped unexpectedly") from None

    def _raise_if_failed(self) -> None:
        if self._done:
            raise EncodeError(f"writer for {self.path} is already closed")
        if self._error is not None:
            error = self._error
            self.abort()
            raise _as_sayso_error(self.path, error) from error

    def _publish(self) -> None:
        """fsync, then rename: after a crash the target is either absent or whole."""
        try:
            with open(self._partial, "rb") as written:
                os.fsync(written.fileno())
            os.replace(self._partial, self.path)
        except OSError as error:
            raise _output_error(self.path, error) from None
        _fsync_folder(self.path.parent)

    # -- encoder thread -------------------------------------------------------------

    def _open(self, tags: dict[str, str], crf: int, preset: str) -> None:
        flags = "+faststart" if tags.keys() <= _MP4_TAGS else "+faststart+use_metadata_tags"
        try:
            self._container = av.open(
                str(self._partial), "w", format="mp4", container_options={"movflags": flags}
            )
        except OSError as error:
            raise _output_error(self.path, error) from None
        self._container.metadata.update(tags)
        self._video = self._container.add_stream(
            "libx264", rate=self.fps, options={"crf": str(crf), "preset": preset}
        )
        self._video.width, self._video.height = self.width, self.height
        self._video.pix_fmt = "yuv420p"
        context = self._video.codec_context
        context.time_base = 1 / self.fps
        context.thread_count = self._threads
        # Say which YUV matrix the pixels use; players otherwise guess (often BT.601
        # for small and BT.709 for HD) and skin tones shift.
        context.colorspace = context.color_primaries = context.color_trc = 1  # BT.709
        context.color_range = int(ColorRange.MPEG)
        self._reformatter = VideoReformatter()
        self._audio = self._container.add_stream("aac", rate=AUDIO_RATE)
        self._audio.layout = "mono"
        self._audio.format = "fltp"
        self._audio.bit_rate = AUDIO_BIT_RATE
        self._track: np.ndarray | None = None  # (n,) float32 at AUDIO_RATE
        self._audio_sent = 0  # samples already encoded

    def _run(self) -> None:
        frames_done = 0
        while True:
            item = self._queue.get()
            if item is _ABORT:
                return
            if item is _CLOSE:
                if self._error is None:
                    self._guarded(self._finish, frames_done)
                return
            if self._error is not None or self._aborting.is_set():
                continue  # drain, so the caller's put() never blocks on a dead encoder
            if isinstance(item, tuple):
                self._track = item[1]
            elif self._guarded(self._encode_frame, item, frames_done):
                frames_done += 1
            self._guarded(self._encode_audio, _samples_for_frames(frames_done, self.fps), False)

    def _guarded(self, step: Callable[..., None], *args: object) -> bool:
        """Run one encoder step; keep its error for the caller. True if it succeeded."""
        if self._error is not None:
            return False
        try:
            step(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            self._error = error
            return False
        return True

    def _encode_frame(self, rgb: np.ndarray, index: int) -> None:
        """rgb: (height, width, 3) uint8, owned by this thread."""
        frame = av.VideoFrame.from_numpy_buffer(rgb, format="rgb24")
        yuv = self._reformatter.reformat(
            frame,
            format="yuv420p",
            dst_colorspace=Colorspace.ITU709,
            dst_color_range=ColorRange.MPEG,
        )
        yuv.pts, yuv.time_base, yuv.duration = index, 1 / self.fps, 1
        self._container.mux(self._video.encode(yuv))

    def _encode_audio(self, end: int, final: bool) -> None:
        """Encode the track up to sample `end`, in whole AAC frames unless final.

        Encoding audio as the video advances keeps the two interleaved in the file;
        until write_audio is called nothing is sent, so late audio is not preceded by
        silence. At close, a missing track becomes silence.
        """
        if self._track is None and not final:
            return
        track = self._track if self._track is not None else np.zeros(0, np.float32)
        size = self._audio.codec_context.frame_size or 1024
        while self._audio_sent < end:
            count = min(size, end - self._audio_sent)
            if count < size and not final:
                return
            chunk = np.zeros(count, np.float32)  # silence past the end of the track
            piece = track[self._audio_sent : self._audio_sent + count]
            chunk[: piece.size] = piece
            frame = av.AudioFrame.from_ndarray(chunk[np.newaxis, :], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = AUDIO_RATE, self._audio_sent
            frame.time_base = Fraction(1, AUDIO_RATE)
            self._container.mux(self._audio.encode(frame))
            self._audio_sent += count

    def _finish(self, frames_done: int) -> None:
        self._container.mux(self._video.encode(None))
        self._encode_audio(_samples_for_frames(frames_done, self.fps), final=True)
        self._container.mux(self._audio.encode(None))
        self._container.close()


def _as_sayso_error(target: Path, error: BaseException) -> BaseException:
    """Errors from the encoder thread, as the caller should see them."""
    if isinstance(error, (OutputError, EncodeError, BadOptionError)):
        return error
    if isinstance(error, OSError) and error.errno in _FULL_DISK + _NO_PERMISSION:
        return _output_error(target, error)
    if isinstance(error, Exception):
        return EncodeError(f"encoding {target} failed: {error}; please report this")
    return error  # KeyboardInterrupt, SystemExit: pass through unchanged


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; some file systems cannot, which is harmless."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
