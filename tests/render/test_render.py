"""The renderer, measured on landmarks re-detected in its frames."""

import threading
from fractions import Fraction

import cv2
import numpy as np
import pytest
from measure import measure

from sayso.face import analyze
from sayso.motion import expression_weights
from sayso.motion.model import EXPRESSION_CHANNELS, MOUTH_CHANNELS, Performance
from sayso.plan import EXPRESSIONS
from sayso.photo import load_photo
from sayso.errors import Cancelled
from sayso.render import ASPECTS, displacement, frame_for, prepare, render, render_frame
from sayso.render.geometry import (INNER_LIP_RING, LOWER_LIP_INNER, LOWER_LIP_OUTER, UPPER_LIP_INNER, UPPER_LIP_OUTER,
                                   build_rig)


def pose(**controls) -> Performance:
    """A one-frame performance; keyword names are mouth channels, expressions or
    blink, yaw, pitch, roll, gaze_x, gaze_y, zoom, pan_x."""
    mouth = np.array([[controls.get(c, 0.0) for c in MOUTH_CHANNELS]], np.float32)
    expr = np.zeros((1, len(EXPRESSION_CHANNELS)), np.float32)
    for name in EXPRESSIONS:
        if name in controls:
            expr[0] += expression_weights(name, controls[name])
    head = np.array([[controls.get(c, 0.0) for c in ("yaw", "pitch", "roll")]], np.float32)
    gaze = np.array([[controls.get("gaze_x", 0.0), controls.get("gaze_y", 0.0)]], np.float32)
    camera = np.array([[controls.get("zoom", 1.0), controls.get("pan_x", 0.0), 0.0]], np.float32)
    return Performance(Fraction(24), mouth, expr, np.array([controls.get("blink", 0.0)], np.float32),
                       gaze, head, np.zeros(1, np.float32), camera)


@pytest.fixture(scope="module")
def biden(photos):
    rig = analyze(load_photo(photos / "fr_biden_official_portrait.jpg"))
    return prepare(rig, frame_for(rig, "480p", "1:1"))


@pytest.fixture(scope="module")
def podium(photos):
    rig = analyze(load_photo(photos / "fr_obama_podium_speaking.jpg"))
    return rig, prepare(rig, frame_for(rig, "480p", "1:1"))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


@pytest.mark.parametrize("aspect", list(ASPECTS) + ["auto"])
@pytest.mark.parametrize("size, short", [("480p", 480), ("720p", 720), ("1080p", 1080)])
def test_framing_crops_around_the_face_and_never_stretches(photos, aspect, size, short):
    rig = analyze(load_photo(photos / "fr_obama_official_portrait.jpg"))
    f = frame_for(rig, size, aspect)
    pw, ph = rig.size
    assert min(f.width, f.height) == short and f.width % 2 == 0 and f.height % 2 == 0
    assert abs(f.crop_w / f.crop_h - f.width / f.height) < 0.01  # same shape: not stretched
    assert 0 <= f.x and f.x + f.crop_w <= pw + 1e-6 and 0 <= f.y and f.y + f.crop_h <= ph + 1e-6
    cx, cy = rig.landmarks[:, :2].mean(0)
    assert f.x < cx < f.x + f.crop_w and f.y < cy < f.y + f.crop_h
    if aspect != "auto":
        assert abs(f.width / f.height - ASPECTS[aspect]) < 0.01


def test_at_rest_a_closed_mouth_photo_is_unchanged(biden):
    frame = render_frame(biden, pose(), 0)
    assert frame.shape == (480, 480, 3) and frame.dtype == np.uint8
    assert psnr(frame, biden.static) > 40  # no seam, halo or smear where nothing moves


def test_jaw_drop_opens_the_mouth_and_it_closes_again(biden):
    rest, opened = measure(render_frame(biden, pose(), 0)), measure(render_frame(biden, pose(jaw=1.0), 0))
    assert rest.mouth_open < 0.05
    assert opened.mouth_open - rest.mouth_open > 0.12
    assert abs(opened.iod - rest.iod) / rest.iod < 0.02  # the eyes did not move with the jaw


def _dark_mouth_pixels(stage, frame) -> int:
    """Pixels of an open mouth (cavity much darker than the lips) in the lips' box."""
    lips = stage.rig.photo[UPPER_LIP_OUTER + LOWER_LIP_OUTER, :2] - stage.origin
    x0, y0 = np.floor(lips.min(0)).astype(int)
    x1, y1 = np.ceil(lips.max(0)).astype(int)
    luma = frame[y0:y1, x0:x1].astype(np.float32) @ np.array([0.299, 0.587, 0.114])
    lip = stage.look.lip @ np.array([0.299, 0.587, 0.114])
    return int((luma < 0.4 * lip).sum())


