"""The sayso command as a user types it, for tests that run it in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SAYSO = [sys.executable, "-m", "sayso.cli"]


def run(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(SAYSO + list(args), capture_output=True, text=True, cwd=cwd, timeout=timeout)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The one line a failure prints, which must start 'sayso: '."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("sayso: ")
    return lines[0]
