"""load_photo: real files in, upright (H, W, 3) uint8 RGB out, or one typed error."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forking import in_child

from sayso.errors import BadImageError, ImageTooLargeError, InputNotFoundError
from sayso.photo import MAX_PIXELS, load_photo

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "photos"  # ../shared beside the checkout


def needs(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"shared photo {path} is missing: ../shared must sit beside the checkout")
    return path


def assert_one_line(error: pytest.ExceptionInfo[BaseException], path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def save_png(path: Path, pixels: np.ndarray) -> Path:
    Image.fromarray(pixels).save(path)
    return path


def png_claiming_size(path: Path, width: int, height: int) -> Path:
    """A 32x32 PNG whose IHDR is patched to claim width x height (CRC fixed)."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 20, 30)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    # signature (8) | IHDR length (4) | b"IHDR" (4) | width (4) | height (4) | ... | CRC
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


# ------------------------------------------------------------------- good inputs


def test_rgb_png_loads_unchanged() -> None:
    path = needs(PHOTOS / "skimage_astronaut.png")
    pixels = load_photo(path)
    assert pixels.shape == (512, 512, 3) and pixels.dtype == np.uint8
    assert np.array_equal(pixels, np.asarray(Image.open(path).convert("RGB")))
    assert pixels.flags.writeable


def test_accepts_a_str_path() -> None:
    path = needs(PHOTOS / "mpl_grace_hopper.jpg")
    assert load_photo(str(path)).shape == (600, 512, 3)


def test_opaque_rgba_photo_keeps_its_colours() -> None:
    path = needs(PHOTOS / "fr_obama_podium_speaking_rgba.png")
    source = np.asarray(Image.open(path))  # (H, W, 4) uint8; this photo is all opaque
    assert source.shape[2] == 4
    assert np.array_equal(load_photo(path), source[..., :3])


def test_rgba_is_flattened_onto_white(tmp_path: Path) -> None:
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[..., :3] = (200, 40, 0)
    rgba[:, 20:40, 3] = 128
    rgba[:, 40:, 3] = 255
    path = save_png(tmp_path / "rgba.png", rgba)
    pixels = load_photo(path).astype(int)
    assert (pixels[:, :20] == 255).all()  # clear -> white
    half = np.round(np.array([200, 40, 0]) * 128 / 255 + 255 * 127 / 255)
    assert (np.abs(pixels[:, 20:40] - half) <= 1).all()
    assert (pixels[:, 40:] == (200, 40, 0)).all()


def test_greyscale_becomes_rgb() -> None:
    path = needs(PHOTOS / "skimage_camera_grey_profile.png")
    grey = np.asarray(Image.open(path).convert("L"))
    pixels = load_photo(path)
    assert pixels.shape == (512, 512, 3)
    for channel in range(3):
        assert np.array_equal(pixels[..., channel], grey)


def test_exif_orientation_6_comes_out_upright(tmp_path: Path) -> None:
    # Stored 80 wide x 40 high with a red top-left corner; orientation 6 means
    # "turn 90 degrees clockwise to view", so the viewer sees 40 x 80 with red top-right.
    stored = np.zeros((40, 80, 3), np.uint8)
    stored[:10, :10] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    Image.fromarray(stored).save(path, quality=95, exif=exif)
    pixels = load_photo(path)
    assert pixels.shape == (80, 40, 3)
    assert pixels[:8, -8:, 0].mean() > 200 and pixels[:8, -8:, 1:].mean() < 50
    assert pixels[:8, :8].mean() < 50


def test_palette_with_transparency_flattened(tmp_path: Path) -> None:
    image = Image.new("P", (40, 40), 0)
    image.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)  # index 0 black, 1 blue
    image.paste(1, (0, 0, 20, 40))
    path = tmp_path / "palette.png"
    image.save(path, transparency=0)
    pixels = load_photo(path)
    assert (pixels[:, :20] == (0, 0, 255)).all()
    assert (pixels[:, 20:] == 255).all()


