"""Scene effects, measured on what they do to real frames: a photo composited over its
clean plate, with the person mask as near."""

from dataclasses import dataclass
from fractions import Fraction

import cv2
import numpy as np
import pytest

from sayso.errors import BadOptionError
from sayso.face import analyze
from sayso.photo import load_photo
from sayso.render.layers import clean_plate, person_alpha
from sayso.render.scene import SCENES, Scene, build

FPS = Fraction(24)


@dataclass(frozen=True)
class Shot:
    """image, plate: (h, w, 3) float32 0..255; near: (h, w) float32 0..1; face box; iod px."""

    image: np.ndarray
    plate: np.ndarray
    near: np.ndarray
    box: tuple[int, int, int, int]
    landmarks: np.ndarray
    iod: float

    @property
    def size(self) -> tuple[int, int]:
        return self.near.shape[1], self.near.shape[0]

    def composite(self, plate: np.ndarray | None = None) -> np.ndarray:
        """The frame the renderer would hand over: person over (the given) plate."""
        a = self.near[..., None]
        return (self.image * a + (self.plate if plate is None else plate) * (1 - a)).astype(np.float32)

    def render(self, scene: Scene, i: int) -> np.ndarray:
        return scene.frame(self.composite(scene.plate(self.plate)), self.near, i)


@pytest.fixture(scope="module")
def astronaut(photos) -> Shot:
    rig = analyze(load_photo(photos / "skimage_astronaut.png"))
    h, w = rig.image.shape[:2]
    alpha = person_alpha(rig, rig.landmarks, (h, w))
    iod = float(np.linalg.norm(rig.landmarks[468, :2] - rig.landmarks[473, :2]))
    plate = clean_plate(rig.image, alpha, (0, 0, w, h), iod).astype(np.float32)
    x0, y0 = rig.landmarks[:, :2].min(0)
    x1, y1 = rig.landmarks[:, :2].max(0)
    return Shot(rig.image.astype(np.float32), plate, alpha.astype(np.float32),
                (int(x0), int(y0), int(x1), int(y1)), rig.landmarks[:, :2].copy(), iod)


def luma(frame: np.ndarray) -> np.ndarray:
    return frame @ np.array([0.299, 0.587, 0.114], np.float32)


def flat(w: int, h: int, value: float) -> np.ndarray:
    return np.full((h, w, 3), value, np.float32)


def uint8(frame: np.ndarray) -> np.ndarray:
    return np.clip(frame + 0.5, 0, 255).astype(np.uint8)


def test_unknown_name_raises_bad_option_naming_the_choices():
    with pytest.raises(BadOptionError, match="drizzle.*rain, snow, fog, night, golden-hour, neon, bw, grain, vignette"):
        build(["rain", "drizzle"], 64, 64, FPS, 0, (10, 10, 30, 30))


def test_effects_apply_in_canonical_order_whatever_order_they_are_named_in():
    scene = build(["vignette", "grain", "bw", "night", "rain", "rain"], 64, 64, FPS, 0, (10, 10, 30, 30))
    assert scene.names == ("rain", "night", "bw", "grain", "vignette")
    assert SCENES[:3] == ("rain", "snow", "fog")


def test_no_effect_is_the_identity():
    scene = build([], 32, 32, FPS, 0, (8, 8, 20, 20))
    frame, plate = flat(32, 32, 90), flat(32, 32, 40)
    assert scene.plate(plate) is plate
    assert np.array_equal(scene.frame(frame.copy(), np.zeros((32, 32), np.float32), 3), frame)


def test_plate_never_writes_its_input(astronaut):
    before = astronaut.plate.copy()
    for name in SCENES:
        build([name], *astronaut.size, FPS, 0, astronaut.box).plate(astronaut.plate)
    assert np.array_equal(astronaut.plate, before)


def streak_residual(out: np.ndarray) -> np.ndarray:
    """How much brighter each pixel is than its row's median: the rain alone on a flat frame."""
    y = luma(out)
    return np.maximum(y - np.median(y, axis=1, keepdims=True), 0)


def lag_correlation(r: np.ndarray, dy: int, dx: int) -> float:
    h, w = r.shape
    a, b = r[:h - dy, :w - dx].ravel(), r[dy:, dx:].ravel()
    return float(np.corrcoef(a, b)[0, 1])


