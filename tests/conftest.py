import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/measure.py

# The library, cache and signing identity of a test run live in a folder of its own
# (subprocesses inherit it): tests never read or write the user's data folder.
os.environ["SAYSO_DATA_DIR"] = tempfile.mkdtemp(prefix="sayso-test-data-")

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "photos"


@pytest.fixture(scope="session")
def photos() -> Path:
    if not PHOTOS.is_dir():
        pytest.fail(f"the shared test photos are missing: expected {PHOTOS}")
    return PHOTOS


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder anyone may enter but only root may write (pytest's tmp_path is 0700),
    for tests that drop to another user."""
    folder = Path(tempfile.mkdtemp(prefix="sayso-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
