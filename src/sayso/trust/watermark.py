"""Invisible watermark: 64 payload bits in the luma of every frame, read back after
H.264 re-encoding, downscaling and trimming.

The frame is divided into a grid of chips defined relative to the frame
(``CHIPS_SHORT`` along its short side), so a rescaled video still has the same grid.
Each chip carries one bit of the 80-bit codeword (payload + CRC-16), chosen by a keyed
shuffle, times a keyed random sign; the chip grid is upsampled smoothly to the frame
and added to R, G and B alike, which adds it to luma and leaves chroma untouched.
Reading averages the luma of many frames, removes the picture's low frequencies,
correlates each chip with its sign, weights quiet chips more than busy ones and sums
the chips of each bit. The CRC and a minimum t-statistic reject unmarked videos.

A fixed pattern is not enough: on a detailed photo the picture's own correlation
with each bit's chips is as large as the mark at 38 dB. So the embedder measures that
correlation the way the reader will (every ``_REFRESH`` frames) and sets each bit's
level to leave the same margin over it ("informed" spread spectrum).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

PAYLOAD_BITS = 64
SAYSO_KEY = 0x5A750_2026
CHIPS_SHORT = 128         # chips along the short side: 3.75 px at 480p still survive crf 28
_CRC_BITS = 16
_CODE_BITS = PAYLOAD_BITS + _CRC_BITS
_TARGET_PSNR = 38.8       # dB on RGB uint8, before clipping (which only raises it)
_WORK_PX = 2              # reading resolution, pixels per chip
_REFRESH = 4              # frames between re-fits of the chip levels to the picture
_MIN_MEAN_Z = 2.0         # mean |t| of the bits below this: no mark (noise gives 0.8 +- 0.07)
_FULL_Z = 6.0             # mean |t| that reads as confidence 0.76 (tanh 1)


@dataclass(frozen=True)
class Reading:
    """A watermark read back: ``payload`` 8 bytes, ``confidence`` 0..1 (tanh of the
    mean |t| of the bits over ``_FULL_Z``), ``frames`` the number of frames used."""

    payload: bytes
    confidence: float
    frames: int


def _crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of ``data``: the check that a random picture fails."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def _codeword(payload: bytes) -> np.ndarray:
    """8 payload bytes -> (80,) float32 of +-1: payload bits then CRC bits, MSB first."""
    if len(payload) != PAYLOAD_BITS // 8:
        raise ValueError(f"watermark payload must be {PAYLOAD_BITS // 8} bytes, got {len(payload)}")
    data = payload + _crc16(payload).to_bytes(2, "big")
    bits = np.unpackbits(np.frombuffer(data, np.uint8))
    return bits.astype(np.float32) * 2 - 1


def _chip_grid(width: int, height: int, extra: int = 0) -> tuple[int, int]:
    """(rows, cols) of the chip grid for a frame; ``extra`` nudges the long side by one
    chip, for readers of a rescale whose aspect rounded the other way."""
    short, long_ = sorted((width, height))
    n_long = int(round(CHIPS_SHORT * long_ / short)) + (extra if long_ != short else 0)
    return (CHIPS_SHORT, n_long) if width >= height else (n_long, CHIPS_SHORT)


def _layout(rows: int, cols: int, key: int) -> tuple[np.ndarray, np.ndarray]:
    """Keyed chip layout: (rows, cols) int64 bit index 0..79 (each bit equally often,
    scattered so no region holds one bit), and (rows, cols) float32 sign +-1."""
    rng = np.random.default_rng([key & 0xFFFFFFFF, (key >> 32) & 0xFFFFFFFF, rows, cols])
    bit = (rng.permutation(rows * cols) % _CODE_BITS).reshape(rows, cols)
    sign = rng.integers(0, 2, (rows, cols)).astype(np.float32) * 2 - 1
    return bit, sign


@dataclass(frozen=True)
class _Grid:
    """The keyed chip grid of one frame shape, as the reader sees it: ``bit`` and
    ``sign`` (rows, cols), ``template`` (2 rows, 2 cols) float32, the high-passed sign
    pattern at reading resolution, and ``gain``, one chip's correlation with itself."""

    rows: int
    cols: int
    bit: np.ndarray
    sign: np.ndarray
    template: np.ndarray
    gain: float


def _highpass(image: np.ndarray) -> np.ndarray:
    """(h, w) float32 -> the same minus its local mean: keeps chip-scale detail, drops
    the picture's shading, which would swamp the mark."""
    return image - cv2.GaussianBlur(image, (0, 0), 0.7 * _WORK_PX)


