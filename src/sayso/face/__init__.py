"""Photo -> FaceRig: find the faces, choose one, measure it once.

mediapipe's face detector gives scored boxes (we choose by score and size, never by
size alone); the 478-point mesh with irises is then fitted on a crop around the chosen
face, and the person mask is computed on a head-and-shoulders crop, so small faces in
large photos are measured at a useful resolution.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
import types
from collections.abc import Iterator
from functools import lru_cache

import cv2
import numpy as np

from ..errors import BadOptionError, FaceTooSmallError, NoFaceError
from .model import FaceBox, FaceRig

__all__ = ["FaceBox", "FaceRig", "analyze", "can_animate", "MIN_FACE_PX"]

MIN_FACE_PX = 80  # face box width below which the mouth and eyes are too few pixels to animate
_MIN_SCORE = 0.5
_GRAPH_SETTLE = 0.2  # seconds, once per process: see _solutions
_LOCK = threading.Lock()  # mediapipe graphs are not safe to share between threads


@contextlib.contextmanager
def _native_stderr_muted() -> Iterator[None]:
    """mediapipe's C++ side logs feedback-tensor and XNNPACK notices straight to file
    descriptor 2 on every graph start; a user should not see them. Failures still
    surface as Python exceptions. Callers hold _LOCK, so one redirect at a time."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to mute
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _import_mediapipe():
    """Import mediapipe's legacy solutions without matplotlib.

    mediapipe.python.solutions imports matplotlib.pyplot for drawing helpers that sayso
    never calls: 1.1 s of a 1.4 s import on every run. Placeholder modules stand in
    while mediapipe imports and are removed afterwards, so a real `import matplotlib`
    later in the same process is untouched."""
    names = ("matplotlib", "matplotlib.pyplot")
    placed = [n for n in names if n not in sys.modules]
    for name in placed:
        sys.modules[name] = types.ModuleType(name)
    if "matplotlib" in placed:
        sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]
    try:
        from mediapipe.python.solutions import face_detection, face_mesh, selfie_segmentation
    finally:
        for name in placed:
            del sys.modules[name]
    return face_detection, face_mesh, selfie_segmentation


@lru_cache(maxsize=None)
def _solutions():
    os.environ.setdefault("GLOG_minloglevel", "2")
    face_detection, face_mesh, selfie_segmentation = _import_mediapipe()

    atexit.register(_close_solutions)
    solutions = {
        "detect_far": face_detection.FaceDetection(model_selection=1, min_detection_confidence=_MIN_SCORE),
        "detect_near": face_detection.FaceDetection(model_selection=0, min_detection_confidence=_MIN_SCORE),
        "mesh": face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True,
                                   min_detection_confidence=0.3),
        "segment": selfie_segmentation.SelfieSegmentation(model_selection=0),
    }
    # Start every graph now, while the caller has stderr muted: a graph opens some of its
    # calculators on threads of its own, which log after process() has returned when it
    # found no face; the pause lets them finish before stderr is given back.
    blank = np.zeros((64, 64, 3), np.uint8)
    for solution in solutions.values():
        solution.process(blank)
    time.sleep(_GRAPH_SETTLE)
    return solutions


def _close_solutions() -> None:
    """Close the graphs at exit, muted: their teardown logs too."""
    if _solutions.cache_info().currsize:
        with _LOCK, _native_stderr_muted():
            for solution in _solutions().values():
                solution.close()
        _solutions.cache_clear()


def detect_faces(image: np.ndarray) -> tuple[FaceBox, ...]:
    """Every face the detector finds with score >= 0.5, numbered left to right."""
    h, w = image.shape[:2]
    boxes: list[FaceBox] = []
    with _LOCK, _native_stderr_muted():
        for name in ("detect_far", "detect_near"):
            result = _solutions()[name].process(image)
            for det in result.detections or ():
                rb = det.location_data.relative_bounding_box
                box = FaceBox(rb.xmin * w, rb.ymin * h, rb.width * w, rb.height * h, float(det.score[0]))
                if not any(_iou(box, b) > 0.3 for b in boxes):
                    boxes.append(box)
            if boxes:
                break
    return tuple(sorted(boxes, key=lambda b: b.center[0]))


def _iou(a: FaceBox, b: FaceBox) -> float:
    ix = max(0.0, min(a.x + a.width, b.x + b.width) - max(a.x, b.x))
    iy = max(0.0, min(a.y + a.height, b.y + b.height) - max(a.y, b.y))
    inter = ix * iy
    return inter / (a.width * a.height + b.width * b.height - inter + 1e-9)


def _most_prominent(faces: tuple[FaceBox, ...]) -> int:
    return int(np.argmax([f.score * f.width * f.height for f in faces]))


def _crop(image: np.ndarray, cx: float, cy: float, side: float) -> tuple[np.ndarray, int, int]:
    """A square crop around (cx, cy), clipped to the image; returns it and its origin."""
    h, w = image.shape[:2]
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
    return np.ascontiguousarray(image[y0:y1, x0:x1]), x0, y0


