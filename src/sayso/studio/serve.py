"""`sayso serve`: check the settings and the port, print the address, run uvicorn."""

from __future__ import annotations

import socket
import sys

from ..errors import OutputError
from .settings import load


def serve(**options) -> int:
    import uvicorn

    from .app import create_app

    settings = load(**options)
    _check_port_free(settings.host, settings.port)
    if settings.broker:
        from ..jobs.celery import ping, safe_url

        ping(settings.broker)  # BrokerError: one line and its exit code, before anything starts
        renders = f"jobs to Celery workers through {safe_url(settings.broker)}"
    else:
        renders = f"{settings.workers} render process{'es' if settings.workers > 1 else ''}"
    app = create_app(settings)
    where = f"http://{'[' + settings.host + ']' if ':' in settings.host else settings.host}:{settings.port}"
    print(f"sayso studio on {where} ({renders}, data in {settings.root}); Ctrl-C stops it", file=sys.stderr,
          flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=5)
    return 0


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OutputError(f"cannot listen on {host}:{port} ({error.strerror}): choose another --port") from None
