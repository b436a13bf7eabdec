"""FaceRig + Performance -> frames.

Prepared once per photo (Stage): the framing (crop and scale to the output size), a
working copy of the photo at output scale, the face rig, a clean background plate, the
deformation field over the region that moves (ROI) and the static frame around it.
Each frame then: pose the landmarks, rotate the head in 3D, turn control displacements
into one backward map, remap the photo and the person mask once, draw the mouth
interior behind the lips, composite over the plate and paste into the static frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import Cancelled
from ..face.model import FaceRig
from ..motion.model import Performance
from .geometry import (CONTROL_POINTS, FACE_OVAL, LOWER_LIP_INNER, LOWER_LIP_OUTER, UPPER_LIP_INNER,
                       UPPER_LIP_OUTER, Rig, build_rig)
from .mouth import MouthLook, draw_mouth
from .warp import Field

__all__ = ["Framing", "Stage", "frame_for", "prepare", "render"]

SIZES = {"480p": 480, "720p": 720, "1080p": 1080}
ASPECTS = {"1:1": 1.0, "16:9": 16 / 9, "9:16": 9 / 16, "4:3": 4 / 3, "3:4": 3 / 4}
MAX_UPSCALE = 1.5  # beyond this a crop is widened: upscaled photos look soft
FACE_SHARE = 0.30  # auto framing keeps the face at least this share of the frame width
GRID_PX = 8  # output pixels between deformation grid points (an integer: see _offsets)


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


@dataclass(frozen=True)
class Framing:
    """Where the output frame sits in the photo: crop origin and size in photo
    pixels, and the output size in pixels (both even)."""

    x: float
    y: float
    crop_w: float
    crop_h: float
    width: int
    height: int

    @property
    def scale(self) -> float:
        """Output pixels per photo pixel."""
        return self.width / self.crop_w


def frame_for(rig: FaceRig, size: str, aspect: str) -> Framing:
    """Crop around the chosen face at the asked aspect, never stretched."""
    pw, ph = rig.size
    ratio = ASPECTS.get(aspect) or min(max(pw / ph, 9 / 16), 16 / 9)
    short = SIZES[size]
    out_w, out_h = (_even(short * ratio), short) if ratio >= 1 else (short, _even(short / ratio))
    lm = rig.landmarks
    face_w = float(np.ptp(lm[:, 0]))
    cx, cy = float(lm[:, 0].mean()), float(lm[:, 1].mean())
    # the largest crop of this aspect inside the photo, then tighter while the face is small
    crop_w = min(pw, ph * ratio)
    crop_w = min(crop_w, max(face_w / FACE_SHARE, out_w / MAX_UPSCALE))
    crop_w = min(crop_w, pw, ph * ratio)
    crop_h = crop_w / ratio
    x = min(max(cx - crop_w / 2, 0.0), pw - crop_w)
    y = min(max(cy - 0.42 * crop_h, 0.0), ph - crop_h)
    return Framing(x, y, crop_w, crop_h, out_w, out_h)


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """3x3 rotation for image axes (x right, y down, z away from the camera), degrees.
    Positive yaw turns the nose toward image right, pitch nods down, roll is clockwise."""
    y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return (rz @ rx @ ry).astype(np.float32)


def _ring(center: np.ndarray, oval: np.ndarray, scale: float, count: int) -> np.ndarray:
    """(count, 2) points on the face oval scaled about its center, evenly in angle."""
    rel = oval - center
    ang = np.arctan2(rel[:, 1], rel[:, 0])
    order = np.argsort(ang)
    want = np.linspace(-np.pi, np.pi, count, endpoint=False)
    r = np.interp(want, ang[order], np.linalg.norm(rel, axis=1)[order], period=2 * np.pi)
    return center + scale * np.stack([r * np.cos(want), r * np.sin(want)], 1)


@dataclass
class Stage:
    """Everything prepared once for rendering one photo at one framing."""

    framing: Framing
    rig: Rig
    work: np.ndarray  # (h, w, 3) uint8 photo at working scale
    depth: np.ndarray  # (478,) float32 landmark z at working scale
    moving_ring: np.ndarray  # (m, 2) hair/head points that follow the head rigidly
    fixed: np.ndarray  # (f, 2) anchors that never move
    pivot: np.ndarray  # (3,) head rotation centre
    field: Field
    roi: tuple[int, int, int, int]  # x0, y0, x1, y1 in output pixels
    map_x: np.ndarray  # (rh, rw) float32 working x of each ROI output pixel at rest
    map_y: np.ndarray
    alpha_work: np.ndarray  # (h, w) float32 person alpha at working scale
    backdrop: np.ndarray  # (rh, rw, 3) uint8 what shows where the person is not
    static: np.ndarray  # (H, W, 3) uint8 the output frame with nothing moving
    look: MouthLook
    teeth_alpha: np.ndarray | None  # (h, w) float32 the photo's open mouth, if it shows one
    interpolation: int  # cv2 flag for sampling the photo
    to_out: tuple[float, float, float]  # working -> output: scale, x0, y0 (out = (p - x0) * scale)


def _person_alpha(rig: FaceRig, landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Hardened person mask at working scale, always covering the face itself."""
    mask = cv2.resize(rig.mask, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    alpha = np.clip((mask - 0.3) / 0.4, 0, 1)
    hull = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.round(landmarks[:, :2]).astype(np.int32)), 1)
    alpha = np.maximum(alpha, hull.astype(np.float32))
    return cv2.GaussianBlur(alpha, (0, 0), 0.8)


