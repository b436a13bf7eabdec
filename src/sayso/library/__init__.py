"""The user's library: recipes of what they made, the photos they came from, and a
cache of what a remix can reuse."""

from .recipe import Recipe, file_hash, versions
from .store import Entry, Library

__all__ = ["Entry", "Library", "Recipe", "file_hash", "versions"]
