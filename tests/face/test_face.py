"""Finding, choosing and measuring a face in real photos."""

import numpy as np
import pytest

from sayso.errors import BadOptionError, FaceTooSmallError, NoFaceError
from sayso.face import MIN_FACE_PX, analyze
from sayso.photo import load_photo


def test_a_portrait_gives_478_points_on_the_face(photos):
    rig = analyze(load_photo(photos / "skimage_astronaut.png"))
    lm = rig.landmarks
    assert lm.shape == (478, 3) and lm.dtype == np.float32
    assert len(rig.faces) == 1 and rig.chosen == 0
    box = rig.faces[0]
    inside = (lm[:, 0] > box.x - 0.2 * box.width) & (lm[:, 0] < box.x + 1.2 * box.width)
    assert inside.mean() > 0.95
    assert lm[468, 0] < lm[473, 0]  # the image-left iris comes first


def test_the_person_mask_covers_the_face_and_not_the_corners(photos):
    rig = analyze(load_photo(photos / "fr_obama_official_portrait.jpg"))
    x, y = rig.landmarks[1, :2].astype(int)  # nose tip
    assert rig.mask[y, x] > 0.9
    assert rig.mask[5, 5] < 0.1 and rig.mask.dtype == np.float32


def test_group_photo_numbers_faces_left_to_right_and_picks_the_asked_one(photos):
    image = load_photo(photos / "pyfeat_multi_face_5people.jpg")
    rig = analyze(image)
    xs = [f.center[0] for f in rig.faces]
    assert len(rig.faces) == 5 and xs == sorted(xs)
    for n in (1, 5):
        picked = analyze(image, face=n)
        centre = picked.landmarks[:, :2].mean(0)
        box = picked.faces[n - 1]
        assert abs(centre[0] - box.center[0]) < box.width / 2


def test_most_prominent_face_is_chosen_by_score_and_size(photos):
    rig = analyze(load_photo(photos / "pyfeat_multi_face_5people.jpg"))
    chosen = rig.faces[rig.chosen]
    assert chosen.score * chosen.width * chosen.height == max(f.score * f.width * f.height for f in rig.faces)


def test_face_index_out_of_range_says_how_many(photos):
    with pytest.raises(BadOptionError, match="5 face"):
        analyze(load_photo(photos / "pyfeat_multi_face_5people.jpg"), face=6)


def test_tiny_face_is_refused_with_the_minimum(photos):
    with pytest.raises(FaceTooSmallError, match=f"{MIN_FACE_PX} px"):
        analyze(load_photo(photos / "pillow_hopper_128px.png"))


def test_no_face_in_a_landscape():
    rng = np.random.default_rng(0)
    sky = np.linspace(80, 220, 400, dtype=np.float32)[:, None, None] * np.ones((1, 600, 3), np.float32)
    image = np.clip(sky + rng.normal(0, 8, sky.shape), 0, 255).astype(np.uint8)
    with pytest.raises(NoFaceError, match="face"):
        analyze(image)