@functools.lru_cache(maxsize=16)
def _grid(rows: int, cols: int, key: int) -> _Grid:
    """The chip grid for (rows, cols) and ``key``, made once per shape."""
    bit, sign = _layout(rows, cols, key)
    size = (cols * _WORK_PX, rows * _WORK_PX)
    template = _highpass(cv2.resize(sign, size, interpolation=cv2.INTER_CUBIC))
    gain = float(np.mean(_chip_sums(template * template, rows, cols)))
    return _Grid(rows, cols, bit, sign, template, gain)


def _chip_sums(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(2 rows, 2 cols) -> (rows, cols): the sum over each chip's pixels."""
    return image.reshape(rows, _WORK_PX, cols, _WORK_PX).sum(axis=(1, 3))


def _work_luma(frame: np.ndarray, grid: _Grid, fast: bool = False) -> np.ndarray:
    """(h, w, 3) uint8 RGB -> (2 rows, 2 cols) float32 luma at reading resolution.
    ``fast`` halves big frames first with pyrDown (5x cheaper than one large area
    resize, and near enough for the embedder's estimate of the picture)."""
    luma = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
    size = (grid.cols * _WORK_PX, grid.rows * _WORK_PX)
    while fast and min(luma.shape) >= 2.5 * min(size):
        luma = cv2.pyrDown(luma)
    return cv2.resize(luma, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def _bit_statistics(luma: np.ndarray, grid: _Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Luma at reading resolution -> per codeword bit, each (80,) float32: the weighted
    chip correlation (sign = the bit), its t-statistic (about N(0, 1) on an unmarked
    picture) and the mean chip weight (what one level of mark adds, over ``gain``)."""
    residual = _highpass(luma)
    chip = _chip_sums(residual * grid.template, grid.rows, grid.cols)
    # Busy picture areas are noise for the correlation: weight each chip by the
    # inverse of its neighbourhood's residual energy (floored for flat areas).
    energy = cv2.GaussianBlur(residual**2, (0, 0), 2.0 * _WORK_PX)
    weight = 1.0 / (_chip_sums(energy, grid.rows, grid.cols) / _WORK_PX**2 + 1.0)
    index = grid.bit.ravel()
    n = np.bincount(index, minlength=_CODE_BITS)
    values = (chip * weight).ravel()
    mean = np.bincount(index, values, _CODE_BITS) / n
    var = np.bincount(index, values**2, _CODE_BITS) / n - mean**2
    t = mean / np.sqrt(np.maximum(var, 1e-12) / n)
    return mean, t, np.bincount(index, weight.ravel(), _CODE_BITS) / n


def _spared(grid: _Grid, width: int, height: int, box: tuple[int, int, int, int] | None) -> np.ndarray:
    """(rows, cols) float32: 1 where chips are marked, 0 inside box (chip units)."""
    keep = np.ones((grid.rows, grid.cols), np.float32)
    if box is not None:
        x0, y0, x1, y1 = box
        c0, c1 = int(np.floor(x0 * grid.cols / width)), int(np.ceil(x1 * grid.cols / width))
        r0, r1 = int(np.floor(y0 * grid.rows / height)), int(np.ceil(y1 * grid.rows / height))
        keep[max(r0, 0):max(r1, 0), max(c0, 0):max(c1, 0)] = 0.0
    return keep


class Watermarker:
    """Marks frames of one size with one payload. Each frame's own picture correlates a
    little with the pattern, so every ``_REFRESH`` frames the chip levels are re-chosen
    to cancel that (informed embedding): each bit then reads with the same margin
    whatever the picture, and in between :meth:`apply` is two saturating adds."""

    def __init__(self, width: int, height: int, payload: bytes, key: int = SAYSO_KEY,
                 spare: tuple[int, int, int, int] | None = None):
        """spare: x0, y0, x1, y1 in pixels of a region left unmarked (the face: a face
        recogniser reads the mark's grain as a change of identity). Its chips read as
        erasures, which the other chips outvote."""
        self.width, self.height = width, height
        self._grid = _grid(*_chip_grid(width, height), key)
        self._keep = _spared(self._grid, width, height, spare)
        self._code = _codeword(payload)
        unit = cv2.resize(self._grid.sign, (width, height), interpolation=cv2.INTER_CUBIC)
        self._unit_rms = float(np.sqrt(np.mean(unit**2)))  # levels of one chip level
        self._rms = 255.0 / 10 ** (_TARGET_PSNR / 20)
        self._count = 0
        self._up = self._down = np.zeros((height, width, 3), np.uint8)

    def _levels(self, host: np.ndarray) -> np.ndarray:
        """(80,) picture correlation in chip levels -> (80,) chip level of each bit:
        enough to reach a common margin over the picture, scaled to the PSNR budget."""
        budget = self._rms / self._unit_rms
        margin = budget
        agree = self._code * host
        for _ in range(6):  # the rms of the levels grows with the margin; settle it
            # Bits the picture already favours still get a little; none gets > 3x.
            levels = self._code * np.clip(margin - agree, 0.3 * margin, 3.0 * margin)
            margin *= budget / max(float(np.sqrt(np.mean(levels**2))), 1e-6)
        return levels * (budget / max(float(np.sqrt(np.mean(levels**2))), 1e-6))

    def _prepare(self, frame: np.ndarray) -> None:
        """Re-fit the chip levels to ``frame`` and rebuild the two (h, w, 3) uint8
        halves of the delta that :meth:`apply` adds and subtracts."""
        grid = self._grid
        mean, _, weight = _bit_statistics(_work_luma(frame, grid, fast=True), grid)
        levels = self._levels(mean / (grid.gain * weight))
        chips = (grid.sign * levels[grid.bit] * self._keep).astype(np.float32)
        # Cubic upsampling makes the chips a smooth texture with no cell borders.
        delta = cv2.resize(chips, (self.width, self.height), interpolation=cv2.INTER_CUBIC)
        offset = cv2.convertScaleAbs(delta, alpha=1.0, beta=128.0)  # delta + 128, rounded
        up, down = cv2.subtract(offset, 128), cv2.subtract(128, offset)
        # Same delta on R, G and B: luma moves by it, chroma does not.
        self._up, self._down = cv2.merge([up] * 3), cv2.merge([down] * 3)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """(h, w, 3) uint8 RGB -> the same array, watermarked in place (and returned)."""
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame {frame.shape} {frame.dtype} is not ({self.height}, {self.width}, 3) uint8")
        if self._count % _REFRESH == 0:
            self._prepare(frame)
        self._count += 1
        # cv2 writes in place only into contiguous arrays: mark a copy of a view, put it back.
        target = frame if frame.flags.c_contiguous else np.ascontiguousarray(frame)
        cv2.add(target, self._up, dst=target)
        cv2.subtract(target, self._down, dst=target)
        if target is not frame:
            frame[...] = target
        return frame


def _mean_luma(frames: Iterable[np.ndarray]) -> tuple[np.ndarray | None, int]:
    """Frames (h, w, 3) uint8 RGB -> their mean luma, (h, w) float32 0..255 at the first
    frame's size (later ones resized to it), and the number of frames."""
    total: np.ndarray | None = None
    count = 0
    for frame in frames:
        luma = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        if total is None:
            total = np.zeros(luma.shape, np.float32)
        elif luma.shape != total.shape:
            luma = cv2.resize(luma, total.shape[::-1], interpolation=cv2.INTER_AREA)
        cv2.accumulate(luma, total)
        count += 1
    return (None if total is None else total / count), count


def _decode(z: np.ndarray) -> bytes | None:
    """(80,) t-statistics -> the 8 payload bytes if the CRC holds, else None."""
    data = np.packbits(z > 0).tobytes()
    payload, crc = data[:8], int.from_bytes(data[8:], "big")
    return payload if _crc16(payload) == crc else None


def read(frames: Iterable[np.ndarray], key: int = SAYSO_KEY) -> Reading | None:
    """Frames (h, w, 3) uint8 RGB of any size (the video may have been rescaled) ->
    the payload with a confidence, or None if they carry no sayso mark for ``key``."""
    luma, count = _mean_luma(frames)
    if luma is None:
        return None
    height, width = luma.shape
    for extra in (0, -1, 1):
        grid = _grid(*_chip_grid(width, height, extra), key)
        size = (grid.cols * _WORK_PX, grid.rows * _WORK_PX)
        _, z, _ = _bit_statistics(cv2.resize(luma, size, interpolation=cv2.INTER_AREA), grid)
        strength = float(np.mean(np.abs(z)))
        payload = _decode(z)
        if payload is not None and strength >= _MIN_MEAN_Z:
            return Reading(payload, float(np.tanh(strength / _FULL_Z)), count)
    return None


def read_video(path: str | Path, max_frames: int = 60, key: int = SAYSO_KEY) -> Reading | None:
    """An MP4 (any size) -> :func:`read` on up to ``max_frames`` frames spread evenly."""
    import av  # late: reading is rare, and importing sayso stays fast

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        total = stream.frames or 0
        step = max(1, -(-total // max_frames)) if total else 1
        frames = (f.to_ndarray(format="rgb24") for i, f in enumerate(container.decode(stream)) if i % step == 0)
        return read(frames, key)
