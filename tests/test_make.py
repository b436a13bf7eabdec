"""sayso make, end to end: reopen the MP4 and look at it as a viewer would."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from measure import frames, measure

import sayso
from sayso.probe import probe

LINE = "Bob made a pie for me."


@pytest.fixture(scope="module")
def clip(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("make") / "astronaut.mp4"
    result = sayso.make(photos / "skimage_astronaut.png", f"She says '{LINE}'", out, captions=True,
                        duration=4.5)
    return result


def test_the_file_plays_in_a_browser(clip):
    info = probe(clip.video)
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")
    assert info.faststart
    assert (info.width, info.height) == (clip.width, clip.height) == (720, 720)
    assert info.num_frames == clip.num_frames == 108  # 4.5 s at 24 fps
    assert abs(info.video_duration - 4.5) < 1 / 24
    assert abs(info.audio_duration - info.video_duration) <= 1 / 24 + 0.022  # one frame + one AAC frame


def test_the_face_is_there_in_every_frame_and_the_mouth_talks(clip):
    video = frames(clip.video)
    faces = [measure(f) for f in video]  # raises NoFaceError if a face were lost
    t = (np.arange(len(video)) + 0.5) / 24.0
    start = clip.speech_start
    speaking = (t > start + 0.1) & (t < start + 1.4)
    silent = (t < start - 0.15) | (t > clip.duration - 0.6)
    mouth = np.array([f.mouth_open for f in faces])
    assert mouth[speaking].max() - mouth[silent].mean() > 0.08
    assert mouth[speaking].mean() > mouth[silent].mean() + 0.02
    centre = np.array([f.center for f in faces])
    assert np.ptp(centre, axis=0).max() < 0.25 * faces[0].iod  # moves a little, never drifts off


def test_at_least_one_blink(clip):
    eyes = np.array([measure(f).eye_open for f in frames(clip.video)])
    assert eyes.min() < 0.5 * np.median(eyes)


def test_captions_follow_the_words(clip):
    vtt = clip.captions.read_text()
    assert vtt.startswith("WEBVTT") and "Bob made a pie for me." in vtt
    first = vtt.split("\n\n")[1].splitlines()[0]
    start = first.split(" --> ")[0]
    h, m, s = start.split(":")
    assert abs(float(s) + 60 * int(m) - clip.speech_start) < 0.3


def test_same_inputs_and_seed_give_the_same_frames(photos, tmp_path, clip):
    again = sayso.make(photos / "skimage_astronaut.png", f"She says '{LINE}'", tmp_path / "again.mp4",
                       captions=True, duration=4.5)
    digest = lambda p: [hashlib.sha1(f.tobytes()).hexdigest() for f in frames(p)]  # noqa: E731
    assert digest(again.video) == digest(clip.video)


def test_another_seed_gives_other_life_but_the_same_speech(photos, tmp_path, clip):
    other = sayso.make(photos / "skimage_astronaut.png", f"She says '{LINE}'", tmp_path / "seed.mp4",
                       duration=4.5, seed=11)
    a, b = frames(clip.video), frames(other.video)
    assert len(a) == len(b) and any(not np.array_equal(x, y) for x, y in zip(a, b))


def test_silent_prompt_makes_a_five_second_idle_clip(photos, tmp_path):
    result = sayso.make(photos / "mpl_grace_hopper.jpg", "She looks around", tmp_path / "idle.mp4",
                        size="480p", aspect="16:9", fps=25)
    info = probe(result.video)
    assert (info.width, info.height, info.fps) == (854, 480, 25)
    assert info.num_frames == 125 and result.captions is None
    video = frames(result.video)
    assert not np.array_equal(video[0], video[60])  # breathing, glancing: alive


def test_group_photo_face_choice(photos, tmp_path):
    result = sayso.make(photos / "pyfeat_multi_face_5people.jpg", "", tmp_path / "g.mp4", face=1,
                        duration=1.0, size="480p")
    first = frames(result.video)[0]
    assert result.faces_found == 5 and measure(first).iod > 20


def test_a_cancel_during_the_threaded_render_leaves_nothing_behind(photos, tmp_path):
    import threading

    from sayso.errors import Cancelled

    rendered = []
    with pytest.raises(Cancelled):
        sayso.make(photos / "skimage_astronaut.png", f"She says '{LINE}'", tmp_path / "stopped.mp4",
                   size="480p", duration=4.5, on_frame=lambda i, frame: rendered.append(i),
                   should_stop=lambda: len(rendered) >= 10)
    assert 10 <= len(rendered) < 20  # stopped within the frames rendered ahead
    assert list(tmp_path.iterdir()) == []  # no video, no partial file, no recipe
    assert not [t for t in threading.enumerate() if t.name.startswith(("sayso-render", "sayso-encode"))]
