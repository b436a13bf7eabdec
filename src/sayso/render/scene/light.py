"""Light: night with out-of-focus city lights, golden hour, neon.

The background is static, so its expensive part (blur, bokeh, strong grade) is done
once on the plate; per frame only the person's light is changed, weighted by near.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .base import Effect, apply_grade, face_light, grade, graded_by, lerp_to, scratch, screen, smoothstep

# light colours of a city at night: sodium and tungsten (warm), LED and windows (white), signs
WARM = ((255, 168, 80), (255, 190, 110), (255, 145, 60))
WHITE = ((255, 236, 205), (235, 240, 255))
SIGNS = ((255, 80, 70), (90, 215, 255), (130, 255, 150), (255, 95, 205))


def bokeh_disc(radius: float, colour: tuple[float, float, float], strength: float) -> np.ndarray:
    """(s, s, 3) float32 0..255: one defocused light, a soft-edged disc brighter at its rim
    (as a real lens renders an out-of-focus point), s = 2 * ceil(radius) + 5."""
    half = math.ceil(radius) + 2
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float32)
    r = np.sqrt(xx * xx + yy * yy) / radius
    edge = 1.0 - smoothstep(1.0 - 1.6 / radius, 1.0 + 0.6 / radius, r)
    rim = np.exp(-((r - 0.88) / 0.1) ** 2)
    shape = edge * (0.72 + 0.28 * rim)
    return (shape[..., None] * (strength * np.asarray(colour, np.float32))).astype(np.float32)


def _light_spots(rng: np.random.Generator, n: int, width: int, height: int,
                 face_box: tuple[int, int, int, int]) -> list[tuple[float, float, float, int]]:
    """n (x, y, radius px, cluster) for city lights: in a few clusters (a street, a building)
    high and to the sides, none over or near the face box; many small ones, few large."""
    x0, y0, x1, y1 = face_box
    fw, fh = x1 - x0, y1 - y0
    keep_out = (x0 - 0.45 * fw, y0 - 0.4 * fh, x1 + 0.45 * fw, y1 + 0.6 * fh)
    short = min(width, height)
    centres = [(rng.uniform(0, width), rng.uniform(0.05, 0.55) * height) for _ in range(int(rng.integers(3, 6)))]
    spots: list[tuple[float, float, float, int]] = []
    for _ in range(60 * n):
        if len(spots) == n:
            break
        k = int(rng.integers(len(centres) + 1))
        if k == len(centres):  # a stray light anywhere up high
            x, y = rng.uniform(0, width), height * rng.beta(1.3, 2.5)
        else:
            x = centres[k][0] + rng.normal(0, 0.12 * width)
            y = centres[k][1] + rng.normal(0, 0.07 * height)
        r = short * 0.011 * math.exp(rng.normal(0.35, 0.5))
        inside = keep_out[0] - r < x < keep_out[2] + r and keep_out[1] - r < y < keep_out[3] + r
        if not inside and -r < x < width + r and -r < y < 0.8 * height:
            spots.append((x, y, min(r, 0.06 * short), k))
    return spots


def _pick_colour(rng: np.random.Generator, cluster: int) -> tuple[float, float, float]:
    """A light's colour: each cluster mostly one family (a street is sodium, an office white)."""
    families = (WARM, WARM, WHITE, WARM, WHITE, SIGNS)
    family = families[cluster % len(families)] if rng.uniform() < 0.7 else (WARM, WHITE, SIGNS)[int(rng.integers(3))]
    return family[int(rng.integers(len(family)))]


@dataclass(frozen=True, eq=False)
class Twinkle:
    """One light that slowly breathes: its disc, where it sits, and its rhythm."""

    sprite: np.ndarray  # (s, s, 3) float32, the part of the light that comes and goes
    x: int  # top-left corner in frame pixels (may be partly outside)
    y: int
    rate: float  # radians per frame
    phase: float

    def add(self, frame: np.ndarray, near: np.ndarray, i: int) -> None:
        """frame += sprite * sin(...) behind the person, clipped to the frame."""
        h, w = near.shape
        s = self.sprite.shape[0]
        fx0, fy0, fx1, fy1 = max(self.x, 0), max(self.y, 0), min(self.x + s, w), min(self.y + s, h)
        if fx0 >= fx1 or fy0 >= fy1:
            return
        amp = math.sin(self.rate * i + self.phase)
        patch = self.sprite[fy0 - self.y:fy1 - self.y, fx0 - self.x:fx1 - self.x]
        far = (1.0 - near[fy0:fy1, fx0:fx1])[..., None]
        frame[fy0:fy1, fx0:fx1] += patch * (amp * far)


# How much of the night's darker light on the person their face is spared: a face
# tracker judges identity on the output, and the grade on the face moved its descriptor.
NIGHT_FACE_LIGHT = 1.0


