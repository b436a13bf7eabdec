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
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..errors import Cancelled
from ..face.model import FaceRig
from ..motion.model import Performance
from .camera import Layers, shoot
from . import eyes
from .geometry import (CONTROL_POINTS, FACE_OVAL, INNER_LIP_RING, LEFT_EYE_LOWER, LEFT_EYE_UPPER, LOWER_LIP_INNER,
                       LOWER_LIP_OUTER, OUTER_LIP_RING, RIGHT_EYE_LOWER, RIGHT_EYE_UPPER, UPPER_LIP_INNER, UPPER_LIP_OUTER,
                       Rig, build_rig, patch_box)
from .framing import ASPECTS, SIZES, Framing, frame_for
from .layers import clean_plate, lips_over_mouth, open_mouth_mask, person_alpha
from .matte import refine
from .mouth import MouthLook, draw_mouth
from .warp import Field, feather, grid_field, upsample

if TYPE_CHECKING:
    from .scene import Scene

__all__ = ["ASPECTS", "SIZES", "Framing", "Stage", "face_box", "frame_for", "prepare", "render", "render_frame", "render_workers"]

GRID_PX = 8  # output pixels between deformation grid points (an integer: see warp.grid_field)
MOUTH_GRID_PX = 2  # the same near the lips, where the field squeezes and stretches most


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
    premultiplied: np.ndarray  # (h, w, 3) float32 person * alpha (open mouth filled with lip): what the warp moves
    depth: np.ndarray  # (478,) float32 landmark z at working scale
    moving_ring: np.ndarray  # (m, 2) hair/head points that follow the head rigidly
    sources: np.ndarray  # (c, 2) the moving control points where they are in the photo
    mouth_band: bool  # control points inside the photo's open mouth (see _control_positions)
    seam: np.ndarray  # (2,) how far touching inner lips are set apart (see _control_positions)
    fixed: np.ndarray  # (f, 2) anchors that never move
    pivot: np.ndarray  # (3,) head rotation centre
    field: Field
    mouth_fields: tuple[tuple[Field, np.ndarray], ...]  # finer, over mouth_box: (field, control rows)
    mouth_box: tuple[int, int, int, int]  # x0, y0, x1, y1 in ROI pixels
    mouth_feather: np.ndarray  # (mh, mw, 1) float32 weight of the fine field, 0 at its edges
    roi: tuple[int, int, int, int]  # x0, y0, x1, y1 in output pixels
    map_x: np.ndarray  # (rh, rw) float32 working x of each ROI output pixel at rest
    map_y: np.ndarray
    alpha_work: np.ndarray  # (h, w) float32 person alpha at working scale
    backdrop: np.ndarray  # (rh, rw, 3) float32 the clean plate: what shows where the person is not
    static: np.ndarray  # (H, W, 3) uint8 the output frame with nothing moving
    look: MouthLook
    lids: tuple[eyes.Lid, eyes.Lid]  # the right (image-left) and left eye's lids, for blinks
    lid_skin: np.ndarray  # (h, w, 3) float32 premultiplied with the upper lids relit (eyes.relit)
    teeth_alpha: np.ndarray | None  # (h, w) float32 the photo's open mouth, if it shows one
    origin: np.ndarray  # (2,) working-photo pixel under output pixel (0, 0): out = p - origin
    layers: Layers | None = None  # full-frame layers, when the camera moves or a scene is on
    scene: "Scene | None" = None


_EYE_LINES = ((RIGHT_EYE_UPPER, RIGHT_EYE_LOWER), (LEFT_EYE_UPPER, LEFT_EYE_LOWER))


_BAND_PAIRS = (np.array(UPPER_LIP_INNER[1:-1]), np.array(LOWER_LIP_INNER[1:-1]))
_UPPER_INNER_ROWS = [CONTROL_POINTS.index(i) for i in UPPER_LIP_INNER[1:-1]]
_LOWER_INNER_ROWS = [CONTROL_POINTS.index(i) for i in LOWER_LIP_INNER[1:-1]]
_BAND_STEPS = np.linspace(0.125, 0.875, 7, dtype=np.float32)[:, None, None]


