import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/measure.py

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "photos"


@pytest.fixture(scope="session")
def photos() -> Path:
    if not PHOTOS.is_dir():
        pytest.fail(f"the shared test photos are missing: expected {PHOTOS}")
    return PHOTOS