@dataclass(frozen=True, eq=False)
class Night(Effect):
    """Night: a dark, blue, defocused background with city bokeh; the person lit less dark,
    and their face by a light in front of them (a shop window, a street lamp)."""

    lights: np.ndarray  # (h, w, 3) float32 0..255 bokeh layer, screened onto the plate
    twinkles: tuple[Twinkle, ...]
    dusk: np.ndarray  # (3, 4) the background's grade
    moon: np.ndarray  # (3, 4) the person's grade
    keep: np.ndarray  # (h, w) float32 how much of moon the person gets: less on the face
    blur: float  # plate defocus sigma, px

    @staticmethod
    def make(width: int, height: int, fps: float, seed: int, face_box: tuple[int, int, int, int]) -> Night:
        rng = np.random.default_rng(seed + 401)
        lights = np.zeros((height, width, 3), np.float32)
        twinkles = []
        area = width * height / (720.0 * 720.0)
        short = min(width, height)
        for k, (x, y, r, cluster) in enumerate(_light_spots(rng, max(8, int(42 * area)), width, height, face_box)):
            # small lights read brighter: the same light spread over a bigger disc is dimmer
            strength = float(np.clip(rng.uniform(0.35, 0.8) * (0.018 * short / r) ** 0.4, 0.2, 0.9))
            disc = bokeh_disc(r, _pick_colour(rng, cluster), strength)
            s = disc.shape[0]
            tx, ty = int(round(x)) - s // 2, int(round(y)) - s // 2
            _paste_screen(lights, disc, tx, ty)
            if k % 6 == 0:  # a few lights breathe, slowly and subtly
                twinkles.append(Twinkle(0.25 * disc, tx, ty, 2 * math.pi * rng.uniform(0.15, 0.4) / fps,
                                        rng.uniform(0, 2 * math.pi)))
        return Night(lights, tuple(twinkles),
                     grade(exposure=0.32, gains=(0.72, 0.88, 1.25), saturation=0.6, contrast=1.2, pivot=50.0),
                     grade(exposure=0.86, gains=(0.97, 0.99, 1.03), saturation=1.0),
                     1.0 - NIGHT_FACE_LIGHT * face_light(width, height, face_box), 0.008 * max(width, height))

    def plate(self, plate: np.ndarray) -> np.ndarray:
        out = cv2.GaussianBlur(plate, (0, 0), self.blur)
        apply_grade(out, self.dusk)
        return screen(np.clip(out, 0, 255), self.lights)

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        # the background is already night (plate); the person gets their own light
        lit = cv2.transform(frame, self.moon, dst=scratch("night", frame.shape))
        lerp_to(frame, lit, graded_by(near, self.keep))
        for t in self.twinkles:
            t.add(frame, near, i)
        return frame


def _paste_screen(layer: np.ndarray, sprite: np.ndarray, x: int, y: int) -> None:
    """Screen sprite (s, s, 3) onto layer at top-left (x, y), clipped to the layer."""
    h, w = layer.shape[:2]
    s = sprite.shape[0]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + s, w), min(y + s, h)
    if x0 < x1 and y0 < y1:
        region = layer[y0:y1, x0:x1]
        region[:] = screen(region, sprite[y0 - y:y1 - y, x0 - x:x1 - x])


@dataclass(frozen=True, eq=False)
class GoldenHour(Effect):
    """Low warm sun: orange highlights, warm lifted shadows, a glow from one upper corner."""

    look: np.ndarray  # (3, 4)
    glow: np.ndarray  # (h, w, 3) float32 0..255 light leak
    keep: np.ndarray  # (h, w, 3) float32 1 - glow / 255, so screening is one multiply-add

    @staticmethod
    def make(width: int, height: int, seed: int, face_box: tuple[int, int, int, int]) -> GoldenHour:
        rng = np.random.default_rng(seed + 501)
        # the sun sits behind, in the upper corner farther from the face, so it never floods it
        face_x = 0.5 * (face_box[0] + face_box[2])
        cx = width * (1.05 if face_x < width / 2 else -0.05) + rng.uniform(-0.05, 0.05) * width
        cy = -0.05 * height
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / math.hypot(width, height)
        wide = np.exp(-(d / 0.55) ** 2)[..., None] * np.array([255, 150, 60], np.float32) * 0.5
        core = np.exp(-(d / 0.22) ** 2)[..., None] * np.array([255, 225, 170], np.float32) * 0.7
        glow = screen(wide, core).astype(np.float32)
        look = grade(saturation=1.12, gains=(1.08, 0.98, 0.8), contrast=1.04, pivot=100.0, lift=(12, 6, 0))
        return GoldenHour(look, glow, (1.0 - glow / 255.0).astype(np.float32))

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        apply_grade(frame, self.look)
        np.multiply(frame, self.keep, out=frame)
        return np.add(frame, self.glow, out=frame)


@dataclass(frozen=True, eq=False)
class Neon(Effect):
    """Cyberpunk light: magenta from one side, cyan from the other, across the face."""

    gels: np.ndarray  # (h, w, 3) float32 per-pixel colour gains
    look: np.ndarray  # (3, 4) saturation boost
    dim: np.ndarray  # (3, 4) the background's extra darkening

    @staticmethod
    def make(width: int, height: int, seed: int, face_box: tuple[int, int, int, int]) -> Neon:
        rng = np.random.default_rng(seed + 601)
        x0, _, x1, _ = face_box
        t = smoothstep(x0 + 0.1 * (x1 - x0), x1 - 0.1 * (x1 - x0), np.arange(width, dtype=np.float32))
        magenta, cyan = np.array([1.22, 0.7, 1.12], np.float32), np.array([0.62, 1.05, 1.25], np.float32)
        if rng.uniform() < 0.5:
            magenta, cyan = cyan, magenta
        row = magenta[None, :] * (1 - t[:, None]) + cyan[None, :] * t[:, None]
        gels = np.ascontiguousarray(np.broadcast_to(row[None], (height, width, 3)), dtype=np.float32)
        return Neon(gels, grade(saturation=1.15, exposure=0.85, contrast=1.08, pivot=90.0),
                    grade(exposure=0.62, gains=(0.9, 0.85, 1.1), contrast=1.1, pivot=90.0))

    def plate(self, plate: np.ndarray) -> np.ndarray:
        return apply_grade(plate.copy(), self.dim)

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        apply_grade(frame, self.look)
        return np.multiply(frame, self.gels, out=frame)
