"""Run a function in a forked child, optionally as the unprivileged user nobody.

User changes stay out of the pytest process. The venv's interpreter lives under
/root (mode 0700), so a fresh process cannot be started as another user; a fork
already has everything imported. A fork of a process with threads (onnxruntime and
mediapipe pools from earlier tests) may inherit a lock held by a thread that does not
exist in the child, so keep child functions to plain file operations, never threads
of their own; and a child that does not answer in time is killed, not waited for."""

from __future__ import annotations

import os
import select
import signal
from collections.abc import Callable

import pytest

NOBODY = 65534
TIMEOUT = 30  # seconds


def in_child(function: Callable[[], str], as_nobody: bool = False) -> str:
    """Run function in a forked child (optionally after dropping root); returns its
    answer, or "ErrorType: message". Limits and user changes stay out of pytest."""
    if as_nobody and os.geteuid() != 0:
        pytest.skip("needs root to switch to another user")
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        try:
            if as_nobody:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            answer = function()
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            answer = f"{type(error).__name__}: {error}"
        os.write(write_end, answer.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        ready, _, _ = select.select([pipe], [], [], TIMEOUT)
        if not ready:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            pytest.fail(f"the forked child did not answer within {TIMEOUT} s")
        answer = pipe.read().decode()
    os.waitpid(child, 0)
    return answer
