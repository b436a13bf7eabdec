"""Film: black and white, grain, vignette."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .base import LUMA, Effect, apply_grade, mix, scratch, smoothstep


@dataclass(frozen=True, eq=False)
class BlackAndWhite(Effect):
    """Luma with a little more contrast, the same in all three channels."""

    matrix: np.ndarray  # (3, 4): three identical rows, so the chroma is exactly zero

    @staticmethod
    def make(contrast: float = 1.12, pivot: float = 118.0) -> BlackAndWhite:
        row = np.append(contrast * LUMA, (1.0 - contrast) * pivot).astype(np.float32)
        return BlackAndWhite(np.stack([row, row, row]))

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        return apply_grade(frame, self.matrix)


TILE = 256  # grain tile side, px: frames are covered by a tile repeated, from a random start


def _grain_tile(rng: np.random.Generator, softness: float) -> np.ndarray:
    """(2 TILE, 2 TILE) float32 unit-std noise, a periodic TILE-square tile repeated 2 x 2, so
    any TILE-square window of it is the tile shifted. softness: blur sigma, px (grain size)."""
    white = rng.standard_normal((TILE, TILE)).astype(np.float32)
    # blur a 3 x 3 tiling and keep the middle: the tile's edges blur into their own wrap-around
    soft = cv2.GaussianBlur(np.tile(white, (3, 3)), (0, 0), softness)[TILE:2 * TILE, TILE:2 * TILE]
    soft /= soft.std()
    return np.tile(soft, (2, 2))


@dataclass(frozen=True, eq=False)
class Grain(Effect):
    """Film grain: monochrome, strongest in the mid-tones, a new pattern every frame."""

    tiles: tuple[np.ndarray, ...]  # from _grain_tile
    sigma: float  # std of the grain in mid-grey, 0..255 units
    seed: int

    @staticmethod
    def make(seed: int, sigma: float = 5.0, count: int = 8) -> Grain:
        rng = np.random.default_rng(seed + 701)
        return Grain(tuple(_grain_tile(rng, 0.55) for _ in range(count)), sigma, seed + 702)

    def noise(self, shape: tuple[int, int], i: int) -> np.ndarray:
        """(h, w) float32 unit-std grain for frame i: a tile chosen and offset by a hash of i."""
        h = mix(self.seed, i)
        tile = self.tiles[h % len(self.tiles)]
        dx, dy = (h >> 8) % TILE, (h >> 16) % TILE
        out = scratch("grain", shape)
        for y in range(0, shape[0], TILE):
            for x in range(0, shape[1], TILE):
                bh, bw = min(TILE, shape[0] - y), min(TILE, shape[1] - x)
                out[y:y + bh, x:x + bw] = tile[dy:dy + bh, dx:dx + bw]
        return out

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        shape = near.shape
        luma = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY, dst=scratch("grain luma", shape))
        # weight sigma * (0.45 + 0.55 * 4 l (1 - l)), l = luma / 255: full in mid-grey, less in
        # deep shadow and highlight, as silver grain shows; computed in place as a * l * (255 - l) + b
        other = np.subtract(np.float32(255), luma, out=scratch("grain other", shape))
        np.multiply(luma, other, out=luma)
        np.multiply(luma, np.float32(self.sigma * 0.55 * 4 / 255 ** 2), out=luma)
        np.add(luma, np.float32(self.sigma * 0.45), out=luma)
        np.multiply(luma, self.noise(shape, i), out=luma)
        grain3 = cv2.cvtColor(luma, cv2.COLOR_GRAY2RGB, dst=scratch("grain3", frame.shape))
        return np.add(frame, grain3, out=frame)


@dataclass(frozen=True, eq=False)
class Vignette(Effect):
    """Gentle darkening toward the corners, as a lens does."""

    mask: np.ndarray  # (h, w, 3) float32, 1 in the middle, ~0.62 in the corners

    @staticmethod
    def make(width: int, height: int, strength: float = 0.38) -> Vignette:
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        # distance in half-widths and half-heights: 1 at the edge middles, sqrt 2 in the corners
        r = np.sqrt(((xx - width / 2) / (width / 2)) ** 2 + ((yy - height / 2) / (height / 2)) ** 2)
        fall = smoothstep(0.5, math.sqrt(2.0), r)
        mask = 1.0 - strength * fall
        return Vignette(np.ascontiguousarray(np.repeat(mask[..., None], 3, 2), dtype=np.float32))

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        return np.multiply(frame, self.mask, out=frame)
