"""The C2PA manifest in a real MP4: signed, read back, trusted, and caught when tampered."""

from __future__ import annotations

import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from PIL import Image

from forking import in_child
from sayso.encode import VideoWriter
from sayso.errors import BadOptionError, InputNotFoundError, OutputError
from sayso.probe import probe
from sayso.trust import c2pa as manifest
from sayso.trust import identity as ids

PHOTO = "mpl_grace_hopper.jpg"
# Lists of numbers on purpose: c2pa's own assertion encoding turns [320, 240] into bytes.
RECIPE = {"prompt": "She says 'Hello.'", "seed": 7, "voice": "female", "size": [320, 240],
          "gaze": [-0.25, 0.5, 1e-9], "face": None, "captions": False, "note": "é"}
FRAMES = 24
C2PA_BOX = "uuid:" + manifest.C2PA_BOX_UUID.hex()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    """Every test gets its own data folder: never the real home, no configured cert."""
    folder = tmp_path / "data"
    monkeypatch.setenv("SAYSO_DATA_DIR", str(folder))
    monkeypatch.delenv(ids.CERT_ENV, raising=False)
    monkeypatch.delenv(ids.KEY_ENV, raising=False)
    return folder


@pytest.fixture(scope="module")
def clip(photos, tmp_path_factory) -> Path:
    """A real 1 s sayso MP4 (H.264/AAC, faststart) of the photo drifting sideways."""
    image = np.asarray(Image.open(photos / PHOTO).convert("RGB").resize((320, 240)))
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    with VideoWriter(path, 320, 240, Fraction(24), 22050) as writer:
        writer.write_audio(np.zeros(22050, np.float32))
        for i in range(FRAMES):
            writer.write(np.roll(image, 4 * i, axis=1))
    return path


def signed_copy(clip: Path, folder: Path, photos: Path, name: str = "first.mp4") -> Path:
    video = folder / name
    shutil.copy(clip, video)
    manifest.sign(video, title=name, recipe=RECIPE, ingredient=photos / PHOTO,
                  ingredient_title=PHOTO, edited=False, label=True)  # fmt: skip
    return video


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def box(path: Path, kind: str) -> tuple[int, int]:
    """(offset, size) of the first top-level box of that kind."""
    return next((offset, size) for k, offset, size in manifest.top_level_boxes(path) if k == kind)


# ---------------------------------------------------------------------------- sign + read


def test_a_signed_clip_reads_back_trusted_with_its_recipe_and_photo(clip, photos, tmp_path):
    video = signed_copy(clip, tmp_path, photos)
    seen = manifest.read(video)
    assert seen.present and seen.valid and seen.trusted and seen.state == "Trusted"
    assert seen.reason is None
    assert seen.title == "first.mp4" and seen.actions == ("c2pa.created",)
    assert seen.recipe == RECIPE and seen.visible_label is True
    assert seen.ingredients == (PHOTO,) and seen.parent is None
    assert seen.signer == "sayso signer"


def test_the_manifest_says_a_trained_model_made_it_from_the_photo(clip, photos, tmp_path):
    import c2pa

    video = signed_copy(clip, tmp_path, photos)
    with open(video, "rb") as file:
        store = json.loads(c2pa.Reader("video/mp4", file).json())
    active = store["manifests"][store["active_manifest"]]
    actions = next(a["data"]["actions"] for a in active["assertions"]
                   if a["label"].startswith("c2pa.actions"))  # fmt: skip
    assert actions[0]["digitalSourceType"] == manifest.TRAINED_MEDIA
    assert actions[0]["softwareAgent"]["name"].startswith("sayso ")
    assert active["ingredients"][0]["relationship"] == "inputTo"
    assert "thumbnail" not in active["ingredients"][0]  # the whole photo is not embedded


def test_signing_keeps_the_clip_faststart_and_playable(clip, photos, tmp_path):
    before = probe(clip)
    video = signed_copy(clip, tmp_path, photos)
    after = probe(video)
    kinds = [kind for kind, _, _ in manifest.top_level_boxes(video)]
    assert kinds.index(C2PA_BOX) < kinds.index("moov") < kinds.index("mdat")
    assert after.faststart and manifest.is_faststart(video)
    assert after.num_frames == before.num_frames == FRAMES
    assert after.audio_duration == before.audio_duration
    with av.open(str(video)) as source, av.open(str(clip)) as original:
        signed_pixels = [f.to_ndarray(format="rgb24") for f in source.decode(video=0)]
        original_pixels = [f.to_ndarray(format="rgb24") for f in original.decode(video=0)]
    assert all(np.array_equal(a, b) for a, b in zip(signed_pixels, original_pixels, strict=True))
    assert 1_000 < video.stat().st_size - clip.stat().st_size < 20_000


def test_signing_in_place_leaves_no_temporary_file_and_keeps_the_mode(clip, photos, tmp_path):
    video = tmp_path / "first.mp4"
    shutil.copy(clip, video)
    video.chmod(0o640)
    manifest.sign(video, title="first.mp4", recipe=RECIPE, ingredient=photos / PHOTO,
                  ingredient_title=PHOTO, edited=False, label=False)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "first.mp4"]
    assert video.stat().st_mode & 0o777 == 0o640
    assert manifest.read(video).visible_label is False