@pytest.mark.parametrize("name, smiles", [("fr_obama_official_portrait.jpg", True), ("skimage_astronaut.png", True),
                                          ("fr_biden_official_portrait.jpg", False), ("mpl_grace_hopper.jpg", False),
                                          ("fr_obama_podium_speaking.jpg", False)])
def test_the_rig_reads_the_photos_own_smile(photos, name, smiles):
    # what an expression replaces: broad smiles read over 1.2 units of corner pull
    # (1.42-1.44 here), neutral and speaking mouths nothing
    own = build_rig(analyze(load_photo(photos / name)).landmarks).own
    pull = float(own[EXPRESSION_CHANNELS.index("corner_pull")])
    assert (pull > 1.2) if smiles else (pull == 0.0), (name, pull)


def test_replace_takes_the_photos_smile_off_and_pressed_lips_shut_its_teeth(photos):
    rig = build_rig(analyze(load_photo(photos / "fr_obama_official_portrait.jpg")).landmarks)
    n = len(rig.basis)
    lips = lambda pts: float(np.mean(pts[LOWER_LIP_INNER[1:-1], 1] - pts[UPPER_LIP_INNER[1:-1], 1]))  # noqa: E731
    corners = lambda pts: float(np.mean(pts[[61, 291], 1]))  # noqa: E731
    rest, plain = rig.pose(np.zeros(n)), rig.pose(np.zeros(n), replace=1.0)
    assert corners(plain) - corners(rest) > 0.08 * rig.frame.iod  # the smile's corners come down (0.12)
    pressed = np.zeros(n, np.float32)
    pressed[len(MOUTH_CHANNELS) + EXPRESSION_CHANNELS.index("lip_press")] = 0.5
    assert lips(rig.pose(pressed)) < 0.03 * rig.frame.iod  # shut over the teeth: the 0.02 contact line
    pressed[MOUTH_CHANNELS.index("jaw")] = 0.4
    assert lips(rig.pose(pressed)) > lips(rest)  # and parted again by speech


def test_open_mouth_photo_closes_partly_at_rest_and_fully_on_press(podium):
    rig, stage = podium
    photo, rest, press = stage.static, render_frame(stage, pose(), 0), render_frame(stage, pose(press=1.0), 0)
    open_px = _dark_mouth_pixels(stage, photo)
    assert open_px > 300  # the photo: mid-word, mouth wide open
    assert _dark_mouth_pixels(stage, press) < 0.2 * open_px  # m, b, p: lips shut
    gaps = [measure(f).mouth_open for f in (photo, rest, press)]
    assert gaps[0] - 0.05 > gaps[1] > gaps[2]


def test_blink_closes_the_eyes(biden):
    rest = measure(render_frame(biden, pose(), 0)).eye_open
    shut = measure(render_frame(biden, pose(blink=1.0), 0)).eye_open
    assert shut < 0.45 * rest


@pytest.mark.parametrize("expression, field, sign", [
    ("smile", "corner_lift", +1), ("sad", "corner_lift", -1),
    ("angry", "brow_gap", -1), ("surprised", "brow_gap", +1), ("tender", "corner_lift", +1),
    ("laughing", "corner_lift", +1), ("disgusted", "brow_gap", -1)
])
def test_expressions_move_the_face_the_right_way(biden, expression, field, sign):
    rest = getattr(measure(render_frame(biden, pose(), 0)), field)
    moved = getattr(measure(render_frame(biden, pose(**{expression: 1.0}), 0)), field)
    assert sign * (moved - rest) > 0.02


def test_layers_for_a_camera_move_leave_the_rest_frame_the_photo(photos):
    rig = analyze(load_photo(photos / "fr_biden_official_portrait.jpg"))
    layered = prepare(rig, frame_for(rig, "480p", "1:1"), camera_moves=True)
    assert layered.layers is not None
    assert np.array_equal(render_frame(layered, pose(), 0), layered.static)
    pushed = render_frame(layered, pose(zoom=1.1), 0)
    assert measure(pushed).iod / measure(layered.static).iod == pytest.approx(1.1, abs=0.02)


