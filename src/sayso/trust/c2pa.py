"""A signed C2PA manifest inside each MP4, and reading it back.

`sign` embeds a manifest saying what made the video (sayso, from a photo, with a
trained model), from what (the photo, or the parent video of a remix), and how (the
recipe), signed with `sayso.trust.identity`. `read` reports whether a file carries one,
whether it is intact, and whether its signer chains to a root this machine trusts.

What c2pa does to the file: it inserts one top-level `uuid` box (the manifest store)
right after `ftyp` and shifts the chunk offsets in `moov`, so a faststart file stays
faststart (ftyp, uuid, moov, free, mdat). Its hash covers every box but `uuid`, `ftyp`,
`free`, `skip` and `mfra`, so any later remux or edit of the media breaks the manifest:
signing is the last thing that touches the file. Nothing here uses the network: no
timestamp authority, no OCSP, no remote manifests.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sayso.errors import BadOptionError, EncodeError, InputNotFoundError, OutputError
from sayso.encode import create_partial
from sayso.probe import is_faststart, top_level_boxes
from sayso.trust.identity import Identity, identity, signing_algorithm, trust_anchors

RECIPE_LABEL = "app.sayso.recipe"
"""Custom assertion {"recipe_json": "<the recipe dict as JSON text>"}: enough to render
the video again. Text, because c2pa 0.38 mangles a list of numbers in assertion data
(it came back as base64 bytes: [320, 240] -> "QPA=", i.e. [64, 240]; floats vanished)."""

LABEL_LABEL = "app.sayso.label"
"""Custom assertion {"visible_label": bool}: whether the frames carry the visible label."""

TRAINED_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

C2PA_BOX_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
"""The user type of the top-level `uuid` box that holds a C2PA manifest store in BMFF."""

_UNTRUSTED = "signingCredential.untrusted"  # intact but unknown signer: not a damage report

# Offline on purpose: never fetch a manifest, a revocation answer or a trust list.
_OFFLINE = {"remote_manifest_fetch": False, "ocsp_fetch": False}
_SIGN_SETTINGS = {
    "verify": _OFFLINE,
    # An ingredient thumbnail would embed the whole source photo (parts the crop left
    # out, other people in a group shot) in a file meant to be shared; it was also
    # 97% of the manifest (139 KB against 3.6 KB).
    "builder": {"thumbnail": {"enabled": False}},
}


@dataclass(frozen=True)
class Provenance:
    """What a video's C2PA manifest says, and whether to believe it."""

    present: bool  # the file carries a C2PA manifest
    valid: bool  # intact: signature and hashes check out (state Valid or Trusted)
    trusted: bool  # valid, and the signer chains to one of trust_anchors()
    state: str  # c2pa's verdict: "Trusted", "Valid", "Invalid"; "Absent" without manifest
    reason: str | None  # the first failure, "code: explanation"; None when trusted/absent
    title: str | None
    actions: tuple[str, ...]  # e.g. ("c2pa.created",) or ("c2pa.opened", "c2pa.edited")
    recipe: dict[str, Any] | None
    ingredients: tuple[str, ...]  # ingredient titles
    parent: str | None  # the parent video's title, for a remix
    signer: str | None  # the signing certificate's common name (else its issuer)
    visible_label: bool | None  # what the manifest says about the visible label


ABSENT = Provenance(
    present=False, valid=False, trusted=False, state="Absent", reason=None, title=None,
    actions=(), recipe=None, ingredients=(), parent=None, signer=None, visible_label=None,
)  # fmt: skip


# ---------------------------------------------------------------------------- sign


def sign(
    video: Path,
    *,
    title: str,
    recipe: dict[str, Any],
    ingredient: Path | None,
    ingredient_title: str,
    edited: bool,
    label: bool,
) -> None:
    """Embed a signed manifest into the MP4 at `video`, in place and atomically.

    A first render (`edited=False`) records `c2pa.created` by a trained model, with the
    source photo `ingredient` as its input; a remix (`edited=True`) records
    `c2pa.opened` on the parent video `ingredient`, then `c2pa.edited`. The file stays
    faststart and playable. Raises InputNotFoundError (no `video`), BadOptionError (bad
    arguments or a configured certificate c2pa refuses), OutputError (cannot write
    beside `video`), EncodeError (c2pa failed). Signing a signed file replaces its
    manifest; to keep history, sign the new file with the old one as `ingredient`.
    """
    # 1. Check the inputs before any work.
    video = Path(video)
    _check_sign_inputs(video, recipe, ingredient, edited)
    signer_identity = identity()
    # 2. c2pa keeps the box order it finds, so the input must already be faststart.
    if not is_faststart(video):
        _remux_faststart(video)
    # 3. Describe the video and sign it into a hidden file beside it.
    manifest = _manifest(title, recipe, edited, label, ingredient is not None)
    partial = create_partial(video, "c2pa", 0o600)
    try:
        _sign_into(partial, video, manifest, ingredient, ingredient_title, edited, signer_identity)
        # 4. Check what c2pa wrote, keep the original's permissions, swap it in.
        if not is_faststart(partial):
            raise EncodeError(f"signing {video} moved its index after the media; please report it")
        shutil.copymode(video, partial)
        os.replace(partial, video)
    except OSError as error:
        raise OutputError(f"cannot write the signed {video}: {error.strerror or error}; "
                          "free some disk space or choose another folder") from None
    finally:
        partial.unlink(missing_ok=True)