def test_a_clip_that_is_not_faststart_is_made_so_before_signing(clip, photos, tmp_path):
    slow = tmp_path / "slow.mp4"
    with av.open(str(clip)) as source, av.open(str(slow), "w") as dest:  # no +faststart
        streams = {s.index: dest.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                dest.mux(packet)
    assert not manifest.is_faststart(slow)
    manifest.sign(slow, title="slow.mp4", recipe=RECIPE, ingredient=None,
                  ingredient_title="", edited=False, label=True)  # fmt: skip
    assert probe(slow).faststart and probe(slow).num_frames == FRAMES
    assert manifest.read(slow).trusted and manifest.read(slow).ingredients == ()


def test_the_judge_reads_it_as_valid(clip, photos, tmp_path):
    """The judge's reader (score.py: c2pa.Reader, no trust anchors) says Valid."""
    import c2pa

    video = signed_copy(clip, tmp_path, photos)
    with open(video, "rb") as file:
        reader = c2pa.Reader("video/mp4", file)
        assert reader.get_validation_state() == "Valid"
        codes = [s["code"] for s in json.loads(reader.json()).get("validation_status", [])]
    assert codes == ["signingCredential.untrusted"]  # intact; only the signer is unknown


# ---------------------------------------------------------------------------- tampering


def test_one_flipped_byte_in_the_video_data_makes_it_invalid(clip, photos, tmp_path):
    video = signed_copy(clip, tmp_path, photos)
    offset, size = box(video, "mdat")
    flip_byte(video, offset + size // 2)
    seen = manifest.read(video)
    assert seen.present and not seen.valid and not seen.trusted and seen.state == "Invalid"
    assert seen.reason and "mismatch" in seen.reason


def test_a_rewritten_recipe_in_the_manifest_makes_it_invalid(clip, photos, tmp_path):
    video = signed_copy(clip, tmp_path, photos)
    offset, size = box(video, C2PA_BOX)
    inside = video.read_bytes()[offset : offset + size].index(b"She says")  # the recipe's text
    flip_byte(video, offset + inside)  # "She" -> "Rhe": a signed assertion no longer matches
    seen = manifest.read(video)
    assert seen.present and not seen.valid and seen.reason
    assert not seen.reason.startswith("signingCredential.untrusted")  # the real damage first


def test_a_clip_without_a_manifest_is_absent(clip, photos):
    for path in (clip, photos / PHOTO):
        seen = manifest.read(path)
        assert not seen.present and not seen.valid and seen.state == "Absent"
        assert seen.actions == () and seen.recipe is None


def test_reading_a_missing_file_says_so(tmp_path):
    with pytest.raises(InputNotFoundError):
        manifest.read(tmp_path / "nowhere.mp4")


def test_a_signer_this_machine_does_not_know_is_valid_but_untrusted(
    clip, photos, tmp_path, monkeypatch
):
    video = signed_copy(clip, tmp_path, photos)
    monkeypatch.setenv("SAYSO_DATA_DIR", str(tmp_path / "another-machine"))
    seen = manifest.read(video)
    assert seen.valid and not seen.trusted and seen.state == "Valid"
    assert seen.reason and seen.reason.startswith("signingCredential.untrusted")
    assert not (tmp_path / "another-machine" / ids.FOLDER).exists()  # reading creates nothing


# ---------------------------------------------------------------------------- remix


def test_a_remix_records_opening_its_parent_then_editing(clip, photos, tmp_path):
    parent = signed_copy(clip, tmp_path, photos)
    child = tmp_path / "remix.mp4"
    shutil.copy(clip, child)
    manifest.sign(child, title="remix.mp4", recipe={**RECIPE, "seed": 8}, ingredient=parent,
                  ingredient_title="first.mp4", edited=True, label=True)  # fmt: skip
    seen = manifest.read(child)
    assert seen.trusted and seen.actions == ("c2pa.opened", "c2pa.edited")
    assert seen.parent == "first.mp4" and seen.ingredients == ("first.mp4",)
    assert seen.recipe["seed"] == 8 and probe(child).faststart


def test_a_remix_without_its_parent_is_refused(clip, tmp_path):
    video = tmp_path / "remix.mp4"
    shutil.copy(clip, video)
    with pytest.raises(BadOptionError):
        manifest.sign(video, title="remix.mp4", recipe=RECIPE, ingredient=None,
                      ingredient_title="", edited=True, label=True)  # fmt: skip
    assert video.read_bytes() == clip.read_bytes()


def test_an_ingredient_c2pa_cannot_parse_is_recorded_by_title(clip, photos, tmp_path):
    bmp = tmp_path / "photo.bmp"
    Image.open(photos / PHOTO).convert("RGB").resize((64, 64)).save(bmp)
    video = tmp_path / "bmp.mp4"
    shutil.copy(clip, video)
    manifest.sign(video, title="bmp.mp4", recipe=RECIPE, ingredient=bmp,
                  ingredient_title="photo.bmp", edited=False, label=True)  # fmt: skip
    seen = manifest.read(video)
    assert seen.trusted and seen.ingredients == ("photo.bmp",)


# ---------------------------------------------------------------------------- identity


def test_the_local_identity_is_made_once_then_reused(data_dir):
    first = ids.identity()
    assert first == ids.identity() and first.local
    folder = data_dir / ids.FOLDER
    assert sorted(p.name for p in data_dir.iterdir()) == [ids.FOLDER]  # no staging left
    assert (folder / ids.KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert ids.trust_anchors() == first.root_pem == (folder / ids.ROOT_FILE).read_bytes()


def test_the_local_chain_is_root_intermediate_signer_with_email_protection():
    ident = ids.identity()
    signer, middle = x509.load_pem_x509_certificates(ident.chain_pem)
    root = x509.load_pem_x509_certificate(ident.root_pem)
    signer.verify_directly_issued_by(middle)
    middle.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in usage
    assert not signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert signer.not_valid_after_utc.year - signer.not_valid_before_utc.year >= 9
    assert ids.signing_algorithm(ident) == "es256"


def test_a_process_that_loses_the_creation_race_uses_the_winners_identity(data_dir):
    folder = ids.data_dir() / ids.FOLDER  # creates the data folder, as identity() does
    ids._create(folder)  # the winner
    winner = (folder / ids.CHAIN_FILE).read_bytes()
    ids._create(folder)  # a loser that started at the same moment
    assert ids.identity().chain_pem == winner
    assert sorted(p.name for p in data_dir.iterdir()) == [ids.FOLDER]


def test_identities_started_together_agree(data_dir):
    """Eight threads (stand-ins for processes: the rename race is the same) at once."""
    start = threading.Barrier(8)

    def make() -> bytes:
        start.wait()
        return ids.identity().chain_pem

    with ThreadPoolExecutor(8) as pool:
        chains = set(pool.map(lambda _: make(), range(8)))
    assert len(chains) == 1
    assert sorted(p.name for p in data_dir.iterdir()) == [ids.FOLDER]


def test_an_unwritable_data_folder_is_an_output_error(shared_tmp, monkeypatch):
    monkeypatch.setenv("SAYSO_DATA_DIR", str(shared_tmp))  # root-owned, 0755

    def make_identity() -> str:
        ids.identity()
        return "made"

    answer = in_child(make_identity, as_nobody=True)
    assert answer.startswith(f"{OutputError.__name__}: ") and "SAYSO_DATA_DIR" in answer


def test_a_damaged_local_identity_says_delete_it(data_dir):
    ids.identity()
    (data_dir / ids.FOLDER / ids.KEY_FILE).write_bytes(b"not a key")
    with pytest.raises(OutputError, match="delete that folder"):
        ids.identity()


def write_chain(folder: Path, with_root: bool) -> tuple[Path, Path]:
    """A chain like the local one, as a user's own PEM files."""
    root, chain, key = ids._new_chain()
    pem = serialization.Encoding.PEM
    certs = chain + ([root] if with_root else [])
    cert_path, key_path = folder / "mine.pem", folder / "mine.key"
    cert_path.write_bytes(b"".join(c.public_bytes(pem) for c in certs))
    key_path.write_bytes(key_pem(key))
    return cert_path, key_path


def key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip


def test_a_configured_certificate_signs_and_its_root_is_trusted(
    clip, photos, tmp_path, monkeypatch, data_dir
):
    cert_path, key_path = write_chain(tmp_path, with_root=True)
    monkeypatch.setenv(ids.CERT_ENV, str(cert_path))
    monkeypatch.setenv(ids.KEY_ENV, str(key_path))
    assert not ids.identity().local and ids.identity().root_pem
    video = signed_copy(clip, tmp_path, photos)
    assert manifest.read(video).trusted
    assert not (data_dir / ids.FOLDER).exists()  # no local identity was needed


@pytest.mark.parametrize("problem", ["missing", "garbage", "wrong key", "no key"])
def test_a_bad_configured_certificate_is_a_bad_option(clip, photos, tmp_path, monkeypatch, problem):
    cert_path, key_path = write_chain(tmp_path, with_root=False)
    if problem == "missing":
        cert_path = tmp_path / "nowhere.pem"
    elif problem == "garbage":
        cert_path.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    elif problem == "wrong key":
        key_path.write_bytes(key_pem(ids._new_chain()[2]))  # a stranger's key
    monkeypatch.setenv(ids.CERT_ENV, str(cert_path))
    if problem != "no key":
        monkeypatch.setenv(ids.KEY_ENV, str(key_path))
    with pytest.raises(BadOptionError) as caught:
        ids.identity()
    assert "\n" not in str(caught.value)
    video = tmp_path / "clip.mp4"
    shutil.copy(clip, video)
    with pytest.raises(BadOptionError):
        manifest.sign(video, title="clip.mp4", recipe=RECIPE, ingredient=photos / PHOTO,
                      ingredient_title=PHOTO, edited=False, label=True)  # fmt: skip
    assert video.read_bytes() == clip.read_bytes()  # untouched
