"""Settings in one place: where sayso keeps the user's library, cache and signing identity.

SAYSO_DATA_DIR overrides the folder; otherwise XDG_DATA_HOME/sayso or ~/.local/share/sayso.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import OutputError


def data_dir() -> Path:
    """The user's sayso folder, created (0700) on first use."""
    if os.environ.get("SAYSO_DATA_DIR"):
        folder = Path(os.environ["SAYSO_DATA_DIR"]).expanduser()
    else:
        base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        folder = Path(base) / "sayso"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise OutputError(f"cannot create sayso's data folder {folder}: {error.strerror}; "
                          "set SAYSO_DATA_DIR to a folder you can write") from error
    return folder
