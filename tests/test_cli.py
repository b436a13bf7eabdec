"""The sayso command as a user runs it: exit codes, one-line messages, nothing left behind."""

from __future__ import annotations

import json
import os
import pty
import signal
import struct
import sys
import time
import zlib
from pathlib import Path

import pytest
from shell import SAYSO, one_line_error, run

def huge_png(path: Path, width: int = 10000, height: int = 6000) -> Path:
    """A valid PNG header that claims 60 megapixels (the pixels are never decoded)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))  # noqa: E731
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("case, code, words", [
    ("missing", 3, "does not exist"),
    ("text", 4, "not an image"),
    ("truncated", 4, ""),
    ("huge", 5, "50,000,000"),
    ("landscape", 6, "no face"),
    ("tiny", 7, "80 px"),
])
def test_bad_photos_fail_with_their_own_code_and_leave_nothing(tmp_path, photos, case, code, words):
    photo = tmp_path / "photo.jpg"
    if case == "text":
        photo.write_text("this is not a picture")
    elif case == "truncated":
        photo.write_bytes((photos / "fr_obama_official_portrait.jpg").read_bytes()[:20000])
    elif case == "huge":
        photo = huge_png(tmp_path / "huge.png")
    elif case == "landscape":
        import numpy as np
        from PIL import Image
        Image.fromarray(np.tile(np.linspace(60, 200, 300, dtype=np.uint8)[:, None, None], (1, 400, 3))).save(photo)
    elif case == "tiny":
        photo = photos / "pillow_hopper_128px.png"
    out = tmp_path / "out.mp4"
    proc = run("make", str(photo), "He says 'hi'", "-o", str(out))
    assert proc.returncode == code, proc.stderr
    assert words.lower() in one_line_error(proc).lower()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mp4" or "partial" in p.name) == []


def test_unwritable_output_is_refused_before_any_work(tmp_path, photos):
    start = time.monotonic()
    proc = run("make", str(photos / "skimage_astronaut.png"), "He says 'hi'", "-o", str(tmp_path / "no" / "such" / "dir.mp4"))
    assert proc.returncode == 8
    assert "no/such" in one_line_error(proc)
    assert time.monotonic() - start < 5  # no model was loaded, no frame rendered


@pytest.mark.parametrize("args, code", [
    (["--size", "4k"], 2), (["--fps", "60"], 2), (["--voice", "robot"], 2), (["--face", "9"], 2),
    (["--duration", "0.1"], 2), (["-o", "out.avi"], 2),
])
def test_bad_options_exit_2_with_one_line(tmp_path, photos, args, code):
    proc = run("make", str(photos / "skimage_astronaut.png"), "He says 'hi'", *args, cwd=tmp_path)
    assert proc.returncode == code
    one_line_error(proc)


def test_prompt_too_long(tmp_path, photos):
    proc = run("make", str(photos / "skimage_astronaut.png"), "x" * 2001, "-o", str(tmp_path / "o.mp4"))
    assert proc.returncode == 9 and "2000" in one_line_error(proc)


def test_json_summary_and_quiet(tmp_path, photos):
    out = tmp_path / "a.mp4"
    proc = run("make", str(photos / "skimage_astronaut.png"), "She says 'Hello.'", "-o", str(out), "--json", "--size", "480p")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["video"] == str(out) and summary["width"] == 480 and summary["plan"]["lines"][0]["voice"] == "female"
    assert set(summary["timings"]) >= {"face", "speech", "render"}
    quiet = run("make", str(photos / "skimage_astronaut.png"), "--duration", "1", "-q", "-o", str(tmp_path / "q.mp4"), "--size", "480p")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_verbose_says_what_was_understood_and_ignored(tmp_path, photos):
    proc = run("make", str(photos / "skimage_astronaut.png"), "At night she smiles like a sphinx and says 'Hi.'",
               "-v", "--size", "480p", "-o", str(tmp_path / "v.mp4"))
    assert proc.returncode == 0, proc.stderr
    assert "scene: night" in proc.stderr and "ignored" in proc.stderr and "sphinx" in proc.stderr


def test_plan_prints_json_and_names_what_it_ignored():
    proc = run("plan", "She smiles like a sphinx and says 'I will always love you.'")
    assert proc.returncode == 0 and json.loads(proc.stdout)["lines"][0]["text"] == "I will always love you."
    assert "not understood: like sphinx" in proc.stderr


def test_an_edited_plan_renders_as_edited(tmp_path, photos):
    plan_file = tmp_path / "plan.json"
    assert run("plan", "She smiles and says 'Hi there.'", "-o", str(plan_file)).returncode == 0
    data = json.loads(plan_file.read_text())
    data["expressions"][0]["what"] = "sad"
    data["scene"], data["size"] = ["bw"], "480p"
    plan_file.write_text(json.dumps(data))
    out = tmp_path / "edited.mp4"
    proc = run("make", str(photos / "skimage_astronaut.png"), "--plan", str(plan_file), "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["plan"]["expressions"][0]["what"] == "sad" and summary["plan"]["scene"] == ["bw"]
    assert summary["height"] == 480 and out.stat().st_size > 0


@pytest.mark.parametrize("content, code, words", [
    (None, 3, "does not exist"), ("{not json", 2, "not valid JSON"), ('{"scene": ["lava"]}', 2, "lava"),
])
def test_a_bad_plan_file_exits_with_one_line(tmp_path, photos, content, code, words):
    plan_file = tmp_path / "plan.json"
    if content is not None:
        plan_file.write_text(content)
    out = tmp_path / "o.mp4"
    proc = run("make", str(photos / "skimage_astronaut.png"), "--plan", str(plan_file), "-o", str(out))
    assert proc.returncode == code and words in one_line_error(proc)
    assert not out.exists()


@pytest.mark.parametrize("args", [["--scene", "lava"], ["--camera", "orbit"], ["--expression", "bored"],
                                  ["--plan", "x.json", "She says 'hi'"]])
def test_bad_direction_options_exit_2(tmp_path, photos, args):
    extra = [] if "--plan" in args else ["She says 'hi'"]
    proc = run("make", str(photos / "skimage_astronaut.png"), *extra, *args, "-o", str(tmp_path / "o.mp4"))
    assert proc.returncode == 2
    one_line_error(proc)


def test_progress_bar_on_a_terminal_and_ctrl_c_leaves_nothing(tmp_path, photos):
    out = tmp_path / "long.mp4"
    pid, fd = pty.fork()
    if pid == 0:  # the child runs sayso on a terminal
        os.execv(sys.executable, SAYSO + ["make", str(photos / "fr_biden_official_portrait.jpg"), "",
                                          "--duration", "60", "-o", str(out)])
    seen = b""
    deadline = time.monotonic() + 90
    while b"render [" not in seen and time.monotonic() < deadline:
        try:
            seen += os.read(fd, 1024)
        except OSError:
            break
    assert b"render [" in seen  # the bar is drawn while frames render
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 30  # cancelling takes well under a second
    while (ended := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    status = ended[1]
    if ended[0] == 0:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("sayso did not stop within 30 s of Ctrl-C")
    rest = b""
    try:
        while True:
            chunk = os.read(fd, 1024)
            if not chunk:
                break
            rest += chunk
    except OSError:
        pass
    assert os.waitstatus_to_exitcode(status) == 130
    assert b"cancelled" in rest
    assert list(tmp_path.iterdir()) == []  # no video, no partial file


def test_voices_lists_every_voice_and_writes_a_sample(tmp_path):
    listed = run("voices", "--json")
    assert listed.returncode == 0, listed.stderr
    voices = {v["name"]: v for v in json.loads(listed.stdout)}
    assert set(voices) >= {"joe", "kumo", "alpha", "nezumi", "gongitsune", "tebukuro"}
    assert {v["gender"] for v in voices.values()} == {"male", "female"}
    assert all(set(v["languages"]) == {"en", "de", "fr"} for v in voices.values() if v["name"] != "joe")
    text = run("voices")
    assert text.returncode == 0 and "alpha" in text.stdout and "Je t'aimerai toujours" in text.stdout
    wav = tmp_path / "k.wav"
    made = run("voices", "--sample", "kumo", "--language", "de", "-o", str(wav))
    assert made.returncode == 0, made.stderr
    assert wav.read_bytes()[:4] == b"RIFF" and wav.stat().st_size > 24000 * 2  # over a second of 16-bit audio
    refused = run("voices", "--sample", "joe", "--language", "fr", "-o", str(tmp_path / "j.wav"))
    assert refused.returncode == 2 and "English only" in one_line_error(refused)
    assert not (tmp_path / "j.wav").exists() and not list(tmp_path.glob(".*"))


def test_a_french_line_is_spoken_in_french_by_a_female_voice(tmp_path, photos):
    out = tmp_path / "fr.mp4"
    proc = run("make", str(photos / "skimage_astronaut.png"), "Elle sourit et dit « Je t'aimerai toujours ».",
               "-v", "--size", "480p", "--captions", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "voice: female (" in proc.stderr and "language: French" in proc.stderr
    assert "Je t'aimerai toujours" in out.with_suffix(".vtt").read_text(encoding="utf-8")
    assert "Je t'aimerai toujours" in out.with_suffix(".srt").read_text(encoding="utf-8")
    wrong = run("make", str(photos / "skimage_astronaut.png"), "Elle dit « Bonjour ».", "--voice", "joe",
                "-o", str(tmp_path / "joe.mp4"))
    assert wrong.returncode == 2 and "English only" in one_line_error(wrong)
    assert not (tmp_path / "joe.mp4").exists()