def test_grey_with_alpha_flattened(tmp_path: Path) -> None:
    la = np.zeros((40, 40, 2), np.uint8)
    la[..., 0] = 100
    la[:, :20, 1] = 255
    path = tmp_path / "la.png"
    Image.fromarray(la, "LA").save(path)
    pixels = load_photo(path)
    assert (pixels[:, :20] == 100).all() and (pixels[:, 20:] == 255).all()


def test_16_bit_grey_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    grey = np.full((40, 50), 40000, np.uint16)
    grey[:, :10] = 65535
    path = tmp_path / "grey16.png"
    Image.fromarray(grey).save(path)
    assert Image.open(path).mode.startswith("I")
    pixels = load_photo(path)
    assert pixels.shape == (40, 50, 3)
    assert (pixels[:, 10:] == round(40000 / 257)).all()
    assert (pixels[:, :10] == 255).all()


def test_16_bit_rgb_png_keeps_its_colours(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    deep = np.zeros((40, 50, 3), np.uint16)  # (H, W, 3) RGB, 0-65535
    deep[...] = (65535, 30000, 257 * 7)
    path = tmp_path / "rgb16.png"
    cv2.imwrite(str(path), deep[..., ::-1])
    pixels = load_photo(path)
    assert (np.abs(pixels.astype(int) - (255, 117, 7)) <= 1).all()


def test_float_tiff_in_0_1_is_scaled(tmp_path: Path) -> None:
    values = np.full((40, 40), 0.5, np.float32)
    path = tmp_path / "float.tif"
    Image.fromarray(values).save(path)
    assert Image.open(path).mode == "F"
    assert (np.abs(load_photo(path).astype(int) - 128) <= 1).all()


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("RGB", (40, 40), (220, 30, 30)).convert("CMYK").save(path, quality=95)
    assert Image.open(path).mode == "CMYK"
    pixels = load_photo(path)
    assert pixels.shape == (40, 40, 3)
    assert (np.abs(pixels.astype(int) - (220, 30, 30)) <= 12).all()


@pytest.mark.parametrize("extension", ["gif", "webp"])
def test_animated_image_gives_first_frame(tmp_path: Path, extension: str) -> None:
    red = Image.new("RGB", (40, 40), (255, 0, 0))
    blue = Image.new("RGB", (40, 40), (0, 0, 255))
    path = tmp_path / f"animated.{extension}"
    red.save(path, save_all=True, append_images=[blue], duration=100, loop=0, lossless=True)
    assert getattr(Image.open(path), "n_frames", 1) == 2
    pixels = load_photo(path)
    assert (np.abs(pixels.astype(int) - (255, 0, 0)) <= 2).all()


def test_32x32_is_the_smallest_accepted(tmp_path: Path) -> None:
    path = save_png(tmp_path / "small.png", np.zeros((32, 32, 3), np.uint8))
    assert load_photo(path).shape == (32, 32, 3)


# ------------------------------------------------------------------- refusals


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.jpg"
    with pytest.raises(InputNotFoundError) as error:
        load_photo(path)
    assert "does not exist" in assert_one_line(error, path)


def test_path_through_a_file(tmp_path: Path) -> None:
    parent = tmp_path / "file.txt"
    parent.write_text("x")
    with pytest.raises(InputNotFoundError) as error:
        load_photo(parent / "photo.jpg")
    assert_one_line(error, parent / "photo.jpg")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError) as error:
        load_photo(tmp_path)
    assert "directory" in assert_one_line(error, tmp_path)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.jpg"
    os.mkfifo(path)
    with pytest.raises(InputNotFoundError) as error:
        load_photo(path)
    assert "not a regular file" in assert_one_line(error, path)


def test_unreadable_file_as_root() -> None:
    # Root reads any ordinary file whatever its mode; a write-only sysctl is the one
    # kind of file the kernel still refuses root to read.
    path = Path("/proc/sys/vm/compact_memory")
    if not path.exists():
        pytest.skip(f"{path} does not exist here")
    try:
        path.open("rb").close()
        pytest.skip(f"{path} is readable here")
    except PermissionError:
        pass
    with pytest.raises(InputNotFoundError) as error:
        load_photo(path)
    assert "permission denied" in assert_one_line(error, path)


