"""Who is asking, and may they: the private client cookie, the access token, the rate
limit. One middleware, before any route.

- Every browser (or API client keeping cookies) gets a random client id (128 bits) in an
  HttpOnly cookie; the videos it makes are its own, and other clients get 404 for them.
- With an access token set (required to bind beyond 127.0.0.1), every route but the
  page shell, the share links and the login needs it: Authorization: Bearer TOKEN, or
  the cookie POST /api/login sets.
- Each client may make rate_per_minute changes (POST, DELETE) a minute (token bucket);
  past that, 429 with Retry-After.
- A request whose declared length is over the upload limit is refused before its body
  is read (413); one without a declared length is counted as it arrives (uploads).
- The workers' routes (/api/work/, Celery runner only) always need the token, and are
  neither rate limited nor held to the upload limit: a worker beats several times a
  second and sends back whole videos."""

from __future__ import annotations

import hmac
import math
import re
import secrets
import threading
import time

from fastapi import Request, Response

from . import errors
from .settings import Settings

CLIENT_COOKIE = "sayso_client"
TOKEN_COOKIE = "sayso_token"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_OPEN_PATHS = ("/s/", "/api/shared/", "/static/", "/api/login", "/api/config", "/api/health", "/favicon")
_CHANGES = ("POST", "PUT", "PATCH", "DELETE")
_WORKERS = "/api/work/"
_FORM_SLACK = 64 * 1024  # a form's other fields and boundaries, beside its file


def client_of(request: Request) -> str:
    """The asking client's id (set by the middleware)."""
    return request.state.client


def authorized(request: Request, settings: Settings) -> bool:
    if not settings.token:
        return True
    header = request.headers.get("authorization", "")
    given = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(TOKEN_COOKIE, "")
    return token_matches(given, settings)


def token_matches(given: str, settings: Settings) -> bool:
    """In constant time, so the token cannot be found a letter at a time."""
    return bool(settings.token) and hmac.compare_digest(given.encode(), settings.token.encode())


class RateLimit:
    """A token bucket per client: per_minute changes, refilled evenly."""

    def __init__(self, per_minute: int) -> None:
        self.capacity, self.rate = float(per_minute), per_minute / 60.0
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if allowed now, else the seconds to wait."""
        now = time.monotonic()
        with self.lock:
            level, at = self.buckets.get(key, (self.capacity, now))
            level = min(self.capacity, level + (now - at) * self.rate)
            if level >= 1.0:
                self.buckets[key] = (level - 1.0, now)
                return 0.0
            self.buckets[key] = (level, now)
            if len(self.buckets) > 10_000:  # forget the idle ones
                self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 120}
            return (1.0 - level) / self.rate


def _declared_size(request: Request) -> int:
    length = request.headers.get("content-length", "")
    return int(length) if length.isdigit() else 0


def middleware(settings: Settings):
    limit = RateLimit(settings.rate_per_minute)

    async def check(request: Request, call_next) -> Response:
        cookie = request.cookies.get(CLIENT_COOKIE, "")
        fresh = not _CLIENT_ID.fullmatch(cookie)
        request.state.client = secrets.token_urlsafe(16) if fresh else cookie
        path = request.url.path
        if path.startswith(_WORKERS):
            if not (settings.token and authorized(request, settings)):
                return errors.body(401, "access", "the studio refused this worker's token: give the worker the "
                                                  "studio's access token (--token or SAYSO_TOKEN)", "token")
            return await call_next(request)
        if path.startswith("/api/") and not path.startswith(_OPEN_PATHS) and not authorized(request, settings):
            return errors.body(401, "access", "this studio needs its access token: sign in with it "
                                              "(Authorization: Bearer TOKEN)", "token")
        if request.method in _CHANGES and _declared_size(request) > settings.max_upload_bytes + _FORM_SLACK:
            return errors.body(413, "upload_too_large", f"the upload is over the limit of {settings.max_upload_mb:g} MB: "
                                                        "send a smaller file", "photo")
        if request.method in _CHANGES:
            key = request.state.client if not fresh else f"ip:{request.client.host if request.client else '?'}"
            wait = limit.take(key)
            if wait:
                return errors.body(429, "busy", f"too many requests: wait {math.ceil(wait)} s and try again",
                                   None, {"Retry-After": str(math.ceil(wait))})
        response = await call_next(request)
        if fresh:
            response.set_cookie(CLIENT_COOKIE, request.state.client, max_age=10 * 365 * 86400, httponly=True,
                                samesite="lax", path="/")
        return response

    return check
