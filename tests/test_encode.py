"""VideoWriter / check_output / probe: write real MP4s, reopen them with PyAV."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from forking import in_child

from sayso.encode import AUDIO_RATE, VideoWriter, check_output
from sayso.probe import probe
from sayso.errors import BadOptionError, EncodeError, OutputError

W, H = 96, 64  # small frames keep each file well under a second


def tone(seconds: float, rate: int, hz: float = 440.0) -> np.ndarray:
    """(n,) float32 in [-1, 1]: a quiet sine."""
    t = np.arange(round(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def moving_frame(index: int, width: int = W, height: int = H) -> np.ndarray:
    """(height, width, 3) uint8 RGB: a white bar that moves one step per frame."""
    frame = np.zeros((height, width, 3), np.uint8)
    frame[..., 2] = 90
    x = (index * 4) % width
    frame[:, x : x + 4] = 255
    return frame


def write_clip(
    path: Path, num_frames: int, fps: Fraction, audio: np.ndarray | None, rate: int = 22_050
) -> Path:
    with VideoWriter(path, W, H, fps, rate) as writer:
        if audio is not None:
            writer.write_audio(audio)
        for index in range(num_frames):
            writer.write(moving_frame(index))
    return path


def assert_one_line(error: pytest.ExceptionInfo[BaseException], path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    return message


# ------------------------------------------------------------------- what comes out


def test_streams_are_h264_yuv420p_and_aac_with_faststart(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "clip.mp4", 30, Fraction(25), tone(1.2, 22_050))
    info = probe(path)
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")
    assert (info.width, info.height) == (W, H)
    assert info.num_frames == 30 and info.fps == 25
    assert info.sample_rate == AUDIO_RATE
    assert info.faststart
    assert info.video_duration == pytest.approx(30 / 25)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


@pytest.mark.parametrize("fps", [24, 25, 30, Fraction(30_000, 1001)], ids=str)
@pytest.mark.parametrize("audio_share", [0.5, 1.0, 1.5], ids=["short", "equal", "long"])
def test_audio_ends_with_the_video(tmp_path: Path, fps: int | Fraction, audio_share: float) -> None:
    num_frames = 37  # not a multiple of any AAC or fps period
    seconds = float(num_frames / Fraction(fps))
    path = write_clip(tmp_path / "clip.mp4", num_frames, Fraction(fps), tone(seconds * audio_share, 16_000))
    info = probe(path)
    assert info.num_frames == num_frames
    assert info.video_duration == pytest.approx(seconds, abs=1e-6)
    assert abs(info.audio_duration - info.video_duration) <= 1 / float(fps)
    with av.open(str(path)) as container:
        # The edit list (what most players show) trims AAC priming and padding; the
        # MP4 muxer stores its length in the movie timescale, milliseconds.
        audio = container.streams.audio[0]
        assert abs(float(audio.duration * audio.time_base) - seconds) <= 0.001


def test_frame_i_is_shown_at_i_over_fps(tmp_path: Path) -> None:
    fps = Fraction(30_000, 1001)
    path = write_clip(tmp_path / "ntsc.mp4", 20, fps, None)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = sorted(Fraction(frame.pts) * stream.time_base for frame in container.decode(stream))
    assert times == [index / fps for index in range(20)]


def test_sound_and_picture_are_in_sync(tmp_path: Path) -> None:
    """A beep at 1.0 s and a white frame at 1.0 s must come out together."""
    rate, fps = 22_050, Fraction(25)
    audio = np.zeros(2 * rate, np.float32)
    audio[rate : rate + rate // 50] = 0.8 * np.sin(np.arange(rate // 50) * 2 * np.pi * 1000 / rate)
    path = tmp_path / "sync.mp4"
    with VideoWriter(path, W, H, fps, rate) as writer:
        for index in range(50):
            writer.write(np.full((H, W, 3), 255 if index == 25 else 0, np.uint8))
            if index == 10:
                writer.write_audio(audio)  # late audio still starts at 0
    with av.open(str(path)) as container:
        flashes = [
            float(frame.time)
            for frame in container.decode(video=0)
            if frame.to_ndarray(format="gray").mean() > 128
        ]
    with av.open(str(path)) as container:
        decoded = [frame for frame in container.decode(audio=0)]
        start = float(decoded[0].time)
        samples = np.concatenate([frame.to_ndarray().reshape(-1) for frame in decoded])
    beep = start + int(np.argmax(np.abs(samples) > 0.2)) / AUDIO_RATE
    assert flashes == [1.0]
    assert abs(beep - 1.0) < 0.005


def test_no_audio_gives_a_silent_track_of_the_right_length(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "quiet.mp4", 25, Fraction(25), None)
    info = probe(path)
    assert info.audio_codec == "aac"
    assert abs(info.audio_duration - 1.0) <= 1 / 25
    with av.open(str(path)) as container:
        peak = max(np.abs(frame.to_ndarray()).max() for frame in container.decode(audio=0))
    assert peak < 1e-3


def test_audio_at_48k_is_not_resampled(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "48k.mp4", 25, Fraction(25), tone(1.0, AUDIO_RATE), AUDIO_RATE)
    info = probe(path)
    assert info.sample_rate == AUDIO_RATE and abs(info.audio_duration - 1.0) <= 1 / 25


def test_colours_survive_and_are_tagged_bt709(tmp_path: Path) -> None:
    colours = [(200, 150, 120), (230, 30, 30), (30, 200, 60), (40, 40, 220), (128, 128, 128)]
    path = tmp_path / "colours.mp4"
    with VideoWriter(path, W, H, Fraction(25), AUDIO_RATE, crf=10) as writer:
        for colour in colours:
            writer.write(np.full((H, W, 3), colour, np.uint8))
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    assert [(f.colorspace, f.color_range) for f in frames] == [(1, 1)] * len(colours)
    for frame, colour in zip(frames, colours):
        centre = frame.to_ndarray(format="rgb24")[H // 2, W // 2].astype(int)
        assert np.abs(centre - colour).max() <= 4, (colour, centre)


def test_metadata_is_written(tmp_path: Path) -> None:
    path = tmp_path / "tagged.mp4"
    tags = {"comment": "made by sayso", "title": "Hello"}
    with VideoWriter(path, W, H, Fraction(25), AUDIO_RATE, metadata=tags) as writer:
        writer.write(moving_frame(0))
    with av.open(str(path)) as container:
        assert {k: container.metadata.get(k) for k in tags} == tags


def test_custom_metadata_keys_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "custom.mp4"
    tags = {"comment": "c", "sayso_recipe": '{"seed": 7}'}
    with VideoWriter(path, W, H, Fraction(25), AUDIO_RATE, metadata=tags) as writer:
        writer.write(moving_frame(0))
    with av.open(str(path)) as container:
        assert {k: container.metadata.get(k) for k in tags} == tags
    assert probe(path).faststart


def test_overwrites_an_existing_file_only_when_done(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    path.write_bytes(b"old")
    write_clip(path, 5, Fraction(25), None)
    assert probe(path).num_frames == 5


def test_frames_may_be_reused_after_write(tmp_path: Path) -> None:
    path = tmp_path / "reuse.mp4"
    buffer = np.zeros((H, W, 3), np.uint8)
    with VideoWriter(path, W, H, Fraction(25), AUDIO_RATE) as writer:
        for value in (0, 255):
            buffer[...] = value
            writer.write(buffer)
    with av.open(str(path)) as container:
        means = [frame.to_ndarray(format="gray").mean() for frame in container.decode(video=0)]
    assert means[0] < 20 and means[1] > 235


def test_probe_sees_a_file_without_faststart(tmp_path: Path) -> None:
    path = tmp_path / "plain.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for index in range(3):
            frame = av.VideoFrame.from_ndarray(moving_frame(index), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    info = probe(path)
    assert not info.faststart and info.audio_codec is None and info.num_frames == 3


# ------------------------------------------------------------------- failure leaves nothing


@pytest.mark.parametrize("raised", [RuntimeError, KeyboardInterrupt])
def test_exception_mid_write_removes_the_partial_file(
    tmp_path: Path, raised: type[BaseException]
) -> None:
    path = tmp_path / "out.mp4"
    with pytest.raises(raised):
        with VideoWriter(path, W, H, Fraction(25), AUDIO_RATE) as writer:
            writer.write_audio(tone(2.0, AUDIO_RATE))
            for index in range(20):
                writer.write(moving_frame(index))
            assert any(p.name.startswith(".out.mp4.partial-") for p in tmp_path.iterdir())
            raise raised("render failed")
    assert list(tmp_path.iterdir()) == []


def test_failure_leaves_an_existing_target_untouched(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    path.write_bytes(b"previous video")
    with pytest.raises(RuntimeError):
        with VideoWriter(path, W, H, Fraction(25), AUDIO_RATE) as writer:
            writer.write(moving_frame(0))
            raise RuntimeError("render failed")
    assert path.read_bytes() == b"previous video"
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_wrong_frame_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with pytest.raises(BadOptionError) as error:
        with VideoWriter(path, W, H, Fraction(25), AUDIO_RATE) as writer:
            writer.write(np.zeros((H, W, 3), np.float32))
    assert "expected (64, 96, 3) uint8" in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_no_frames_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EncodeError):
        with VideoWriter(tmp_path / "out.mp4", W, H, Fraction(25), AUDIO_RATE):
            pass
    assert list(tmp_path.iterdir()) == []


def test_audio_given_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadOptionError):
        with VideoWriter(tmp_path / "out.mp4", W, H, Fraction(25), AUDIO_RATE) as writer:
            writer.write_audio(tone(0.1, AUDIO_RATE))
            writer.write_audio(tone(0.1, AUDIO_RATE))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "audio",
    [np.zeros((2, 100), np.float32), np.zeros(100, np.int16), np.array([0.0, np.nan], np.float32)],
    ids=["stereo", "int16", "nan"],
)
def test_bad_audio_is_refused(tmp_path: Path, audio: np.ndarray) -> None:
    with pytest.raises(BadOptionError):
        with VideoWriter(tmp_path / "out.mp4", W, H, Fraction(25), AUDIO_RATE) as writer:
            writer.write_audio(audio)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "options",
    [
        {"width": 95},
        {"height": 63},
        {"width": 0},
        {"fps": 29.97},
        {"fps": Fraction(0)},
        {"sample_rate": 100},
        {"crf": 60},
        {"preset": "turbo"},
        {"metadata": {"comment": 7}},
    ],
    ids=lambda options: next(iter(options)),
)
def test_bad_options_are_refused_before_any_file_exists(tmp_path: Path, options: dict) -> None:
    arguments = {"width": W, "height": H, "fps": Fraction(25), "sample_rate": AUDIO_RATE}
    arguments |= options
    with pytest.raises(BadOptionError):
        VideoWriter(tmp_path / "out.mp4", **arguments)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------- check_output


def test_check_output_resolves_a_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert check_output("out.mp4") == tmp_path.resolve() / "out.mp4"
    assert list(tmp_path.iterdir()) == []  # the write probe cleaned up after itself


def test_check_output_accepts_upper_case_extension(tmp_path: Path) -> None:
    assert check_output(tmp_path / "OUT.MP4").name == "OUT.MP4"


def test_check_output_refuses_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "out.mp4"
    folder.mkdir()
    with pytest.raises(OutputError) as error:
        check_output(folder)
    assert "directory" in assert_one_line(error, folder)


@pytest.mark.parametrize("name", ["out.mov", "out", "out.mp4.txt"])
def test_check_output_refuses_other_extensions(tmp_path: Path, name: str) -> None:
    with pytest.raises(BadOptionError) as error:
        check_output(tmp_path / name)
    assert ".mp4" in assert_one_line(error, tmp_path / name)


def test_check_output_refuses_a_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "out.mp4"
    with pytest.raises(OutputError) as error:
        check_output(path)
    assert "does not exist" in assert_one_line(error, path.parent)


def test_check_output_refuses_a_path_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    path = tmp_path / "file" / "out.mp4"
    with pytest.raises(OutputError) as error:
        check_output(path)
    assert "is a file, not a folder" in assert_one_line(error, path.parent)


def test_check_output_refuses_a_folder_nothing_can_be_created_in() -> None:
    # /proc exists and is a directory, but even root cannot create files in it.
    with pytest.raises(OutputError) as error:
        check_output("/proc/out.mp4")
    assert_one_line(error, Path("/proc/out.mp4"))


def test_check_output_refuses_a_folder_without_write_permission(shared_tmp: Path) -> None:
    def check() -> str:
        return str(check_output(shared_tmp / "out.mp4"))

    # Root writes anywhere, so drop to an ordinary user to meet a real EACCES.
    answer = in_child(check, as_nobody=True)
    assert answer.startswith("OutputError:") and "Permission denied" in answer
    assert list(shared_tmp.iterdir()) == []


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount small tmpfs file systems (root only); unmounted after the test."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()})")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_check_output_refuses_a_read_only_file_system(mount_tmpfs: Callable[[str], Path]) -> None:
    folder = mount_tmpfs("ro,size=64k")
    with pytest.raises(OutputError) as error:
        check_output(folder / "out.mp4")
    assert "Read-only file system" in assert_one_line(error, folder / "out.mp4")


# ------------------------------------------------------------------- full disk


def noise(index: int) -> np.ndarray:
    """(240, 320, 3) uint8 random pixels: incompressible, so the file grows fast."""
    return np.random.default_rng(index).integers(0, 256, (240, 320, 3), dtype=np.uint8)


def test_disk_full_is_an_output_error_and_leaves_nothing(mount_tmpfs: Callable[[str], Path]) -> None:
    folder = mount_tmpfs("size=200k")
    path = folder / "out.mp4"
    written = 0
    with pytest.raises(OutputError) as error:
        with VideoWriter(path, 320, 240, Fraction(25), AUDIO_RATE) as writer:
            writer.write_audio(tone(4.0, AUDIO_RATE))
            for index in range(100):
                writer.write(noise(index))
                written += 1
    message = assert_one_line(error, path)
    assert "No space left on device" in message and "free some disk space" in message
    assert written < 100  # surfaced by a write(), not only at close
    assert list(folder.iterdir()) == []


def test_file_size_limit_is_an_output_error(tmp_path: Path) -> None:
    """Needs no mount: RLIMIT_FSIZE makes write() fail with EFBIG. The encoder runs
    threads, so it runs in a fresh interpreter (not a fork of this threaded one)."""
    path = tmp_path / "out.mp4"
    script = (
        "import sys, numpy as np\n"
        "from fractions import Fraction\n"
        "from sayso.encode import AUDIO_RATE, VideoWriter\n"
        "from sayso.errors import OutputError\n"
        "rng = np.random.default_rng(0)\n"
        "try:\n"
        "    with VideoWriter(sys.argv[1], 320, 240, Fraction(25), AUDIO_RATE) as writer:\n"
        "        for _ in range(100):\n"
        "            writer.write(rng.integers(0, 256, (240, 320, 3), np.uint8))\n"
        "    print('finished')\n"
        "except OutputError as error:\n"
        "    print(f'OutputError: {error}')\n"
    )

    def limit() -> None:  # runs between fork and exec: only the limit, nothing else
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))

    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                          timeout=120, preexec_fn=limit)
    answer = proc.stdout.strip()
    assert answer.startswith("OutputError:") and str(path) in answer, proc.stderr
    assert list(tmp_path.iterdir()) == []