def test_rain_darkens_and_draws_near_vertical_streaks_that_fall(astronaut):
    scene = build(["rain"], *astronaut.size, FPS, 0, astronaut.box)
    out = astronaut.render(scene, 10)
    assert luma(out).mean() < 0.85 * luma(astronaut.composite()).mean()  # darker, wetter
    w, h = astronaut.size
    far = np.zeros((h, w), np.float32)
    rain = [scene.frame(flat(w, h, 70), far, i) for i in (10, 11)]
    r0, r1 = streak_residual(rain[0]), streak_residual(rain[1])
    assert (r0 > 12).mean() > 0.01  # streak pixels clearly brighter than around them
    # streaks: correlated along the vertical, not across it
    assert lag_correlation(r0, 4, 0) > 0.5 and lag_correlation(r0, 0, 4) < 0.2
    # and they move, downwards: frame 11 matches frame 10 shifted down
    assert np.abs(r1 - r0).mean() > 0.5 * r0.mean()
    (dx, dy), _ = cv2.phaseCorrelate(r0.astype(np.float64), r1.astype(np.float64))
    assert dy > 5 and abs(dx) < dy


def test_rain_in_front_is_thin_over_the_face(astronaut):
    scene = build(["rain"], *astronaut.size, FPS, 0, astronaut.box)
    x0, y0, x1, y1 = astronaut.box
    w, h = astronaut.size
    near = np.ones((h, w), np.float32)  # all person: only the front layer shows
    over = [streak_residual(scene.frame(flat(w, h, 70), near, i)) for i in range(0, 48, 4)]
    face = np.mean([r[y0:y1, x0:x1].mean() for r in over])
    elsewhere = np.mean([r[:, :x0 - 20].mean() for r in over])
    assert face < 0.6 * elsewhere


def test_night_darkens_the_background_far_more_than_the_person(astronaut):
    scene = build(["night"], *astronaut.size, FPS, 0, astronaut.box)
    before, after = luma(astronaut.composite()), luma(astronaut.render(scene, 0))
    person, back = astronaut.near > 0.9, astronaut.near < 0.05
    x0, y0, x1, y1 = astronaut.box
    assert after[y0:y1, x0:x1].mean() > 0.5 * before[y0:y1, x0:x1].mean()  # the face stays lit
    ratio_before = before[back].mean() / before[person].mean()
    ratio_after = after[back].mean() / after[person].mean()
    assert ratio_after < 0.7 * ratio_before
    # out-of-focus city lights: bright spots on the plate, none over the face
    lights = scene.effects[0].lights  # type: ignore[attr-defined]
    assert lights.max() > 150 and (lights.max(2) > 60).mean() > 0.01
    assert lights[y0:y1, x0:x1].max() == 0


def test_bw_has_no_chroma_and_a_little_more_contrast(astronaut):
    out = astronaut.render(build(["bw"], *astronaut.size, FPS, 0, astronaut.box), 0)
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    assert out[..., 0].std() > 1.03 * luma(astronaut.composite()).std()


def test_vignette_darkens_the_corners_gently():
    scene = build(["vignette"], 400, 300, FPS, 0, (150, 100, 250, 200))
    out = scene.frame(flat(400, 300, 200), np.zeros((300, 400), np.float32), 0)
    centre = out[140:160, 190:210].mean()
    corners = np.mean([out[:10, :10].mean(), out[:10, -10:].mean(), out[-10:, :10].mean(), out[-10:, -10:].mean()])
    assert centre == pytest.approx(200, abs=0.5)
    assert 0.5 * centre < corners < 0.8 * centre


def test_grain_is_fine_visible_and_new_every_frame():
    scene = build(["grain"], 300, 200, FPS, 3, (100, 50, 200, 150))
    near = np.zeros((200, 300), np.float32)
    noise = [luma(scene.frame(flat(300, 200, 128), near, i)) - 128 for i in range(8)]
    for n in noise:
        assert 4.0 < n.std() < 6.0
        assert abs(lag_correlation(n, 0, 2)) < 0.25  # finer than 2 px
    pairs = [abs(np.corrcoef(noise[a].ravel(), noise[b].ravel())[0, 1]) for a in range(8) for b in range(a + 1, 8)]
    assert max(pairs) < 0.1  # not a fixed pattern
    # weaker in the shadows than in mid-grey
    dark = luma(scene.frame(flat(300, 200, 15), near, 0)) - 15
    assert dark.std() < 0.8 * noise[0].std()


def test_fog_veils_the_background_far_more_than_the_face(astronaut):
    out = luma(astronaut.render(build(["fog"], *astronaut.size, FPS, 0, astronaut.box), 5))
    before = luma(astronaut.composite())
    x0, y0, x1, y1 = astronaut.box
    back = astronaut.near < 0.05
    assert out[back].std() < 0.5 * before[back].std()
    assert out[y0:y1, x0:x1].std() > 0.8 * before[y0:y1, x0:x1].std()


