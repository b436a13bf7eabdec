"""Trust end to end: every video is labelled, watermarked, signed and in the library;
remix reuses what did not change and records its parent; verify tells a sayso video,
a tampered one and a stranger apart."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from measure import frames

import sayso
from sayso.library import Library
from sayso.pipeline import remix
from sayso.probe import probe
from sayso.trust import verify as verdicts
from sayso.trust.label import Label
from sayso.trust.verify import verify

SAYSO = [sys.executable, "-m", "sayso.cli"]
LINE = "I will always love you."


@pytest.fixture(scope="module")
def made(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("trust") / "love.mp4"
    return sayso.make(photos / "skimage_astronaut.png", f"She says '{LINE}'", out, size="480p")


def test_a_video_is_signed_watermarked_recorded_and_still_plays(made):
    report = verify(made.video)
    assert report.code == verdicts.VERIFIED, report.verdict
    assert report.manifest_valid and report.manifest_trusted and report.watermark_matches_manifest
    assert report.recipe_id == made.recipe.id and report.in_library and report.label is True
    assert "c2pa.created" in report.manifest_actions
    assert probe(made.video).faststart and len(frames(made.video)) == made.num_frames
    side = json.loads(made.sidecar.read_text())
    assert side["id"] == made.recipe.id and side["plan"]["lines"][0]["text"] == LINE
    assert Library().get(made.recipe.id).video == made.video.resolve()


def test_the_visible_label_is_in_the_corner_unless_turned_off(photos, made, tmp_path):
    bare = sayso.make(photos / "skimage_astronaut.png", f"She says '{LINE}'", tmp_path / "bare.mp4", size="480p",
                      label=False)
    marked, plain = frames(made.video)[5].astype(int), frames(bare.video)[5].astype(int)
    h, w = marked.shape[:2]
    pill = Label.for_frame(w, h)
    ph, pw = pill.alpha.shape[:2]
    assert pill.x > w / 2 and pill.y > 0.85 * h and ph < 0.05 * h  # small, bottom right
    inside = np.abs(marked - plain)[pill.y:pill.y + ph, pill.x:pill.x + pw].mean()
    rest = np.abs(marked - plain)[: h // 2].mean()  # differs by the watermark alone (other payload)
    assert inside > 20 and inside > 5 * rest
    assert verify(bare.video).label is False


def test_the_same_recipe_renders_the_same_frames(photos, made, tmp_path):
    again = sayso.make(photos / "skimage_astronaut.png", f"She says '{LINE}'", tmp_path / "again.mp4", size="480p")
    assert again.recipe.id == made.recipe.id
    assert all(np.array_equal(a, b) for a, b in zip(frames(again.video), frames(made.video)))


def test_a_words_only_remix_reuses_the_face_and_records_its_parent(made, tmp_path):
    result = remix(made.video, tmp_path / "cringe.mp4", say="You are so cringe.", expression="angry from 1.5s")
    assert result.plan.line == "You are so cringe." and result.plan.voice == made.plan.voice
    assert result.plan.expressions[0].what == "angry" and result.recipe.parent == made.recipe.id
    assert result.timings["face"] < 0.2 * made.timings["face"] + 0.05  # the analysis came from the cache
    report = verify(result.video)
    assert report.code == verdicts.VERIFIED and "c2pa.edited" in report.manifest_actions
    assert report.lineage[:2] == (result.recipe.id, made.recipe.id)


def test_a_voice_and_scene_remix_keeps_the_words(made, tmp_path):
    result = remix(made.video, tmp_path / "snow.mp4", voice="male", scene=("snow",))
    assert result.plan.line == LINE and result.plan.voice == "male"
    assert result.plan.scene == ("snow",) and result.plan.ambience == ("wind",)


def test_changed_frames_show_as_tampered_while_the_watermark_still_says_sayso(made, tmp_path):
    data = bytearray(made.video.read_bytes())
    mdat = data.find(b"mdat")
    middle = mdat + (len(data) - mdat) // 2
    for k in range(8):  # scribble over a little of one frame's coded data
        data[middle + 11 * k] ^= 0x5A
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(bytes(data))
    report = verify(tampered)
    assert report.code == verdicts.TAMPERED and not report.manifest_valid
    assert report.watermark == made.recipe.payload.hex()


def test_a_video_sayso_did_not_make_has_no_provenance(photos, tmp_path):
    from sayso.encode import VideoWriter
    from fractions import Fraction
    import cv2

    still = cv2.resize(sayso.photo.load_photo(photos / "fr_biden_official_portrait.jpg"), (480, 480))
    stranger = tmp_path / "download.mp4"
    with VideoWriter(stranger, 480, 480, Fraction(24), 22050) as writer:
        writer.write_audio(np.zeros(22050, np.float32))
        for _ in range(24):
            writer.write(still)
    report = verify(stranger)
    assert report.code == verdicts.NO_PROVENANCE and report.verdict == "no sayso provenance found"
    with pytest.raises(sayso.SaysoError, match="no sayso recipe"):
        remix(stranger, tmp_path / "r.mp4", say="hi")


def test_the_command_line_verifies_remixes_and_lists(made, tmp_path):
    out = tmp_path / "cli-remix.mp4"
    proc = subprocess.run(SAYSO + ["remix", str(made.video), "--say", "See you soon.", "-o", str(out), "-q"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(SAYSO + ["verify", str(out)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "matches the manifest" in proc.stdout and "lineage" in proc.stdout
    proc = subprocess.run(SAYSO + ["verify", str(out), "--json"], capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout)["lineage"][1] == made.recipe.id
    listed = subprocess.run(SAYSO + ["library", "--json"], capture_output=True, text=True, timeout=60)
    entries = json.loads(listed.stdout)
    assert entries[0]["video"] == str(out.resolve()) and entries[0]["parent"] == made.recipe.id
    missing = subprocess.run(SAYSO + ["verify", str(tmp_path / "nope.mp4")], capture_output=True, text=True)
    assert missing.returncode == 3 and missing.stderr.startswith("sayso: ")