def test_head_turn_moves_the_face_but_not_the_background(biden):
    rest, turned = render_frame(biden, pose(), 0), render_frame(biden, pose(yaw=4.0, roll=2.0), 0)
    shift = np.linalg.norm(measure(turned).center - measure(rest).center)
    assert shift > 1.5  # pixels at 480p
    x0, y0, x1, y1 = biden.roi
    outside = np.ones(rest.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(rest[outside], turned[outside])


# The strongest poses the motion stage makes: one base expression at a time, full
# mouth shapes, a closed blink and a head turn beyond the sway's reach.
@pytest.mark.parametrize("controls", [
    dict(jaw=1.0, round=1.0, smile=1.0, blink=1.0, yaw=5.0, pitch=4.0, roll=3.0),
    dict(jaw=1.0, spread=1.0, surprised=1.0, blink=1.0, yaw=-5.0, pitch=-4.0, roll=-3.0),
    dict(press=1.0, spread=1.0, angry=1.0, blink=1.0), dict(tuck=1.0, sad=1.0, gaze_x=0.1),
    dict(jaw=1.0, spread=1.0, laughing=1.0, blink=0.5), dict(press=1.0, disgusted=1.0, gaze_y=-0.1),
    dict(jaw=0.6, round=1.0, tender=1.0, roll=4.0),
])
def test_the_field_never_folds_where_it_shows(biden, podium, controls):
    """The deformation stays one-to-one (positive Jacobian) in strong poses, except
    inside the open mouth, which the mouth interior covers. A mouth field cut at the
    lip seam is checked on the side where it is used."""
    for stage in (biden, podium[1]):
        mesh, disp = displacement(stage, pose(**controls), 0)
        opening = mesh[INNER_LIP_RING].astype(np.float32)
        seam = (stage.rig.photo[UPPER_LIP_INNER, :2] + stage.rig.photo[LOWER_LIP_INNER, :2]) / 2
        cut = len(stage.mouth_fields) == 2
        for n, (field, rows) in enumerate(((stage.field, slice(None)),) + stage.mouth_fields):
            fwd = field.forward(disp[rows]) / field.step  # grid units
            det = ((1 + np.gradient(fwd[..., 0], axis=1)) * (1 + np.gradient(fwd[..., 1], axis=0))
                   - np.gradient(fwd[..., 0], axis=0) * np.gradient(fwd[..., 1], axis=1))
            gy, gx = np.mgrid[0:field.shape[0], 0:field.shape[1]]
            sx, sy = field.x0 + gx * field.step, field.y0 + gy * field.step
            tx, ty = sx + fwd[..., 0] * field.step, sy + fwd[..., 1] * field.step
            margin = 1.5 * field.step
            shows = np.array([cv2.pointPolygonTest(opening, (float(x), float(y)), True) < -margin
                              for x, y in zip(tx.ravel(), ty.ravel())]).reshape(det.shape)
            if cut and n > 0:  # 1: upper field, used above the seam; 2: lower, below
                line = np.interp(sx, seam[:, 0], seam[:, 1])
                shows &= (sy < line - margin) if n == 1 else (sy > line + margin)
            assert det[shows].min() > 0.05, (controls, n)


def lively(n: int, seed: int = 3) -> Performance:
    """n frames of talking, blinking, turning and a push-in: every control moves."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, n, dtype=np.float32)[:, None]
    mouth = np.clip(rng.uniform(0, 0.8, (n, len(MOUTH_CHANNELS))), 0, 1).astype(np.float32)
    expr = np.zeros((n, len(EXPRESSION_CHANNELS)), np.float32) + expression_weights("smile", 0.6) * t
    head = (rng.normal(0, 2.5, (n, 3))).astype(np.float32)
    gaze = rng.uniform(-0.3, 0.3, (n, 2)).astype(np.float32)
    camera = np.concatenate([1 + 0.1 * t, 0.02 * t, np.zeros_like(t)], 1).astype(np.float32)
    blink = (np.arange(n) % 7 == 3).astype(np.float32)
    return Performance(Fraction(24), mouth, expr, blink, gaze, head, np.sin(6 * t[:, 0]).astype(np.float32), camera)


@pytest.mark.parametrize("scene", [(), ("rain", "night", "fog", "grain")])
def test_frames_rendered_on_threads_are_the_serial_frames_bit_for_bit(photos, scene):
    rig = analyze(load_photo(photos / "fr_obama_podium_speaking.jpg"))
    stage = prepare(rig, frame_for(rig, "480p", "1:1"), scene=scene, camera_moves=bool(scene), seed=5)
    perf = lively(14)
    serial = list(render(stage, perf))
    assert len(serial) == 14 and not np.array_equal(serial[0], serial[7])  # the frames do differ
    for workers in (2, 3):
        threaded = list(render(stage, perf, workers=workers))
        assert len(threaded) == 14
        assert all(np.array_equal(a, b) for a, b in zip(serial, threaded)), f"{workers} workers"


def test_a_cancel_stops_the_threaded_render_and_leaves_no_thread(biden):
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 6

    got = []
    with pytest.raises(Cancelled):
        for frame in render(biden, lively(40), should_stop, workers=2):
            got.append(frame)
    assert 0 < len(got) < 6  # stopped within the frames rendered ahead, not at the end
    assert not [t for t in threading.enumerate() if t.name.startswith("sayso-render")]


def test_a_caller_that_stops_reading_leaves_no_thread(biden):
    frames = render(biden, lively(40), workers=2)
    next(frames)
    frames.close()  # what a failed encode does to the generator
    assert not [t for t in threading.enumerate() if t.name.startswith("sayso-render")]