def _control_positions(mesh: np.ndarray, mouth_band: bool, seam: np.ndarray) -> np.ndarray:
    """(c, 2) the control points of a pose.

    For a photo whose mouth is open, points across the opening between paired
    inner-lip points are added: without them the spline overshoots and folds where
    the lips are squeezed onto one seam. For a closed mouth the inner lips touch, so
    upper and lower are set apart by seam (a vector, pixels) in sources and targets
    alike: two control points a fraction of a pixel apart make the spline unstable."""
    pts = mesh[CONTROL_POINTS]
    if not mouth_band:
        pts = pts.copy()
        pts[_UPPER_INNER_ROWS] -= seam
        pts[_LOWER_INNER_ROWS] += seam
        return pts
    up, low = mesh[_BAND_PAIRS[0]], mesh[_BAND_PAIRS[1]]
    up = np.concatenate([up, (up[1:] + up[:-1]) / 2])
    low = np.concatenate([low, (low[1:] + low[:-1]) / 2])
    band = (up[None] + _BAND_STEPS * (low - up)[None]).reshape(-1, 2)
    return np.concatenate([pts, band])


def displacement(stage: "Stage", perf: Performance, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame i's posed (478, 2) landmarks and the displacement of every control point."""
    moved = _targets(stage, perf, i)
    n_mesh = stage.rig.rest.shape[0]
    mesh, ring = moved[:n_mesh], moved[n_mesh:]
    targets = np.concatenate([_control_positions(mesh, stage.mouth_band, stage.seam), ring])
    disp = np.concatenate([targets - stage.sources, np.zeros((len(stage.fixed), 2), np.float32)])
    return mesh, disp


def _mouth_cut(n_controls: int, mouth_band: bool) -> tuple[np.ndarray, ...]:
    """Control rows of the fine mouth field(s).

    Lips that touch in the photo tear apart when the jaw drops: one spline through
    both would overshoot beside the tear and scatter lip pixels. So the field is cut
    along the seam: one spline without the lower inner lip (used above the seam), one
    without the upper inner lip (used below). Both hold the mouth corners, so they
    meet there. An open mouth in the photo needs no cut: its opening is a band."""
    rows = np.arange(n_controls)
    if mouth_band:
        return (rows,)
    return (np.setdiff1d(rows, _LOWER_INNER_ROWS), np.setdiff1d(rows, _UPPER_INNER_ROWS))


def _below_seam(seam: np.ndarray, shape: tuple[int, int], iod: float) -> np.ndarray:
    """(h, w, 1) weight of the lower field: 1 below the seam line (k, 2), 0 above,
    a two-pixel blend across it, fading to an even mix beyond the mouth corners."""
    h, w = shape
    order = np.argsort(seam[:, 0])
    xs = np.arange(w, dtype=np.float32)
    line = np.interp(xs, seam[order, 0], seam[order, 1])
    ys = np.arange(h, dtype=np.float32)[:, None]
    side = np.clip((ys - line[None, :]) / 2.0 + 0.5, 0.0, 1.0)
    left, right = float(seam[:, 0].min()), float(seam[:, 0].max())
    outside = np.maximum(left - xs, xs - right) / max(0.08 * iod, 1.0)
    fade = np.clip(outside, 0.0, 1.0)[None, :]
    return (side * (1 - fade) + 0.5 * fade).astype(np.float32)[..., None]


def prepare(rig_in: FaceRig, framing: Framing, *, scene: Sequence[str] = (), camera_moves: bool = False,
            seed: int = 0, fps: Fraction = Fraction(24)) -> Stage:
    """Everything that does not change from frame to frame.

    scene names the effects (render.scene.SCENES) and camera_moves says whether the
    performance moves the camera: either builds full-frame layers (slower per frame);
    with neither, a frame is the photo wherever nothing moves."""
    # The photo is resampled once onto the output pixel grid (area-averaged down, cubic
    # up) and the crop origin rounded to whole pixels, so at rest every map is an
    # integer copy: the frame IS the photo where nothing moves. Each frame then moves
    # pixels by small amounts with a bilinear remap, which stays steady where a
    # per-frame cubic kernel rings as the warp shifts sub-pixel.
    ph, pw = rig_in.image.shape[:2]
    size = (max(1, round(pw * framing.scale)), max(1, round(ph * framing.scale)))
    work = cv2.resize(rig_in.image, size, interpolation=cv2.INTER_AREA if framing.scale < 1 else cv2.INTER_CUBIC)
    s_work = work.shape[1] / pw
    landmarks = rig_in.landmarks * s_work
    rig = build_rig(landmarks)
    iod = rig.frame.iod
    ox = float(max(0, min(round(framing.x * s_work), work.shape[1] - framing.width)))
    oy = float(max(0, min(round(framing.y * s_work), work.shape[0] - framing.height)))

    oval = rig.rest[FACE_OVAL, :2]
    center = oval.mean(0)
    moving_ring = _ring(center, oval, 1.4, 20)
    fixed_ring = _ring(center + (0, 0.25 * iod), oval, 1.9, 24)
    # ROI: the fixed ring's box, in output pixels, clipped to the frame
    x0, y0 = np.floor(fixed_ring.min(0) - (ox, oy)).astype(int)
    x1, y1 = np.ceil(fixed_ring.max(0) - (ox, oy)).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, framing.width), min(y1, framing.height)
    # anchors on the ROI border so the field is zero where the ROI meets the static frame
    bx0, by0, bx1, by1 = x0 + ox, y0 + oy, x1 + ox, y1 + oy
    t = np.linspace(0, 1, 9)
    border = np.concatenate([np.stack([bx0 + t * (bx1 - bx0), np.full_like(t, by0)], 1),
                             np.stack([bx0 + t * (bx1 - bx0), np.full_like(t, by1)], 1),
                             np.stack([np.full_like(t, bx0), by0 + t * (by1 - by0)], 1)[1:-1],
                             np.stack([np.full_like(t, bx1), by0 + t * (by1 - by0)], 1)[1:-1]])
    fixed = np.concatenate([fixed_ring, border]).astype(np.float32)
    mouth_band = rig.mouth_gap > 0.03
    seam = (0.006 * iod * rig.frame.ey).astype(np.float32)
    sources = np.concatenate([_control_positions(rig.photo[:, :2], mouth_band, seam), moving_ring]).astype(np.float32)
    controls = np.concatenate([sources, fixed]).astype(np.float32)
    field = grid_field(controls, (0, 0, x1 - x0, y1 - y0), GRID_PX, (bx0, by0))
    lips = rig.rest[UPPER_LIP_OUTER + LOWER_LIP_OUTER, :2] - (bx0, by0)
    pad = np.array([0.35, 0.3, 0.35, 0.55]) * iod
    mouth_box = (max(int(lips[:, 0].min() - pad[0]), 0), max(int(lips[:, 1].min() - pad[1]), 0),
                 min(int(lips[:, 0].max() + pad[2]), x1 - x0), min(int(lips[:, 1].max() + pad[3]), y1 - y0))
    mouth_fields = tuple((grid_field(controls[rows], mouth_box, MOUTH_GRID_PX, (bx0, by0)), rows)
                         for rows in _mouth_cut(len(controls), mouth_band))

    # per-pixel rest map of the ROI
    us, vs = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
    map_x, map_y = us + ox, vs + oy

    alpha = person_alpha(rig_in, landmarks, work.shape[:2])
    layered = camera_moves or bool(scene)
    # layered, the person is seen over a new plate (a scene, or the plate moving with
    # parallax): their outline is matted, soft through hair and ears
    frame_box = (int(ox) - 2, int(oy) - 2, int(ox) + framing.width + 2, int(oy) + framing.height + 2)
    matte = refine(work, alpha, landmarks, iod, frame_box) if layered else None
    if matte is not None:
        alpha = matte.alpha
    wx0, wy0 = max(int(bx0), 0), max(int(by0), 0)
    wx1, wy1 = min(int(math.ceil(bx1)) + 1, work.shape[1]), min(int(math.ceil(by1)) + 1, work.shape[0])
    # layered, the whole person leaves the plate: a camera move or a scene shows all of it
    box = (0, 0, work.shape[1], work.shape[0]) if layered else (wx0, wy0, wx1, wy1)
    plate = clean_plate(work, alpha, box, iod)
    if matte is not None:
        # under the soft edge the plate is the matte's own background, so the
        # premultiplied person below is the person's colour alone (F * alpha), with no
        # old background in it, and still adds up to the photo over this plate at rest
        soft = (alpha > 0) & (alpha < 1)
        plate[soft] = np.round(matte.background[soft]).astype(np.uint8)

    # the static frame: the crop at output size, from the working photo
    full_x, full_y = np.meshgrid(np.arange(framing.width, dtype=np.float32) + ox,
                                 np.arange(framing.height, dtype=np.float32) + oy)
    static = cv2.remap(work, full_x, full_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # behind the person: the clean plate (equal to the photo wherever alpha is 0)
    backdrop = cv2.remap(plate, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)

    look = MouthLook.of(work, landmarks[OUTER_LIP_RING, :2], landmarks[INNER_LIP_RING, :2])
    lids = eyes.lids_of(work, tuple(landmarks[u, :2] for u, _ in _EYE_LINES),
                        tuple(landmarks[lo, :2] for _, lo in _EYE_LINES), rig.frame.ex, rig.frame.ey, iod)
    # the photo shows its teeth: keep them for the open mouth
    teeth_alpha = open_mouth_mask(work, landmarks) if rig.mouth_gap > 0.05 else None
    # The photo is person * alpha + plate * (1 - alpha); the warp moves the premultiplied
    # person (photo - plate * (1 - alpha)) and its alpha, and the frame is that over the
    # plate: exactly the photo at rest, and a moving edge (hair) carries its own colour,
    # not a fringe of the old background.
    skin = lips_over_mouth(work, landmarks) if teeth_alpha is not None else work
    premultiplied = skin.astype(np.float32) - (1.0 - alpha)[..., None] * plate.astype(np.float32)
    lid_skin = eyes.relit(premultiplied, lids, iod)
    z = landmarks[:, 2]
    pivot = np.array([center[0], center[1] + 0.4 * iod, float(np.median(z)) + 0.5 * iod], np.float32)
    layers, effects = None, None
    if layered:
        plate_out = cv2.remap(plate, full_x, full_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        alpha_out = cv2.remap(alpha, full_x, full_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        plate_out = plate_out.astype(np.float32)
        person_out = static.astype(np.float32) - plate_out * (1.0 - alpha_out)[..., None]
        face = rig.rest[:, :2] - (ox, oy)
        if scene:
            from .scene import build

            effects = build(tuple(scene), framing.width, framing.height, fps, seed, _box(face))
            plate_out = np.ascontiguousarray(effects.plate(plate_out), dtype=np.float32)
        layers = Layers(plate_out, np.dstack([person_out, alpha_out]), face.mean(0).astype(np.float32))
    return Stage(framing, rig, work, premultiplied, z.astype(np.float32), moving_ring.astype(np.float32), sources,
                 mouth_band, seam, fixed, pivot,
                 field, mouth_fields, mouth_box, feather(mouth_box), (x0, y0, x1, y1), map_x, map_y,
                 alpha, backdrop, static, look, lids, lid_skin, teeth_alpha, np.array([ox, oy], np.float32), layers, effects)


def _box(points: np.ndarray, grow: float = 0.0) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1: whole pixels around (n, 2) points, grown by grow of their size on
    each side; not clipped."""
    lo, hi = points.min(0), points.max(0)
    pad = grow * (hi - lo)
    (x0, y0), (x1, y1) = np.floor(lo - pad).astype(int), np.ceil(hi + pad).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def face_box(stage: Stage, grow: float = 0.45) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1: the face at rest in output pixels, grown by grow of its size on
    each side (room for head motion and a camera move), clipped to the frame."""
    x0, y0, x1, y1 = _box(stage.rig.rest[:, :2] - stage.origin, grow)
    return max(x0, 0), max(y0, 0), min(x1, stage.framing.width), min(y1, stage.framing.height)


def _targets(stage: Stage, perf: Performance, i: int) -> np.ndarray:
    """(478, 2) posed landmarks and the moving ring after the head motion, stacked."""
    weights = np.concatenate([perf.mouth[i], perf.expression[i], perf.gaze[i]])
    pts = stage.rig.pose(weights, float(perf.replace[i]))  # a blink is not in the field: see _blink
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


def _soften_seam(stage: Stage, person: np.ndarray, mx: np.ndarray, my: np.ndarray, lips: np.ndarray) -> None:
    """Where the photo's open mouth is squeezed into the lip seam, blur it a little.

    Squeezing a band to a line leaves the spline too little room: the few pixels it
    lands in come out shuffled. A soft contact line is what a closed mouth shows."""
    if stage.teeth_alpha is None:
        return
    box = patch_box(lips, 4, person.shape, min_size=4)
    if box is None:
        return
    x0, y0, x1, y1 = box
    landed = cv2.remap(stage.teeth_alpha, mx[y0:y1, x0:x1], my[y0:y1, x0:x1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT)
    a = cv2.GaussianBlur(np.clip(landed * 2, 0, 1), (0, 0), 1.5)[..., None]
    if float(a.max()) < 0.01:
        return
    region = person[y0:y1, x0:x1]
    soft = cv2.GaussianBlur(region, (0, 0), 0.06 * stage.rig.frame.iod)
    person[y0:y1, x0:x1] = region + (soft - region) * a


def source_map(stage: Stage, mesh: np.ndarray, disp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rh, rw) float32 x and y in the working photo that each ROI pixel shows."""
    x0, y0, x1, y1 = stage.roi
    off = upsample(stage.field.backward(disp), GRID_PX, stage.map_x.shape)
    bx0, by0, bx1, by1 = stage.mouth_box
    fine = [upsample(field.backward(disp[rows]), MOUTH_GRID_PX, (by1 - by0, bx1 - bx0))
            for field, rows in stage.mouth_fields]
    if len(fine) == 2:  # lips parting: above the seam the upper field, below it the lower
        seam = (mesh[UPPER_LIP_INNER] + mesh[LOWER_LIP_INNER]) / 2 - stage.origin - (x0 + bx0, y0 + by0)
        below = _below_seam(seam, (by1 - by0, bx1 - bx0), stage.rig.frame.iod)
        fine = [fine[0] + (fine[1] - fine[0]) * below]
    fine = fine[0]
    coarse = off[by0:by1, bx0:bx1]
    off[by0:by1, bx0:bx1] = coarse + (fine - coarse) * stage.mouth_feather
    return stage.map_x + off[..., 0], stage.map_y + off[..., 1]


def _blink(stage: Stage, mesh: np.ndarray, mx: np.ndarray, my: np.ndarray, closure: float
           ) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    """Close the lids by a blink of closure in [0, 1]: the source maps mx, my (rh, rw)
    are moved in place, around each posed eye, by the lid map of render.eyes.

    Returns, per eye, the ROI box it touched and the (bh, bw) weight of the relit lid
    skin there (eyes.close)."""
    if closure <= 0.0:
        return []
    iod = stage.rig.frame.iod
    to_roi = stage.origin + stage.roi[:2]
    touched = []
    for lid, (upper, lower) in zip(stage.lids, _EYE_LINES):
        box = patch_box(mesh[upper + lower] - to_roi, int(0.22 * iod) + 2, mx.shape)
        if box is None:
            continue
        x0, y0, x1, y1 = box
        sx, sy, shows = eyes.close(lid, mx[y0:y1, x0:x1], my[y0:y1, x0:x1], closure)
        mx[y0:y1, x0:x1], my[y0:y1, x0:x1] = sx, sy
        touched.append((box, shows))
    return touched


def _person(stage: Stage, perf: Performance, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame i's moving region: the premultiplied person (rh, rw, 3) and alpha (rh, rw)."""
    mesh, disp = displacement(stage, perf, i)
    mx, my = source_map(stage, mesh, disp)
    lids = _blink(stage, mesh, mx, my, float(perf.blink[i]))
    x0, y0, x1, y1 = stage.roi
    person = cv2.remap(stage.premultiplied, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.remap(stage.alpha_work, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    for (bx0, by0, bx1, by1), shows in lids:  # the unfolded lid catches the light
        lid = cv2.remap(stage.lid_skin, mx[by0:by1, bx0:bx1], my[by0:by1, bx0:bx1], cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_CONSTANT)
        region = person[by0:by1, bx0:bx1]
        region += (lid - region) * shows[..., None]

    to_roi = stage.origin + (x0, y0)  # posed landmarks -> ROI pixels
    _soften_seam(stage, person, mx, my, mesh[UPPER_LIP_OUTER + LOWER_LIP_OUTER] - to_roi)
    draw_mouth(person, mesh[UPPER_LIP_INNER] - to_roi, mesh[LOWER_LIP_INNER] - to_roi,
               stage.rig.frame.iod, stage.look, _photo_mouth(stage, mesh))
    return person, alpha


def render_frame(stage: Stage, perf: Performance, i: int) -> np.ndarray:
    """Frame i as (H, W, 3) uint8 RGB."""
    person, alpha = _person(stage, perf, i)
    x0, y0, x1, y1 = stage.roi
    if stage.layers is None:  # only the face region changes
        out = stage.static.copy()
        comp = person + stage.backdrop * (1.0 - alpha)[..., None]
        out[y0:y1, x0:x1] = np.clip(comp + 0.5, 0, 255).astype(np.uint8)
        return out
    body = stage.layers.person.copy()
    body[y0:y1, x0:x1, :3], body[y0:y1, x0:x1, 3] = person, alpha
    frame, near = shoot(stage.layers, body, perf.camera[i])
    if stage.scene is not None:
        frame = stage.scene.frame(frame, near, i)
    return cv2.convertScaleAbs(frame)  # rounds and saturates to uint8


def render(stage: Stage, perf: Performance, should_stop: Callable[[], bool] | None = None,
           workers: int = 1) -> Iterator[np.ndarray]:
    """Yield every frame of the performance, in order; raise Cancelled if should_stop()
    says so (asked once per frame, before it starts).

    workers > 1 renders the next frames on that many threads while the caller marks
    and encodes this one: frame i depends on i alone (the scene's scratch buffers are
    per thread), and OpenCV and numpy's large operations release the GIL, so the
    frames are the very same, only sooner. At most 2 * workers frames are in flight;
    when the caller stops early (an error, a cancel) the ones not started are dropped
    and the running ones finish before this returns."""
    if workers <= 1:
        for i in range(perf.num_frames):
            _check_stop(should_stop)
            yield render_frame(stage, perf, i)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="sayso-render") as pool:
        pending: deque[Future[np.ndarray]] = deque()
        try:
            for i in range(perf.num_frames):
                while len(pending) < 2 * workers and i + len(pending) < perf.num_frames:
                    _check_stop(should_stop)
                    pending.append(pool.submit(render_frame, stage, perf, i + len(pending)))
                yield pending.popleft().result()
        finally:
            for later in pending:
                later.cancel()


def _check_stop(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise Cancelled("cancelled: nothing was written")


MAX_WORKERS = 4  # each thread holds a frame's working set (~130 MB for a 1080p scene frame)


def render_workers() -> int:
    """Threads that render frames: one per core this process may use, at most
    MAX_WORKERS (2 on 2 cores; the encoder's thread and the caller's marks share them)."""
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS))