def _check_sign_inputs(
    video: Path, recipe: dict[str, Any], ingredient: Path | None, edited: bool
) -> None:
    if not video.is_file():
        raise InputNotFoundError(f"cannot sign {video}: no such file; render it first")
    if edited and ingredient is None:
        raise BadOptionError("a remix must name its parent video as the ingredient")
    if ingredient is not None and not Path(ingredient).is_file():
        raise InputNotFoundError(f"ingredient {ingredient} not found: give the source file")
    try:
        if not isinstance(recipe, dict):
            raise TypeError(f"got a {type(recipe).__name__}")
        json.dumps(recipe, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise BadOptionError(
            f"the recipe must be a dict of plain JSON data ({error}): convert it first"
        ) from None


def _manifest(
    title: str, recipe: dict[str, Any], edited: bool, label: bool, has_ingredient: bool
) -> dict[str, Any]:
    """The manifest definition c2pa's Builder takes (ingredients are added apart)."""
    from sayso import __version__

    agent = {"name": f"sayso {__version__}"}
    if edited:
        # The first action must be c2pa.created or c2pa.opened; "opened" links the
        # parent ingredient (labelled "parent" in _builder).
        actions = [
            {"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}},
            {"action": "c2pa.edited", "softwareAgent": agent, "digitalSourceType": TRAINED_MEDIA},
        ]
    else:
        created: dict[str, Any] = {
            "action": "c2pa.created", "softwareAgent": agent, "digitalSourceType": TRAINED_MEDIA,
        }  # fmt: skip
        if has_ingredient:
            created["parameters"] = {"ingredientIds": ["photo"]}
        actions = [created]
    return {
        "claim_generator_info": [{"name": "sayso", "version": __version__}],
        "title": title,
        "format": "video/mp4",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": RECIPE_LABEL, "data": {"recipe_json": json.dumps(recipe)}},
            {"label": LABEL_LABEL, "data": {"visible_label": bool(label)}},
        ],
    }


def _sign_into(
    partial: Path, video: Path, manifest: dict[str, Any], ingredient: Path | None,
    ingredient_title: str, edited: bool, ident: Identity,
) -> None:
    import c2pa

    try:
        builder = _builder(manifest, ingredient, ingredient_title, edited)
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(signing_algorithm(ident), ident.chain_pem, ident.key_pem, None)
        )  # ta_url None: no timestamp authority is contacted
        with open(video, "rb") as source, open(partial, "w+b") as dest:
            builder.sign(signer, "video/mp4", source, dest)
    except c2pa.C2paError as error:
        raise _signing_error(video, ident, error) from None


def _builder(
    manifest: dict[str, Any], ingredient: Path | None, title: str, edited: bool
) -> Any:
    """A c2pa Builder with the ingredient: the parent video of a remix (parentOf) or
    the source photo (inputTo: what a trained model was given).

    c2pa hashes the ingredient and carries a parent's own manifest over, so the history
    chains. A file it cannot parse (BMP, a PNG named .jpg, damage) is recorded by
    title and format only: the manifest still says what the video came from.
    """
    import c2pa

    context = c2pa.Context.from_dict(_SIGN_SETTINGS)
    if ingredient is None:
        return c2pa.Builder(manifest, context)
    relationship, ingredient_id = ("parentOf", "parent") if edited else ("inputTo", "photo")
    fmt = _mime_type(ingredient)
    definition = {"title": title, "format": fmt, "relationship": relationship,
                  "label": ingredient_id}  # fmt: skip
    builder = c2pa.Builder(manifest, context)
    try:
        with open(ingredient, "rb") as source:
            builder.add_ingredient(definition, fmt, source)
        return builder
    except c2pa.C2paError:
        builder.close()
    return c2pa.Builder({**manifest, "ingredients": [definition]}, context)


def _signing_error(video: Path, ident: Identity, error: Exception) -> Exception:
    if not ident.local:
        return BadOptionError(
            f"c2pa refused the certificate in SAYSO_SIGNING_CERT ({error}); use a chain "
            "whose signing certificate has the emailProtection or documentSigning key usage"
        )
    return EncodeError(f"could not sign {video}: {error}; please report it with the file")