def test_fog_drifts_slowly():
    scene = build(["fog"], 200, 200, FPS, 0, (80, 80, 120, 120))
    near = np.zeros((200, 200), np.float32)
    a, b, c = (scene.frame(flat(200, 200, 60), near, i) for i in (0, 12, 48))
    assert 0 < np.abs(b - a).mean() < np.abs(c - a).mean()  # a little in half a second, more in two
    assert np.ptp(luma(a)) > 10  # the density varies across the frame


def test_snow_draws_bright_soft_dots():
    scene = build(["snow"], 400, 400, FPS, 0, (150, 100, 250, 220))
    out = luma(scene.frame(flat(400, 400, 60), np.zeros((400, 400), np.float32), 0))
    bright = (out > 150).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(bright)
    assert count - 1 > 60  # many separate flakes
    assert stats[1:, cv2.CC_STAT_AREA].max() > 12  # some big near ones
    assert 0.003 < bright.mean() < 0.1


def test_golden_hour_warms():
    scene = build(["golden-hour"], 200, 200, FPS, 0, (80, 80, 120, 120))
    out = scene.frame(flat(200, 200, 120), np.zeros((200, 200), np.float32), 0)
    assert out[..., 0].mean() / out[..., 2].mean() > 1.3


def test_neon_lights_the_two_sides_of_the_face_in_different_colours(astronaut):
    out = astronaut.render(build(["neon"], *astronaut.size, FPS, 0, astronaut.box), 0)
    x0, y0, x1, y1 = astronaut.box
    third = (x1 - x0) // 3
    left, right = out[y0:y1, x0:x0 + third], out[y0:y1, x1 - third:x1]
    balance = lambda p: (p[..., 0] - p[..., 1]).mean()  # red minus green: magenta > 0, cyan < 0
    assert abs(balance(left) - balance(right)) > 40


def test_same_seed_same_pixels_and_another_seed_other_pixels(astronaut):
    names = list(SCENES)
    a = astronaut.render(build(names, *astronaut.size, FPS, 7, astronaut.box), 12)
    b = astronaut.render(build(names, *astronaut.size, FPS, 7, astronaut.box), 12)
    c = astronaut.render(build(names, *astronaut.size, FPS, 8, astronaut.box), 12)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("names", [["rain", "grain"], ["snow", "night"], ["fog", "vignette"]])
def test_frame_i_alone_equals_frame_i_in_sequence(astronaut, names):
    in_order = build(names, *astronaut.size, FPS, 1, astronaut.box)
    frames = [astronaut.render(in_order, i) for i in range(6)]
    alone = astronaut.render(build(names, *astronaut.size, FPS, 1, astronaut.box), 5)
    assert np.array_equal(frames[5], alone)
    assert not np.array_equal(frames[4], frames[5])


def test_every_effect_at_once_stays_finite_and_in_range(astronaut):
    scene = build(list(SCENES), *astronaut.size, FPS, 0, astronaut.box)
    for i in (0, 1, 1000):
        out = astronaut.render(scene, i)
        assert out.dtype == np.float32 and out.shape == astronaut.image.shape
        assert np.isfinite(out).all()
        clipped = uint8(out)
        assert (clipped == 255).mean() < 0.01 and (clipped == 0).mean() < 0.01  # graded, not blown out


def test_the_face_is_found_and_steady_through_rain_at_night(astronaut):
    scene = build(["rain", "night"], *astronaut.size, FPS, 0, astronaut.box)
    marks = []
    for i in range(0, 40, 8):
        rig = analyze(uint8(astronaut.render(scene, i)))
        marks.append(rig.landmarks[:, :2])
        # the same face, in the same place
        assert np.abs(rig.landmarks[:, :2] - astronaut.landmarks).mean() < 0.05 * astronaut.iod
    # only the rain changes between frames: the landmarks must not jump with it
    jitter = np.linalg.norm(np.diff(np.stack(marks), axis=0), axis=2).mean()
    assert jitter < 0.01 * astronaut.iod


def test_a_frame_of_another_size_is_refused():
    scene = build(["rain"], 64, 48, FPS, 0, (20, 10, 40, 30))
    with pytest.raises(ValueError, match="64x48"):
        scene.frame(flat(48, 64, 100), np.zeros((64, 48), np.float32), 0)


def test_one_scene_renders_the_same_frames_on_several_threads(astronaut):
    from concurrent.futures import ThreadPoolExecutor

    scene = build(["rain", "snow", "fog", "night", "grain"], *astronaut.size, FPS, 2, astronaut.box)
    plate = scene.plate(astronaut.plate)
    render = lambda i: scene.frame(astronaut.composite(plate), astronaut.near, i)  # noqa: E731
    alone = [render(i) for i in range(8)]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(render, range(8)))
    assert all(np.array_equal(a, b) for a, b in zip(alone, together))