def test_unreadable_file_for_an_ordinary_user(shared_tmp: Path) -> None:
    path = save_png(shared_tmp / "private.png", np.zeros((40, 40, 3), np.uint8))
    path.chmod(0o600)  # owned by root: nobody may not read it

    def load() -> str:
        load_photo(path)
        return "loaded"

    answer = in_child(load, as_nobody=True)
    assert answer.startswith("InputNotFoundError:")
    assert "permission denied" in answer and str(path) in answer


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(BadImageError) as error:
        load_photo(path)
    assert "empty" in assert_one_line(error, path)


def test_text_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a photo\n" * 20)
    with pytest.raises(BadImageError) as error:
        load_photo(path)
    assert "not an image" in assert_one_line(error, path)


def test_truncated_jpeg(tmp_path: Path) -> None:
    source = needs(PHOTOS / "mpl_grace_hopper.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(source[: len(source) // 2])
    with pytest.raises(BadImageError) as error:
        load_photo(path)
    assert "corrupt or truncated" in assert_one_line(error, path)


def test_truncated_png(tmp_path: Path) -> None:
    source = needs(PHOTOS / "skimage_astronaut.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(source[: len(source) // 2])
    with pytest.raises(BadImageError) as error:
        load_photo(path)
    assert "corrupt or truncated" in assert_one_line(error, path)


def test_corrupt_png_data(tmp_path: Path) -> None:
    source = bytearray(needs(PHOTOS / "skimage_astronaut.png").read_bytes())
    start = source.index(b"IDAT") + 100
    source[start : start + 64] = bytes(64)  # zeros inside the compressed pixels
    path = tmp_path / "corrupt.png"
    path.write_bytes(bytes(source))
    with pytest.raises(BadImageError) as error:
        load_photo(path)
    assert "corrupt or truncated" in assert_one_line(error, path)


def test_too_many_pixels_refused_from_the_header(tmp_path: Path) -> None:
    path = png_claiming_size(tmp_path / "huge.png", 10_000, 6_000)
    started = time.perf_counter()
    with pytest.raises(ImageTooLargeError) as error:
        load_photo(path)
    # Decoding 60 MP would take seconds and 180 MB; the header alone takes microseconds.
    assert time.perf_counter() - started < 0.5
    message = assert_one_line(error, path)
    assert "60,000,000" in message and f"{MAX_PIXELS:,}" in message
    assert "10000x6000" in message and "downscale" in message


@pytest.mark.parametrize(
    ("width", "height"),
    [(12_000, 8_000), (20_000, 10_000)],
    ids=["above-pillow-warning", "above-pillow-error"],
)
def test_pillow_bomb_check_does_not_pre_empt_ours(
    tmp_path: Path, width: int, height: int, recwarn: pytest.WarningsRecorder
) -> None:
    path = png_claiming_size(tmp_path / "bomb.png", width, height)
    with pytest.raises(ImageTooLargeError) as error:
        load_photo(path)
    message = assert_one_line(error, path)
    assert f"{width * height:,}" in message and f"{MAX_PIXELS:,}" in message
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_just_over_the_limit(tmp_path: Path) -> None:
    path = png_claiming_size(tmp_path / "over.png", 10_000, 5_001)
    with pytest.raises(ImageTooLargeError):
        load_photo(path)


def test_tiny_photo() -> None:
    path = needs(PHOTOS / "skimage_lfw_subset_face01_25px.png")
    with pytest.raises(BadImageError) as error:
        load_photo(path)
    assert "25x25" in assert_one_line(error, path)


def test_31_pixels_high_is_refused(tmp_path: Path) -> None:
    path = save_png(tmp_path / "thin.png", np.zeros((31, 200, 3), np.uint8))
    with pytest.raises(BadImageError) as error:
        load_photo(path)
    assert "200x31" in assert_one_line(error, path)