def _mime_type(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _remux_faststart(video: Path) -> None:
    """Rewrite `video` with moov first (stream copy, no re-encode), in place."""
    import av

    partial = create_partial(video, "c2pa", 0o600)
    try:
        with av.open(str(video)) as source, av.open(
            str(partial), "w", format="mp4", options={"movflags": "+faststart"}
        ) as dest:
            streams = {s.index: dest.add_stream_from_template(s) for s in source.streams
                       if s.type in ("video", "audio")}  # fmt: skip
            for packet in source.demux(*(source.streams[i] for i in streams)):
                if packet.dts is None:
                    continue  # the demuxer's end-of-stream marker
                packet.stream = streams[packet.stream.index]
                dest.mux(packet)
        shutil.copymode(video, partial)
        os.replace(partial, video)
    finally:
        partial.unlink(missing_ok=True)


# ---------------------------------------------------------------------------- boxes


def _has_manifest_box(path: Path) -> bool:
    return any(kind == "uuid:" + C2PA_BOX_UUID.hex() for kind, _, _ in top_level_boxes(path))


# ---------------------------------------------------------------------------- read


def read(video: Path) -> Provenance:
    """What the manifest in `video` says, verified against trust_anchors().

    A file without a manifest gives present=False; a damaged one present=True,
    valid=False with the reason (its other fields are what the file claims, unproven).
    Raises InputNotFoundError only if the file cannot be opened (and BadOptionError
    for a broken SAYSO_SIGNING_CERT, whose root it trusts).
    """
    import c2pa

    video = Path(video)
    context = _reading_context(trust_anchors())
    try:
        with open(video, "rb") as file:
            reader = c2pa.Reader(_reader_format(video), file, None, context)
            store = json.loads(reader.json())
            state = reader.get_validation_state() or store.get("validation_state")
    except OSError as error:
        raise InputNotFoundError(f"cannot read {video}: {error.strerror}; check the path") from None
    except c2pa.C2paError as error:
        return _unreadable(video, error)
    return _provenance(store, state or "Invalid")


def _reading_context(anchors: bytes) -> Any:
    import c2pa

    settings: dict[str, Any] = {"verify": {**_OFFLINE, "verify_trust": True}}
    if anchors:
        settings["trust"] = {"user_anchors": anchors.decode("ascii")}
    return c2pa.Context.from_dict(settings)


def _reader_format(video: Path) -> str | None:
    """A MIME type for the usual extensions; None lets c2pa sniff the bytes."""
    return {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime"}.get(
        video.suffix.lower()
    )


def _unreadable(video: Path, error: Exception) -> Provenance:
    """No manifest at all, or one c2pa cannot even parse (then it is present, invalid)."""
    text = f"{type(error).__name__} {error}"
    if "ManifestNotFound" in text or not _has_manifest_box(video):
        return ABSENT
    return replace(ABSENT, present=True, state="Invalid", reason=str(error)[:300])


def _provenance(store: dict[str, Any], state: str) -> Provenance:
    manifest = store.get("manifests", {}).get(store.get("active_manifest"), {})
    assertions = {a.get("label"): a.get("data") for a in manifest.get("assertions", [])}
    actions = next(
        (data.get("actions", []) for label, data in assertions.items()
         if label and label.startswith("c2pa.actions")), [],
    )  # fmt: skip
    ingredients = manifest.get("ingredients", [])
    signature = manifest.get("signature_info", {})
    label_data = assertions.get(LABEL_LABEL) or {}
    return Provenance(
        present=True,
        valid=state in ("Valid", "Trusted"),
        trusted=state == "Trusted",
        state=state,
        reason=None if state == "Trusted" else _first_failure(store),
        title=manifest.get("title"),
        actions=tuple(action.get("action", "") for action in actions),
        recipe=_recipe(assertions.get(RECIPE_LABEL)),
        ingredients=tuple(i.get("title", "") for i in ingredients),
        parent=next(
            (i.get("title") for i in ingredients if i.get("relationship") == "parentOf"), None
        ),
        signer=signature.get("common_name") or signature.get("issuer"),
        visible_label=label_data.get("visible_label"),
    )


def _recipe(data: Any) -> dict[str, Any] | None:
    """The recipe back from its assertion; None when missing or not sayso's shape."""
    try:
        recipe = json.loads(data["recipe_json"])
    except (TypeError, KeyError, ValueError):
        return None
    return recipe if isinstance(recipe, dict) else None


def _first_failure(store: dict[str, Any]) -> str | None:
    """The failure that explains the verdict: real damage before "untrusted signer"."""
    statuses = store.get("validation_status") or []
    ordered = sorted(statuses, key=lambda status: status.get("code") == _UNTRUSTED)
    if not ordered:
        return None
    return f"{ordered[0].get('code')}: {ordered[0].get('explanation', '')}".rstrip(": ")
