"""The one place where sayso's errors become HTTP statuses. Every error response has
the same JSON shape, with the same one-line message the command line prints:

    {"error": {"code": "no_face", "message": "no face found in the photo: ...", "field": "photo"}}
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

from .. import errors as e

_STATUS: tuple[tuple[type[e.SaysoError], int], ...] = (
    (e.UploadTooLargeError, 413),
    (e.ImageTooLargeError, 413),
    (e.UnsupportedFileError, 415),
    (e.BadImageError, 415),
    (e.BadAudioError, 415),
    (e.NotFoundError, 404),
    (e.InputNotFoundError, 404),
    (e.AccessError, 401),
    (e.ConflictError, 409),
    (e.BusyError, 429),
    (e.OutputError, 507),
    (e.Cancelled, 409),
    (e.BrokerError, 503),
    (e.StudioUnreachableError, 502),
)

# the form field a class of error is about, unless the error names its own (error.field)
_FIELD: tuple[tuple[type[e.SaysoError], str], ...] = (
    (e.UploadTooLargeError, "photo"), (e.ImageTooLargeError, "photo"), (e.UnsupportedFileError, "photo"),
    (e.BadImageError, "photo"), (e.NoFaceError, "photo"), (e.FaceTooSmallError, "photo"),
    (e.PromptError, "prompt"),
)


def status_of(error: e.SaysoError) -> int:
    return next((status for kind, status in _STATUS if isinstance(error, kind)), 422)


def response(error: e.SaysoError) -> JSONResponse:
    field = getattr(error, "field", None) or next((f for kind, f in _FIELD if isinstance(error, kind)), None)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, e.BusyError) else None
    return body(status_of(error), e.error_code(error), str(error), field, headers)


def body(status: int, code: str, message: str, field: str | None = None,
         headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status, headers=headers)


def sentence(problem: dict, field: str | None) -> str:
    """A pydantic validation problem as one sentence that says what to do."""
    name, context, kind = field or "the request", problem.get("ctx") or {}, problem.get("type", "")
    if kind == "literal_error":
        return f"{name} must be one of {context.get('expected', '')}: choose one of those"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{name} must be at least {context.get('ge', context.get('gt'))}: raise it"
    if kind in ("less_than_equal", "less_than"):
        return f"{name} must be at most {context.get('le', context.get('lt'))}: lower it"
    if kind in ("int_parsing", "float_parsing", "int_from_float"):
        return f"{name} must be a {'whole ' if kind != 'float_parsing' else ''}number: fix it"
    if kind == "string_too_long":
        return f"{name} is too long: use at most {context.get('max_length')} characters"
    if kind == "missing":
        return f"{name} is missing: fill it in"
    return f"{name}: {problem.get('msg', 'invalid').removeprefix('Value error, ')}: fix it and try again"


def about(error: e.SaysoError, field: str) -> e.SaysoError:
    """The error, marked as being about a form field (the page shows it there)."""
    error.field = field
    return error
