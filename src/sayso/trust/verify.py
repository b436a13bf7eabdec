"""verify: what a video says about itself. Its C2PA manifest (present, valid, trusted
by the local root), its invisible watermark (found, and does it match the manifest and
a library entry), and its lineage. Works on any file; never trusts what it reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import InputNotFoundError

# exit codes a script can use (0 = a sayso video, intact, signed by this machine's identity)
VERIFIED = 0
NO_PROVENANCE = 20  # neither a manifest nor a sayso watermark
TAMPERED = 21  # a manifest that does not validate, or a watermark that contradicts it
MANIFEST_MISSING = 22  # the watermark says sayso made it, but its manifest was stripped
UNTRUSTED = 23  # a valid manifest signed by an identity this machine does not trust


@dataclass(frozen=True)
class Report:
    video: str
    verdict: str  # one line for a person
    code: int
    manifest_present: bool
    manifest_valid: bool
    manifest_trusted: bool
    manifest_reason: str | None
    manifest_actions: tuple[str, ...]
    recipe_id: str | None  # from the manifest
    watermark: str | None  # payload hex, if found
    watermark_confidence: float | None
    watermark_matches_manifest: bool | None
    in_library: bool
    label: bool | None  # the visible label, as the manifest records it
    lineage: tuple[str, ...]  # recipe ids, this video first, then its parents

    def to_dict(self) -> dict:
        return asdict(self)


def verify(video: str | Path) -> Report:
    from ..library import Library, Recipe
    from . import c2pa, watermark

    video = Path(video)
    if not video.is_file():
        raise InputNotFoundError(f"{video} does not exist: check the path")
    found = c2pa.read(video)
    reading = watermark.read_video(video)
    recipe = Recipe.from_dict(found.recipe) if found.present and found.recipe else None
    library = Library()
    recipe_id = recipe.id if recipe else None
    entry = library.get(recipe_id) if recipe_id else (library.by_payload(reading.payload) if reading else None)
    matches = None if reading is None or recipe is None else reading.payload == recipe.payload
    lineage = tuple(e.id for e in library.lineage(entry.id)) if entry else ()
    if not lineage and recipe is not None:
        lineage = (recipe_id,) + ((recipe.parent,) if recipe.parent else ())
    code, verdict = _verdict(found, reading, matches)
    return Report(str(video), verdict, code, found.present, found.valid, found.trusted, found.reason,
                  tuple(found.actions), recipe_id, reading.payload.hex() if reading else None,
                  round(reading.confidence, 3) if reading else None, matches, entry is not None,
                  recipe.label if recipe else None, lineage)


def _verdict(found, reading, matches) -> tuple[int, str]:
    if not found.present and reading is None:
        return NO_PROVENANCE, "no sayso provenance found"
    if found.present and not found.valid:
        mark = "; its watermark still says sayso made it" if reading is not None else ""
        return TAMPERED, f"tampered: the manifest does not validate ({found.reason}){mark}"
    if matches is False:
        return TAMPERED, "tampered: the watermark and the manifest name different recipes"
    if not found.present:
        return MANIFEST_MISSING, "made by sayso (watermark), but its manifest was removed"
    if not found.trusted:
        return UNTRUSTED, f"intact, but signed by {found.signer or 'an unknown signer'}, not this machine's sayso"
    if reading is None:
        return VERIFIED, "made by sayso, intact and signed (the watermark was not read: too short or re-edited)"
    return VERIFIED, "made by sayso, intact and signed; the watermark matches"
