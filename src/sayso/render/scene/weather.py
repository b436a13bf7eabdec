"""Weather: rain, snow and fog, in depth layers around the person.

Particles are drawn fresh for every frame from positions that are a closed-form
function of the frame index (start + speed * i, wrapped), so frame i never needs
frames 0..i-1. Layers behind the person are multiplied by (1 - near); front layers
are drawn at half resolution and upscaled, which softens them like out-of-focus,
motion-blurred drops at no per-frame full-size blur.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .base import LUMA, Effect, apply_grade, face_light, grade, graded_by, lerp_to, mix, paint, scratch

SUB = 4  # cv2 fixed-point bits: particles move smoothly by fractions of a pixel
ONE = 1 << SUB
GOLDEN = 0.6180339887  # a new lap lands a particle at a new, well-spread x


@dataclass(frozen=True, eq=False)
class Streaks:
    """Falling rain streaks of one depth layer, in the pixels of the layer they are drawn on.

    x, y: (n,) float64 start positions (y of the streak's lower end, 0..span);
    speed, length: (n,) px per frame and px; value: (n,) 0..255 line brightness."""

    x: np.ndarray
    y: np.ndarray
    speed: np.ndarray
    length: np.ndarray
    value: np.ndarray
    slope: float  # dx per dy: the wind's slant
    width: float
    span: float  # height of a lap: layer height + the longest streak

    @staticmethod
    def make(rng: np.random.Generator, n: int, width: int, height: int, speed: tuple[float, float],
             shutter: float, value: tuple[float, float], slope: float) -> Streaks:
        """n streaks with speeds (px/frame) and brightness drawn uniformly from the ranges;
        length is the distance fallen while the shutter is open (shutter: fraction of a frame)."""
        v = rng.uniform(*speed, n)
        length = v * shutter * rng.uniform(0.8, 1.2, n)
        span = height + float(length.max())
        return Streaks(rng.uniform(0, 1, n), rng.uniform(0, span, n), v, length,
                       rng.uniform(*value, n), slope, float(width), span)

    def at(self, i: int) -> np.ndarray:
        """(n, 4) int32 fixed-point line ends (x top, y top, x bottom, y bottom) at frame i."""
        travel = self.y + self.speed * i
        lap = np.floor(travel / self.span)
        bottom = travel - lap * self.span
        reach = abs(self.slope) * self.span  # slanted streaks enter from beyond one side
        lo = -reach if self.slope > 0 else 0.0
        x = lo + ((self.x + lap * GOLDEN) % 1.0) * (self.width + reach)
        xb = x + self.slope * bottom
        top = bottom - self.length
        xt = xb - self.slope * self.length
        return np.round(np.stack([xt, top, xb, bottom], 1) * ONE).astype(np.int32)

    def draw(self, layer: np.ndarray, i: int, thickness: int = 1) -> None:
        """Draw frame i's streaks into layer (h, w) uint8, anti-aliased."""
        for (x0, y0, x1, y1), v in zip(self.at(i).tolist(), self.value.tolist()):
            cv2.line(layer, (x0, y0), (x1, y1), v, thickness, cv2.LINE_AA, SUB)


def _splashes(layer: np.ndarray, seed: int, i: int, count: float, top: float) -> None:
    """A few small crowns where drops hit the ground (lower part of layer (h, w) uint8); each
    lives two frames, drawn from a hash of (seed, i // 2) so any frame can be drawn alone."""
    h, w = layer.shape
    rng = np.random.default_rng(mix(seed, i // 2))
    grown = 1.0 + (i % 2)  # second frame: wider and fainter
    for _ in range(rng.poisson(count)):
        x, y = rng.uniform(0, w), rng.uniform(top * h, h)
        r = rng.uniform(1.5, 3.5) * h / 720 * grown
        v = int(rng.uniform(70, 140) / grown)
        for dx in (-1.0, -0.4, 0.4, 1.0):
            tip = (round((x + dx * r) * ONE), round((y - (1.2 - abs(dx) * 0.5) * r) * ONE))
            cv2.line(layer, (round(x * ONE), round(y * ONE)), tip, v, 1, cv2.LINE_AA, SUB)


def _face_shield(width: int, height: int, face_box: tuple[int, int, int, int], keep: float) -> np.ndarray:
    """(height, width) uint8, 255 everywhere but soft `keep` * 255 over the face box: front
    particles stay sparse and faint where a face tracker must still see the face."""
    shield = np.full((height, width), 255, np.uint8)
    x0, y0, x1, y1 = face_box
    cv2.rectangle(shield, (int(x0), int(y0)), (int(x1), int(y1)), int(255 * keep), -1)
    blur = max(1.0, 0.15 * (x1 - x0))
    return cv2.GaussianBlur(shield, (0, 0), blur)


def _halved(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """A box in half-resolution pixels."""
    return box[0] // 2, box[1] // 2, box[2] // 2, box[3] // 2


def _composite(frame: np.ndarray, near: np.ndarray, back: np.ndarray, front: np.ndarray,
               k_back: float, k_front: float, colour: np.ndarray) -> np.ndarray:
    """frame toward colour (h, w, 3) by back * k_back * (1 - near) + front * k_front (layers (h, w) uint8)."""
    shape = near.shape
    amount = np.multiply(back, np.float32(k_back / 255), out=scratch("amount", shape))
    far = np.subtract(np.float32(1), near, out=scratch("far", shape))
    np.multiply(amount, far, out=amount)
    fronted = np.multiply(front, np.float32(k_front / 255), out=scratch("front", shape))
    np.add(amount, fronted, out=amount)
    return lerp_to(frame, colour, amount)


# How much of the rain's cool, grey colour on the person their skin is spared, as a
# colourist protects skin tones (the face still darkens with the rest of the person): a
# face tracker judges identity on the output, and that colour on the face moved it.
RAIN_FACE_LIGHT = 1.0


@dataclass(frozen=True, eq=False)
class Rain(Effect):
    """Rain in two depth layers and ground splashes over a darker, cooler, wetter scene."""

    back: Streaks  # many faint short streaks far behind the person
    front: Streaks  # fewer, longer, brighter, soft streaks before everything (half resolution)
    shield: np.ndarray  # (h/2, w/2) uint8, see _face_shield
    wet: np.ndarray  # (3, 4) grade of the background: darker, cooler, greyer, more contrast
    look: np.ndarray  # (3, 4) colour of the person: the same, gentler, keeping luma
    keep: np.ndarray  # (h, w) float32 how much of look the person gets: less on the face
    exposure: np.ndarray  # (3, 4) the person's darkening, face and all (none: identity)
    seed: int
    colour: np.ndarray  # (h, w, 3) float32 the colour of lit water, a little blue

    @staticmethod
    def make(width: int, height: int, fps: float, seed: int, face_box: tuple[int, int, int, int],
             exposure: float = 0.82) -> Rain:
        """exposure: of the person (the background gets 0.75); 1 when night already darkens them."""
        rng = np.random.default_rng(seed + 101)
        area = width * height / (720.0 * 720.0)
        slope = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.08, 0.16))
        per_frame = height / fps  # one frame height per second, in px per frame
        # far drops cross the frame slower (smaller, farther) and show short faint streaks
        back = Streaks.make(rng, max(8, int(520 * area)), width, height, (0.55 * per_frame, 0.8 * per_frame),
                            0.45, (35, 110), slope)
        # near drops: 1-1.5 frame heights a second, a whole frame's fall as a streak, at half size
        hw, hh = (width + 1) // 2, (height + 1) // 2
        front = Streaks.make(rng, max(2, int(34 * area)), hw, hh, (0.5 * per_frame, 0.75 * per_frame),
                             1.0, (120, 230), slope)
        # a face tracker judges identity on the output: the full grade on the face (and
        # night's on top) moved its descriptor twice as far from the photo's
        wet = grade(exposure=0.75, gains=(0.92, 0.98, 1.08), saturation=0.78, contrast=1.12, pivot=100.0)
        gains = np.array([0.95, 0.99, 1.05], np.float32)
        tone = float(LUMA @ gains)  # the gains' own darkening goes with the exposure
        look = grade(gains=tuple(gains / tone), saturation=0.88)
        keep = 1.0 - RAIN_FACE_LIGHT * face_light(width, height, face_box)
        return Rain(back, front, _face_shield(hw, hh, _halved(face_box), 0.0), wet, look, keep,
                    grade(exposure=exposure * tone), seed + 102,
                    paint(width, height, (225.0, 232.0, 242.0)))

    def plate(self, plate: np.ndarray) -> np.ndarray:
        return apply_grade(plate.copy(), self.wet)

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        h, w = near.shape
        # the background was graded once on the plate; the person is graded here, by near
        lerp_to(frame, cv2.transform(frame, self.look, dst=scratch("rain look", frame.shape)), graded_by(near, self.keep))
        lerp_to(frame, cv2.transform(frame, self.exposure, dst=scratch("rain look", frame.shape)), near)
        back = scratch("rain back", (h, w), np.uint8)
        back[:] = 0
        self.back.draw(back, i)
        _splashes(back, self.seed, i, 2.0 * w * h / (720 * 720), 0.7)
        half = scratch("rain half", self.shield.shape, np.uint8)
        half[:] = 0
        self.front.draw(half, i)
        cv2.multiply(half, self.shield, dst=half, scale=1 / 255)
        front = cv2.resize(half, (w, h), dst=scratch("rain front", (h, w), np.uint8), interpolation=cv2.INTER_LINEAR)
        return _composite(frame, near, back, front, 0.8, 0.75, self.colour)


@dataclass(frozen=True, eq=False)
class Flakes:
    """Snowflakes of one depth layer: (n,) float64 start x, y (px), fall speed and sideways
    drift (px/frame), sway amplitude (px), angular rate (rad/frame) and phase, radius (px),
    value 0..255, in the pixels of the layer they are drawn on."""

    x: np.ndarray
    y: np.ndarray
    speed: np.ndarray
    drift: np.ndarray
    sway: np.ndarray
    rate: np.ndarray
    phase: np.ndarray
    radius: np.ndarray
    value: np.ndarray
    width: float
    height: float

    @staticmethod
    def make(rng: np.random.Generator, n: int, width: int, height: int, radius: tuple[float, float],
             fall: tuple[float, float], fps: float, value: tuple[float, float]) -> Flakes:
        """fall: range of speeds in layer heights per second; bigger flakes fall faster."""
        size = rng.uniform(0, 1, n)
        speed = (fall[0] + (fall[1] - fall[0]) * (0.6 * size + 0.4 * rng.uniform(0, 1, n))) * height / fps
        wind = rng.uniform(0.01, 0.04) * width / fps
        return Flakes(rng.uniform(0, width, n), rng.uniform(0, height, n), speed,
                      wind * rng.uniform(0.6, 1.4, n), rng.uniform(0.01, 0.03, n) * width,
                      rng.uniform(0.8, 2.2, n) / fps, rng.uniform(0, 2 * math.pi, n),
                      radius[0] + (radius[1] - radius[0]) * size, rng.uniform(*value, n), float(width), float(height))

    def draw(self, layer: np.ndarray, i: int) -> None:
        """Draw frame i's flakes into layer (h, w) uint8 as anti-aliased discs."""
        m = float(self.radius.max()) + 1
        y = (self.y + self.speed * i) % (self.height + 2 * m) - m
        x = (self.x + self.drift * i + self.sway * np.sin(self.rate * i + self.phase)) % (self.width + 2 * m) - m
        ends = np.round(np.stack([x, y, self.radius], 1) * ONE).astype(np.int32).tolist()
        for (cx, cy, r), v in zip(ends, self.value.tolist()):
            cv2.circle(layer, (cx, cy), r, v, -1, cv2.LINE_AA, SUB)


@dataclass(frozen=True, eq=False)
class Snow(Effect):
    """Snowfall: small slow flakes behind the person, big soft fast ones in front, a cold, bright, soft grade."""

    back: Flakes
    front: Flakes  # half resolution
    shield: np.ndarray  # (h/2, w/2) uint8, see _face_shield
    look: np.ndarray
    colour: np.ndarray  # (h, w, 3) float32 snow white

    @staticmethod
    def make(width: int, height: int, fps: float, seed: int, face_box: tuple[int, int, int, int]) -> Snow:
        rng = np.random.default_rng(seed + 201)
        area = width * height / (720.0 * 720.0)
        scale = height / 720.0
        back = Flakes.make(rng, max(8, int(520 * area)), width, height, (1.0 * scale, 2.6 * scale), (0.06, 0.14), fps,
                           (150, 255))
        hw, hh = (width + 1) // 2, (height + 1) // 2
        front = Flakes.make(rng, max(2, int(60 * area)), hw, hh, (1.4 * scale, 4.5 * scale), (0.18, 0.32), fps,
                            (150, 240))
        return Snow(back, front, _face_shield(hw, hh, _halved(face_box), 0.45),
                    grade(exposure=1.05, gains=(0.96, 1.0, 1.06), contrast=0.86, pivot=120.0, lift=(2, 4, 8)),
                    paint(width, height, (248.0, 250.0, 255.0)))

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        h, w = near.shape
        apply_grade(frame, self.look)
        back = scratch("snow back", (h, w), np.uint8)
        back[:] = 0
        self.back.draw(back, i)
        # tiny AA discs come out as crosses; a 3 x 3 blur on uint8 rounds them (~0.2 ms)
        cv2.GaussianBlur(back, (3, 3), 0, dst=back)
        half = scratch("snow half", self.shield.shape, np.uint8)
        half[:] = 0
        self.front.draw(half, i)
        # near flakes are out of focus: blurred at half size, cheap
        cv2.GaussianBlur(half, (0, 0), 1.1 * h / 720, dst=half)
        cv2.multiply(half, self.shield, dst=half, scale=1 / 255)
        front = cv2.resize(half, (w, h), dst=scratch("snow front", (h, w), np.uint8), interpolation=cv2.INTER_LINEAR)
        return _composite(frame, near, back, front, 0.9, 1.0, self.colour)


def _periodic_noise(rng: np.random.Generator, width: int, height: int, cell: float) -> np.ndarray:
    """(height, width) float32 smooth noise in 0..1, features ~cell px, periodic in x with period width."""
    gw, gh = max(2, round(width / cell)), max(2, math.ceil(height / cell) + 1)
    grid = rng.uniform(0, 1, (gh, gw)).astype(np.float32)
    pad = 2  # cubic interpolation reads two cells each side: wrap them so the result tiles
    grid = np.pad(grid, ((pad, pad), (pad, pad)), mode="wrap")
    step = width / gw
    big = cv2.resize(grid, (round(grid.shape[1] * step), round(grid.shape[0] * step)), interpolation=cv2.INTER_CUBIC)
    o = round(pad * step)
    noise = big[o:o + height, o:o + width]
    noise = (noise - noise.min()) / max(1e-6, float(noise.max() - noise.min()))
    return np.ascontiguousarray(np.concatenate([noise, noise], 1), dtype=np.float32)


@dataclass(frozen=True, eq=False)
class Fog(Effect):
    """Depth haze: the background mostly fog, the person lightly, drifting density between."""

    slow: np.ndarray  # (h, 2w) float32 0..1 smooth noise, periodic in x with period w
    fast: np.ndarray  # the same, finer
    speeds: tuple[float, float]  # px per frame each scrolls
    colour: np.ndarray  # (h, w, 3) float32 fog, a light grey-blue
    person: float = 0.12  # fog over the person (near = 1)

    @staticmethod
    def make(width: int, height: int, fps: float, seed: int) -> Fog:
        rng = np.random.default_rng(seed + 301)
        return Fog(_periodic_noise(rng, width, height, width / 3.0), _periodic_noise(rng, width, height, width / 7.0),
                   (0.02 * width / fps, 0.035 * width / fps), paint(width, height, (200.0, 207.0, 214.0)))

    def plate(self, plate: np.ndarray) -> np.ndarray:
        h, w = plate.shape[:2]
        # fog scatters light: detail far away is softened before it is veiled
        out = cv2.GaussianBlur(plate, (0, 0), 1.5 * h / 720)
        veil = np.broadcast_to(np.linspace(0.8, 0.72, h, dtype=np.float32)[:, None], (h, w))
        return lerp_to(out, self.colour, np.ascontiguousarray(veil))

    def frame(self, frame: np.ndarray, near: np.ndarray, i: int) -> np.ndarray:
        h, w = near.shape
        a = int(self.speeds[0] * i) % w
        b = int(self.speeds[1] * i) % w
        amount = np.add(self.slow[:, a:a + w], self.fast[:, b:b + w], out=scratch("fog", (h, w)))
        # background: -0.25..+0.45 fog on top of the plate's veil (below 0 clears it a little),
        # so the total density drifts between ~0.6 and ~0.85; person: a thin constant
        np.multiply(amount, np.float32(0.35), out=amount)
        np.add(amount, np.float32(-0.25), out=amount)
        lift = np.subtract(np.float32(self.person), amount, out=scratch("fog person", (h, w)))
        np.multiply(lift, near, out=lift)
        np.add(amount, lift, out=amount)
        return lerp_to(frame, self.colour, amount)