def _clean_plate(work: np.ndarray, alpha: np.ndarray, box: tuple[int, int, int, int], iod: float) -> np.ndarray:
    """The background with the person removed inside box (working pixels): inpainted
    at low resolution from a dilated mask, so head motion reveals background, not a halo."""
    x0, y0, x1, y1 = box
    region = work[y0:y1, x0:x1]
    hole = (alpha[y0:y1, x0:x1] > 0.05).astype(np.uint8)
    grow = max(3, int(0.12 * iod))
    hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    small = max(1.0, max(region.shape[:2]) / 200.0)
    sw, sh = max(2, int(region.shape[1] / small)), max(2, int(region.shape[0] / small))
    lo = cv2.inpaint(cv2.resize(region, (sw, sh), interpolation=cv2.INTER_AREA),
                     cv2.resize(hole, (sw, sh), interpolation=cv2.INTER_NEAREST), 5, cv2.INPAINT_TELEA)
    filled = cv2.resize(lo, (region.shape[1], region.shape[0]), interpolation=cv2.INTER_LINEAR)
    h = hole.astype(np.float32)[..., None]
    plate = work.copy()
    plate[y0:y1, x0:x1] = (region * (1 - h) + filled * h).astype(np.uint8)
    return plate


def prepare(rig_in: FaceRig, framing: Framing) -> Stage:
    """Everything that does not change from frame to frame."""
    s_work = min(1.0, framing.scale)
    ph, pw = rig_in.image.shape[:2]
    if s_work < 1.0:
        work = cv2.resize(rig_in.image, (max(1, round(pw * s_work)), max(1, round(ph * s_work))),
                          interpolation=cv2.INTER_AREA)
    else:
        work = rig_in.image
    s_work = work.shape[1] / pw
    landmarks = rig_in.landmarks * s_work
    rig = build_rig(landmarks)
    iod = rig.frame.iod
    k = framing.scale / s_work
    ox, oy = framing.x * s_work, framing.y * s_work

    oval = rig.rest[FACE_OVAL, :2]
    center = oval.mean(0)
    moving_ring = _ring(center, oval, 1.4, 20)
    fixed_ring = _ring(center + (0, 0.25 * iod), oval, 1.9, 24)
    # ROI: the fixed ring's box, in output pixels, clipped to the frame
    x0, y0 = np.floor((fixed_ring.min(0) - (ox, oy)) * k).astype(int)
    x1, y1 = np.ceil((fixed_ring.max(0) - (ox, oy)) * k).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, framing.width), min(y1, framing.height)
    # anchors on the ROI border so the field is zero where the ROI meets the static frame
    bx0, by0, bx1, by1 = x0 / k + ox, y0 / k + oy, x1 / k + ox, y1 / k + oy
    t = np.linspace(0, 1, 9)
    border = np.concatenate([np.stack([bx0 + t * (bx1 - bx0), np.full_like(t, by0)], 1),
                             np.stack([bx0 + t * (bx1 - bx0), np.full_like(t, by1)], 1),
                             np.stack([np.full_like(t, bx0), by0 + t * (by1 - by0)], 1)[1:-1],
                             np.stack([np.full_like(t, bx1), by0 + t * (by1 - by0)], 1)[1:-1]])
    fixed = np.concatenate([fixed_ring, border]).astype(np.float32)
    controls = np.concatenate([rig.photo[CONTROL_POINTS, :2], moving_ring, fixed]).astype(np.float32)
    step = GRID_PX / k
    # Grid point j sits at ROI output pixel GRID_PX * j + (GRID_PX - 1) / 2: exactly where
    # cv2.resize by GRID_PX samples it, so upsampling the coarse field is one resize.
    half = (GRID_PX - 1) / 2 / k
    gx1 = bx0 + half + step * int(np.ceil((x1 - x0) / GRID_PX))
    gy1 = by0 + half + step * int(np.ceil((y1 - y0) / GRID_PX))
    field = Field.fit(controls, (bx0 + half, by0 + half, gx1, gy1), step)

    # per-pixel rest map of the ROI
    us, vs = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
    map_x, map_y = us / k + ox, vs / k + oy

    alpha = _person_alpha(rig_in, landmarks, work.shape[:2])
    wx0, wy0 = max(int(bx0), 0), max(int(by0), 0)
    wx1, wy1 = min(int(math.ceil(bx1)) + 1, work.shape[1]), min(int(math.ceil(by1)) + 1, work.shape[0])
    plate = _clean_plate(work, alpha, (wx0, wy0, wx1, wy1), iod)

    # the static frame: the crop at output size, from the working photo
    full_x, full_y = np.meshgrid(np.arange(framing.width, dtype=np.float32) / k + ox,
                                 np.arange(framing.height, dtype=np.float32) / k + oy)
    interpolation = cv2.INTER_CUBIC if k > 1.3 else cv2.INTER_LINEAR  # upscaling far: keep it sharp
    static = cv2.remap(work, full_x, full_y, interpolation, borderMode=cv2.BORDER_REPLICATE)
    # Behind the person: the plate, fading to the untouched frame at the ROI's inner
    # edges, so that at rest the composite equals the static frame there (no seam).
    plate_roi = cv2.remap(plate, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    rh, rw = plate_roi.shape[:2]
    band = max(4.0, 0.08 * iod * k)
    ramp = np.ones((rh, rw), np.float32)
    yy, xx = np.mgrid[0:rh, 0:rw].astype(np.float32)
    for dist, inner in ((xx, x0 > 0), (rw - 1 - xx, x1 < framing.width),
                        (yy, y0 > 0), (rh - 1 - yy, y1 < framing.height)):
        if inner:
            ramp = np.minimum(ramp, np.clip(dist / band, 0, 1))
    static_roi = static[y0:y1, x0:x1].astype(np.float32)
    backdrop = plate_roi.astype(np.float32) * ramp[..., None] + static_roi * (1 - ramp[..., None])
    backdrop = np.clip(backdrop + 0.5, 0, 255).astype(np.uint8)

    look = MouthLook.of(work, landmarks[UPPER_LIP_OUTER + LOWER_LIP_OUTER[-2:0:-1], :2],
                        landmarks[UPPER_LIP_INNER + LOWER_LIP_INNER[-2:0:-1], :2])
    teeth_alpha = None
    if rig.mouth_gap > 0.05:  # the photo shows its teeth: keep them for the open mouth
        inner = np.zeros(work.shape[:2], np.uint8)
        cv2.fillPoly(inner, [np.round(landmarks[UPPER_LIP_INNER + LOWER_LIP_INNER[-2:0:-1], :2] * 16).astype(np.int32)],
                     255, cv2.LINE_AA, 4)
        inner = cv2.erode(inner, np.ones((3, 3), np.uint8))
        teeth_alpha = cv2.GaussianBlur(inner.astype(np.float32) / 255.0, (0, 0), 0.7)
    z = landmarks[:, 2]
    pivot = np.array([center[0], center[1] + 0.4 * iod, float(np.median(z)) + 0.5 * iod], np.float32)
    return Stage(framing, rig, work, z.astype(np.float32), moving_ring.astype(np.float32), fixed, pivot,
                 field, (x0, y0, x1, y1), map_x, map_y,
                 alpha, backdrop, static, look, teeth_alpha, interpolation, (k, ox, oy))


def _targets(stage: Stage, perf: Performance, i: int) -> np.ndarray:
    """(478, 2) posed landmarks and the moving ring after the head motion, stacked."""
    weights = np.concatenate([perf.mouth[i], perf.expression[i], perf.gaze[i]])
    pts = stage.rig.pose(weights, float(perf.blink[i]))
    ring_z = np.full(len(stage.moving_ring), stage.pivot[2] - 0.2 * stage.rig.frame.iod, np.float32)
    xyz = np.concatenate([np.column_stack([pts, stage.depth]),
                          np.column_stack([stage.moving_ring, ring_z])])
    yaw, pitch, roll = (float(a) for a in perf.head[i])
    rot = _rotation(yaw, pitch, roll)
    moved = (xyz - stage.pivot) @ rot.T + stage.pivot
    lift = float(perf.breath[i]) * 0.012 * stage.rig.frame.iod
    moved[:, 1] -= lift
    return moved[:, :2]


def _photo_mouth(stage: Stage, mesh: np.ndarray):
    """The photo's own mouth interior, riding on the upper lip (None if it shows none)."""
    if stage.teeth_alpha is None:
        return None
    shift = stage.rig.photo[UPPER_LIP_INNER, :2].mean(0) - mesh[UPPER_LIP_INNER].mean(0)

    def sample(x0: int, y0: int, x1: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
        mx = stage.map_x[y0:y1, x0:x1] + float(shift[0])
        my = stage.map_y[y0:y1, x0:x1] + float(shift[1])
        own = cv2.remap(stage.work, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        cover = cv2.remap(stage.teeth_alpha, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        return own.astype(np.float32), cover

    return sample


def render_frame(stage: Stage, perf: Performance, i: int) -> np.ndarray:
    """Frame i as (H, W, 3) uint8 RGB."""
    moved = _targets(stage, perf, i)
    n_mesh = stage.rig.rest.shape[0]
    mesh, ring = moved[:n_mesh], moved[n_mesh:]
    rest = np.concatenate([stage.rig.photo[CONTROL_POINTS, :2], stage.moving_ring])
    disp = np.concatenate([mesh[CONTROL_POINTS], ring]) - rest
    disp = np.concatenate([disp, np.zeros((len(stage.fixed), 2), np.float32)])
    back = stage.field.backward(disp)
    rh, rw = stage.map_x.shape
    gh, gw = back.shape[:2]
    off = cv2.resize(back, (gw * GRID_PX, gh * GRID_PX), interpolation=cv2.INTER_LINEAR)[:rh, :rw]
    mx, my = stage.map_x + off[..., 0], stage.map_y + off[..., 1]
    person = cv2.remap(stage.work, mx, my, stage.interpolation, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.remap(stage.alpha_work, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)

    k, ox, oy = stage.to_out
    x0, y0, x1, y1 = stage.roi
    to_roi = np.array([ox + x0 / k, oy + y0 / k], np.float32)
    draw_mouth(person, (mesh[UPPER_LIP_INNER] - to_roi) * k, (mesh[LOWER_LIP_INNER] - to_roi) * k,
               stage.rig.frame.iod * k, stage.look, _photo_mouth(stage, mesh))
    out = stage.static.copy()
    out[y0:y1, x0:x1] = cv2.blendLinear(person, stage.backdrop, alpha, 1.0 - alpha)
    return out


def render(stage: Stage, perf: Performance,
           should_stop: Callable[[], bool] | None = None) -> Iterator[np.ndarray]:
    """Yield every frame of the performance; raise Cancelled if should_stop() says so."""
    for i in range(perf.num_frames):
        if should_stop is not None and should_stop():
            raise Cancelled("cancelled: nothing was written")
        yield render_frame(stage, perf, i)