def _mesh(image: np.ndarray, box: FaceBox) -> np.ndarray | None:
    """(478, 3) float32 photo-pixel landmarks of the face in box, or None."""
    cx, cy = box.center
    crop, x0, y0 = _crop(image, cx, cy, 2.2 * max(box.width, box.height))
    ch, cw = crop.shape[:2]
    with _LOCK, _native_stderr_muted():
        result = _solutions()["mesh"].process(crop)
    if not result.multi_face_landmarks:
        return None
    pts = np.array([(p.x, p.y, p.z) for p in result.multi_face_landmarks[0].landmark], np.float32)
    pts[:, 0] = pts[:, 0] * cw + x0
    pts[:, 1] = pts[:, 1] * ch + y0
    pts[:, 2] = pts[:, 2] * cw
    return pts


def _person_mask(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(H, W) float32 in [0, 1]: the person, measured on a head-and-shoulders crop.

    Beside and above that crop the mask is 0. Below it the body goes on to the photo's
    bottom edge, as it does in a portrait: the crop's last row is carried down, so a
    scene that darkens the background does not cut the person off at the chest."""
    h, w = image.shape[:2]
    lo, hi = landmarks[:, :2].min(0), landmarks[:, :2].max(0)
    size = float(max(hi - lo))
    cx, cy = (lo + hi) / 2
    crop, x0, y0 = _crop(image, cx, cy + 0.5 * size, 4.0 * size)
    with _LOCK, _native_stderr_muted():
        seg = _solutions()["segment"].process(crop).segmentation_mask
    mask = np.zeros((h, w), np.float32)
    y1, x1 = y0 + crop.shape[0], x0 + crop.shape[1]
    mask[y0:y1, x0:x1] = np.clip(seg, 0, 1)
    if y1 < h:
        mask[y1:, x0:x1] = _body_below(mask[max(y1 - 8, y0):y1, x0:x1])
    return mask


def _body_below(rows: np.ndarray) -> np.ndarray:
    """(w,) float32: the body as it goes on below the crop, from the crop's last rows.

    The segmenter is unsure at a crop's edge (a band of 0.2-0.7 where a sleeve meets the
    border): carried down as it is, that band becomes a stripe of half-transparent
    person that a camera move shows double. So the row is decided (> 0.35), small gaps
    closed (a body at a portrait's bottom edge is solid) and its edges softened."""
    solid = (rows.mean(0) > 0.35).astype(np.uint8)[None, :]
    width = max(3, int(0.12 * solid.shape[1]) | 1)
    solid = cv2.morphologyEx(solid, cv2.MORPH_CLOSE, np.ones((1, width), np.uint8))
    return cv2.GaussianBlur(solid.astype(np.float32), (0, 0), 1.5)[0]


def can_animate(image: np.ndarray, faces: tuple[FaceBox, ...]) -> tuple[bool, ...]:
    """For each face: is it one analyze() would animate (its mesh found, wide enough)?"""
    meshes = [_mesh(image, box) for box in faces]
    return tuple(m is not None and float(np.ptp(m[:, 0])) >= MIN_FACE_PX for m in meshes)


def analyze(image: np.ndarray, face: int | None = None) -> FaceRig:
    """Find, choose and measure a face in an RGB photo.

    image: (H, W, 3) uint8 RGB. face: 1-based index left to right, None = most prominent.
    Raises NoFaceError, FaceTooSmallError, BadOptionError (face index out of range).
    """
    faces = detect_faces(image)
    if not faces:
        # The detectors miss some tight crops that the mesh's own detector finds.
        h, w = image.shape[:2]
        faces = (FaceBox(0.0, 0.0, float(w), float(h), 0.0),)
    if face is not None and not 1 <= face <= len(faces):
        raise BadOptionError(
            f"--face {face} is out of range: the photo has {len(faces)} face(s), numbered 1 to {len(faces)} left to right"
        )
    chosen = face - 1 if face is not None else _most_prominent(faces)
    landmarks = _mesh(image, faces[chosen])
    if landmarks is None:
        raise NoFaceError("no face found in the photo: use a photo with a clear, front-facing face")
    width = float(np.ptp(landmarks[:, 0]))
    if width < MIN_FACE_PX:
        raise FaceTooSmallError(
            f"the face is {int(width)} px wide; sayso needs at least {MIN_FACE_PX} px: use a larger or closer photo"
        )
    if faces[chosen].score == 0.0:  # the whole-image stand-in: replace it by the mesh's box
        lo, hi = landmarks[:, :2].min(0), landmarks[:, :2].max(0)
        faces = (FaceBox(float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]), 0.0),)
    return FaceRig(image=image, landmarks=landmarks, mask=_person_mask(image, landmarks),
                   faces=faces, chosen=chosen)
