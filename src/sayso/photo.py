"""Load the user's photo as upright 8-bit RGB, refusing what sayso cannot use.

Every refusal is a typed error from `sayso.errors` with a one-line message that names
the file and says what to do. Pillow does all decoding; nothing global in Pillow is
changed (no LOAD_TRUNCATED_IMAGES, no MAX_IMAGE_PIXELS), so a truncated file is an
error, never a half-grey picture.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from sayso.errors import BadImageError, ImageTooLargeError, InputNotFoundError

MAX_PIXELS = 50_000_000
"""Largest photo decoded (width * height): ~150 MB as RGB; a 48 MP phone photo fits."""

MIN_SIDE = 32
"""Smallest width or height accepted, in pixels."""

# Raster formats a photo arrives in. Restricting Pillow to these keeps exotic decoders
# (EPS runs Ghostscript, FITS, PSD, ...) away from untrusted files.
_WANTED_FORMATS = ("JPEG", "PNG", "WEBP", "AVIF", "GIF", "BMP", "TIFF", "PPM")
_FORMAT_NAMES = "JPEG, PNG, WebP, AVIF, GIF, BMP, TIFF"

# What Pillow raises for a file it identified but cannot decode (truncated, bad CRC,
# broken zlib stream, bad header fields). Caught only around Pillow calls.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
)

_WHITE = (255, 255, 255, 255)


def load_photo(path: str | Path, *, name: str | None = None) -> np.ndarray:
    """Read a photo and return it upright as (H, W, 3) uint8 RGB, 0-255.

    Transparency is flattened onto white, greyscale and CMYK become RGB, 16-bit and
    float images are scaled to 8 bits, and an animated GIF/WebP gives its first frame.

    Raises InputNotFoundError (missing, a directory, unreadable), BadImageError (empty,
    not an image, corrupt or truncated, under 32x32) and ImageTooLargeError (over
    MAX_PIXELS, refused from the header before any pixel is decoded). Messages call
    the file name (an upload's own name) when given, else path.
    """
    with _header(Path(path), name, MAX_PIXELS) as (shown, image):
        _decode(shown, image)
        rgb = _to_rgb(shown, _upright(image))
    return np.array(rgb, dtype=np.uint8)


def probe(path: str | Path, *, name: str | None = None, max_pixels: int = MAX_PIXELS) -> tuple[int, int, str]:
    """(width, height, format) of an image from its header alone: nothing is decoded,
    so a huge image is refused (ImageTooLargeError over max_pixels) before it costs
    memory. The same refusals as load_photo for what is not an image."""
    with _header(Path(path), name, max_pixels) as (_, image):
        return int(image.size[0]), int(image.size[1]), str(image.format)


@contextmanager
def _header(path: Path, name: str | None, max_pixels: int) -> Iterator[tuple[Path, Image.Image]]:
    """The opened image, its header read and its size checked; messages call it name."""
    _check_is_file(path)
    shown = Path(name) if name else path
    with _open_for_reading(path) as fp:
        if os.fstat(fp.fileno()).st_size == 0:
            raise BadImageError(f"photo {shown} is empty (0 bytes): choose another file")
        with _identify(shown, fp) as image:
            _check_size(shown, image.size, max_pixels)
            yield shown, image


def _check_is_file(path: Path) -> None:
    """Refuse a missing path, a directory or a special file before opening it."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise InputNotFoundError(
            f"photo {path} does not exist: check the path and spelling"
        ) from None
    except PermissionError:
        raise InputNotFoundError(
            f"photo {path} cannot be reached (permission denied): "
            "check the permissions of its folders"
        ) from None
    except OSError as error:
        raise InputNotFoundError(
            f"photo {path} cannot be read ({error.strerror}): check the file"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputNotFoundError(
            f"photo {path} is a directory: give the path of an image file inside it"
        )
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device would block or stream forever.
        raise InputNotFoundError(
            f"photo {path} is not a regular file: give the path of an image file"
        )


def _open_for_reading(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")
    except PermissionError:
        raise InputNotFoundError(
            f"photo {path} cannot be read (permission denied): "
            "fix its permissions or copy it somewhere readable"
        ) from None
    except OSError as error:
        raise InputNotFoundError(
            f"photo {path} cannot be read ({error.strerror}): check the file"
        ) from None


@cache
def _allowed_formats() -> tuple[str, ...]:
    # Image.open() fails with KeyError on a format whose plugin is not built in
    # (AVIF in older wheels), so offer only those this Pillow has.
    Image.init()
    return tuple(name for name in _WANTED_FORMATS if name in Image.OPEN)


def _identify(path: Path, fp: BinaryIO) -> Image.Image:
    """Read the header only; no pixel data is decoded here."""
    try:
        # Pillow warns above its own limit (~89 MP) and raises above twice that.
        # Both sizes exceed MAX_PIXELS, so its warning would only precede our refusal.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(fp, formats=_allowed_formats())
    except UnidentifiedImageError:
        raise BadImageError(
            f"photo {path} is not an image sayso can read: "
            f"save it as one of {_FORMAT_NAMES}"
        ) from None
    except Image.DecompressionBombError as error:
        raise _too_large(path, _pixels_from_pillow(str(error)), None) from None
    except _DECODE_ERRORS as error:
        raise _corrupt(path, error) from None


def _pixels_from_pillow(message: str) -> int | None:
    """Pillow states the pixel count only in its message: "Image size (N pixels) ..."."""
    match = re.search(r"\((\d+) pixels\)", message)
    return int(match.group(1)) if match else None


def _check_size(path: Path, size: tuple[int, int], limit: int = MAX_PIXELS) -> None:
    width, height = size
    if width * height > limit:
        raise _too_large(path, width * height, size, limit)
    if width < MIN_SIDE or height < MIN_SIDE:
        raise BadImageError(
            f"photo {path} is only {width}x{height} pixels: "
            f"use a photo at least {MIN_SIDE}x{MIN_SIDE} (a face needs a few hundred)"
        )


def _too_large(
    path: Path, pixels: int | None, size: tuple[int, int] | None, limit: int = MAX_PIXELS
) -> ImageTooLargeError:
    count = f"{pixels:,} pixels" if pixels is not None else "too many pixels"
    if size is not None:
        count += f" ({size[0]}x{size[1]})"
    return ImageTooLargeError(
        f"photo {path} has {count}, over the limit of {limit:,}: "
        "downscale it (e.g. to 4000x3000) and try again"
    )


def _decode(path: Path, image: Image.Image) -> None:
    """Decode every pixel of the first frame so truncation and corruption show now."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.seek(0)
            image.load()
    except Image.DecompressionBombError as error:
        # GIF frames may be larger than the header's canvas; Pillow checks those here.
        raise _too_large(path, _pixels_from_pillow(str(error)), None) from None
    except _DECODE_ERRORS as error:
        raise _corrupt(path, error) from None


def _corrupt(path: Path, error: BaseException) -> BadImageError | InputNotFoundError:
    if isinstance(error, OSError) and error.errno is not None:
        # A real I/O failure (EIO on a bad disk), not a decoder complaint.
        return InputNotFoundError(
            f"photo {path} cannot be read ({error.strerror}): check the file or disk"
        )
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return BadImageError(
        f"photo {path} is corrupt or truncated ({reason}): "
        "re-export or re-download it"
    )



def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation so the pixels are the way the camera was held."""
    try:
        return ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        # Malformed EXIF in an otherwise good photo: viewers show it unrotated, so do we.
        return image


def _to_rgb(path: Path, image: Image.Image) -> Image.Image:
    """Any mode -> 8-bit RGB; transparent areas become white."""
    try:
        return _convert(image)
    except _DECODE_ERRORS:
        # Pillow has no route from a few rare modes (LAB, HSV in TIFF) to RGB.
        raise BadImageError(
            f"photo {path} uses colour mode {image.mode}, which sayso cannot convert: "
            "save it as an RGB JPEG or PNG"
        ) from None


def _convert(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        image = _deep_grey_to_l(image)
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, _WHITE)
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _deep_grey_to_l(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit or float greyscale -> 8-bit "L".

    Pillow's own convert() clips these at 255 instead of scaling, which turns a
    16-bit photo white. 16-bit data spans 0-65535; float data is taken as 0-1 when it
    fits there; anything else is stretched from its minimum to its maximum.
    """
    values = np.asarray(image).astype(np.float64)  # (H, W)
    if image.mode.startswith("I;16"):
        scaled = values / 257.0
    else:
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        if image.mode == "F" and low >= 0.0 and high <= 1.0:
            scaled = values * 255.0
        elif low >= 0.0 and high <= 255.0:
            scaled = values
        elif low >= 0.0 and high <= 65535.0:
            scaled = values / 257.0
        else:
            scaled = (values - low) * (255.0 / max(high - low, 1e-12))
    grey = np.clip(np.nan_to_num(scaled), 0.0, 255.0).round().astype(np.uint8)  # (H, W)
    return Image.fromarray(grey)
