"""One exception hierarchy. Each error is also the builtin it resembles, carries a
one-line message that says what to do, and maps to a distinct process exit code."""

from __future__ import annotations


class SaysoError(Exception):
    """Base of every error sayso raises on purpose."""

    exit_code = 1


class BadOptionError(SaysoError, ValueError):
    """An option or argument has a value sayso cannot use."""

    exit_code = 2


class InputNotFoundError(SaysoError, FileNotFoundError):
    """The input file is missing or cannot be read."""

    exit_code = 3


class BadImageError(SaysoError, ValueError):
    """The input is not an image, or is corrupt or truncated."""

    exit_code = 4


class ImageTooLargeError(SaysoError, ValueError):
    """The image has more pixels than sayso will decode."""

    exit_code = 5


class NoFaceError(SaysoError, ValueError):
    """No usable face was found in the photo."""

    exit_code = 6


class FaceTooSmallError(SaysoError, ValueError):
    """The chosen face is too small to animate well."""

    exit_code = 7


class OutputError(SaysoError, OSError):
    """The output cannot be written (bad path, no permission, disk full)."""

    exit_code = 8


class PromptError(SaysoError, ValueError):
    """The prompt cannot be used (too long, nothing to say or do)."""

    exit_code = 9


class SpeechError(SaysoError, RuntimeError):
    """The voice could not speak the line."""

    exit_code = 10


class EncodeError(SaysoError, RuntimeError):
    """The video could not be encoded."""

    exit_code = 11


class ProvenanceError(SaysoError, ValueError):
    """The video carries no sayso recipe that can be found (remix)."""

    exit_code = 12


class Cancelled(SaysoError, KeyboardInterrupt):
    """The run was cancelled (Ctrl-C or a cancel hook)."""

    exit_code = 130


class UploadTooLargeError(SaysoError, ValueError):
    """An upload is larger than the studio accepts."""

    exit_code = 13


class UnsupportedFileError(SaysoError, ValueError):
    """An upload is not the kind of file asked for (judged by its content)."""

    exit_code = 14


class NotFoundError(SaysoError, LookupError):
    """No such video, job, photo or share link (or it is not yours)."""

    exit_code = 15


class ConflictError(SaysoError, RuntimeError):
    """The request does not fit the state of what it names (a finished job, a reused key)."""

    exit_code = 16


class BusyError(SaysoError, RuntimeError):
    """Too many requests or a full queue: try again after retry_after seconds."""

    exit_code = 17

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class AccessError(SaysoError, PermissionError):
    """The studio needs its access token."""

    exit_code = 18


class WorkerLostError(SaysoError, RuntimeError):
    """The process rendering a job died (twice)."""

    exit_code = 19


class BadAudioError(SaysoError, ValueError):
    """The recording is not a sound file sayso can decode, or has no sound track."""

    exit_code = 24


class NoSpeechError(SaysoError, ValueError):
    """The recording holds no speech: silence or noise only."""

    exit_code = 25


class AudioTooLongError(SaysoError, ValueError):
    """The recording is longer than a clip may be."""

    exit_code = 26


class BrokerError(SaysoError, ConnectionError):
    """The job broker (Redis) cannot be reached, or is not a broker sayso can use."""

    exit_code = 27  # 20-23 are sayso verify's verdicts


class StudioUnreachableError(SaysoError, ConnectionError):
    """A worker cannot reach its studio over HTTP (wrong --server, studio down, network)."""

    exit_code = 28


def error_code(error: BaseException) -> str:
    """A stable snake_case name for an error, for JSON: NoFaceError -> "no_face"."""
    import re

    name = type(error).__name__.removesuffix("Error") or "error"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
