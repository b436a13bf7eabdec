"""The plan's direction over time: expressions as action units, gaze, head gestures and
the camera, each a per-frame track.

Cues resolve to seconds here, where the speech timings are known: a time is itself, a
word is when that word of the line starts or ends, and step k of n starts k/n of the
way through the clip. Expressions build and relax over ~300 ms, never in one frame.
"""

from __future__ import annotations

import numpy as np

from ..errors import BadOptionError
from ..plan import Change, Cue, Plan
from ..plan.words import fold
from ..speech.model import Speech
from .model import EXPRESSION_CHANNELS

# Each expression as a mix of action units at full strength (after FACS/EMFACS).
PROFILES: dict[str, dict[str, float]] = {
    "neutral": {},
    "smile": {"corner_pull": 1.0, "cheek_raise": 0.7, "lid_tighten": 0.15},
    "tender": {"corner_pull": 0.6, "cheek_raise": 0.4, "inner_brow_raise": 0.15, "lid_tighten": 0.25,
               "lip_press": 0.1},
    "sad": {"inner_brow_raise": 1.0, "brow_lower": 0.35, "corner_depress": 1.0, "lip_press": 0.2},
    "angry": {"brow_lower": 1.0, "lid_tighten": 0.6, "lid_raise": 0.2, "lip_press": 0.7, "nose_wrinkle": 0.25,
              "corner_depress": 0.25},
    "surprised": {"inner_brow_raise": 1.0, "outer_brow_raise": 1.0, "lid_raise": 0.6},
    "disgusted": {"nose_wrinkle": 1.0, "upper_lip_raise": 0.8, "brow_lower": 1.0, "corner_depress": 0.5,
                  "lid_tighten": 0.3, "lip_stretch": 0.25},
    "laughing": {"corner_pull": 1.0, "cheek_raise": 1.0, "lid_tighten": 0.6},
}
# How much of the photo's own expression each one replaces (Performance.replace): an
# expression is a target face, so angry, sad, surprised, disgusted and neutral take the
# photo's smile off; a smile keeps half of it (on a smiling photo, "smiles" is about
# the photo's own smile, "smiles broadly" a little more; on a neutral one, all its own).
REPLACES = {"smile": 0.5, "tender": 0.5, "laughing": 0.5}  # else 1
JAW = {"surprised": 0.22, "laughing": 0.25}  # a held jaw drop, added under speech's own
# degrees of (yaw, pitch, roll) an expression leans the head by at full strength
HEAD = {"tender": (0.0, 1.0, 3.5), "sad": (0.0, 3.0, 0.0), "angry": (0.0, 2.0, 0.0),
        "surprised": (0.0, -2.5, 0.0), "laughing": (0.0, -2.0, 0.0), "disgusted": (-1.5, -1.0, 0.0)}
RAMP = 0.3  # seconds an expression takes to build, and to give way to the next

# gaze targets as iris offsets in eye widths (x right, y down)
GAZE_TARGETS = {"camera": (0.0, 0.0), "away": (0.11, 0.02), "down": (0.02, 0.075), "up": (0.0, -0.07),
                "left": (-0.11, 0.0), "right": (0.11, 0.0), "around": (0.0, 0.0)}


def _steps(plan: Plan) -> int:
    return 1 + max((c.at.step for group in (plan.expressions, plan.gaze, plan.gestures) for c in group
                    if c.at.seconds is None and c.at.word is None), default=0)


def cue_seconds(cue: Cue, speech: Speech, offset: int, duration: float, steps: int) -> float:
    """When a cue happens, in seconds into the clip."""
    if cue.seconds is not None:
        return float(cue.seconds)
    if cue.word is not None:
        wanted = fold(cue.word).strip(".,!?;:")
        for word in speech.words:
            if fold(word.text).strip(".,!?;:'\"") == wanted:
                return ((word.end if cue.after else word.start) + offset) / speech.sample_rate
        raise BadOptionError(f"the cue word {cue.word!r} is not in the spoken line: pick a word of the line")
    return duration * cue.step / steps


def latest_cue(plan: Plan, speech: Speech, offset: int) -> float:
    """Seconds of the latest time or word cue (0 if none): the clip must outlast it."""
    times = [cue_seconds(c.at, speech, offset, 0.0, 1) for group in (plan.expressions, plan.gaze, plan.gestures)
             for c in group if c.at.seconds is not None or c.at.word is not None]
    return max(times, default=0.0)


def _ordered(changes, speech, offset, duration, steps) -> list[tuple[float, Change]]:
    timed = [(cue_seconds(c.at, speech, offset, duration, steps), k, c) for k, c in enumerate(changes)]
    return [(t, c) for t, _, c in sorted(timed, key=lambda x: (x[0], x[1]))]


def _ease(x: np.ndarray) -> np.ndarray:
    """Smoothstep of x clipped to [0, 1]: a move that starts and ends at rest."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _hold(t: np.ndarray, keys: list[tuple[float, np.ndarray]], rest: np.ndarray) -> np.ndarray:
    """(n, d): from rest, each key's value from its time on, crossfaded over RAMP; a key
    at the very start holds from the first frame (the face already wears it)."""
    out = np.tile(rest, (len(t), 1)).astype(np.float64)
    for at, value in keys:
        w = _ease((t - at) / RAMP) if at > 0 else np.ones_like(t)
        out += (value - out) * w[:, None]
    return out


def expression_weights(name: str, strength: float) -> np.ndarray:
    """(len(EXPRESSION_CHANNELS),) action-unit weights of an expression."""
    profile = PROFILES[name]
    return np.array([profile.get(c, 0.0) * strength for c in EXPRESSION_CHANNELS])


def expressions(plan: Plan, speech: Speech, offset: int, t: np.ndarray, duration: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(n, 12) action units, (n,) held jaw, (n, 3) head lean and (n,) how much of the
    photo's own expression they replace (Performance.replace), over frame times t.

    The replacement does not scale with strength: "slightly angry" is a slight anger,
    not a slight smile; before the first expression it is 0 (the photo's own face)."""
    keys = _ordered(plan.expressions, speech, offset, duration, _steps(plan))
    vectors = [(at, np.concatenate([expression_weights(c.what, c.strength), [JAW.get(c.what, 0.0) * c.strength],
                                    np.array(HEAD.get(c.what, (0.0, 0.0, 0.0))) * c.strength,
                                    [REPLACES.get(c.what, 1.0)]]))
               for at, c in keys]
    track = _hold(t, vectors, np.zeros(len(EXPRESSION_CHANNELS) + 5))
    laughing = _hold(t, [(at, np.array([float(c.what == "laughing") * c.strength])) for at, c in keys],
                     np.zeros(1))[:, 0]
    n = len(EXPRESSION_CHANNELS)
    au, jaw, head, replace = track[:, :n], track[:, n], track[:, n + 1:n + 4], track[:, n + 4]
    # laughter comes in bursts: the jaw and head bob at ~4.5 Hz
    bounce = laughing * 0.5 * (1 + np.sin(2 * np.pi * 4.5 * t))
    jaw = jaw + 0.25 * bounce
    head = head + np.stack([np.zeros_like(t), 0.8 * bounce, np.zeros_like(t)], 1)
    return au, jaw, head, replace


def gaze(plan: Plan, speech: Speech, offset: int, t: np.ndarray, duration: float) -> tuple[np.ndarray, float]:
    """(n, 2) held gaze offsets and how much of the idle saccades to keep (0..1)."""
    keys = _ordered(plan.gaze, speech, offset, duration, _steps(plan))
    held = _hold(t, [(at, np.array(GAZE_TARGETS[c.what]) * (0.5 + c.strength / 1.4)) for at, c in keys],
                 np.zeros(2))
    around = any(c.what == "around" for _, c in keys)
    steady = any(c.what not in ("around",) for _, c in keys)
    return held, 2.0 if around else (0.4 if steady else 1.0)


def _pulse(t: np.ndarray, at: float, length: float) -> tuple[np.ndarray, np.ndarray]:
    """Phase in [0, 1] over [at, at + length] and a smooth window that is 0 outside."""
    phase = np.clip((t - at) / length, 0.0, 1.0)
    return phase, np.sin(np.pi * phase) ** 2


def gestures(plan: Plan, speech: Speech, offset: int, t: np.ndarray, duration: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) head degrees (yaw, pitch, roll) and (n, 2) gaze offsets of the gestures."""
    head, eyes = np.zeros((len(t), 3)), np.zeros((len(t), 2))
    steps = _steps(plan)
    for at, c in _ordered(plan.gestures, speech, offset, duration, steps):
        if c.at.seconds is None and c.at.word is None:
            at += 0.25  # a gesture of its own step starts just after the step does
        s = 0.5 + c.strength / 1.4
        if c.what == "nod":
            phase, window = _pulse(t, at, 1.1)
            head[:, 1] += s * 5.0 * np.sin(2 * np.pi * 2 * phase) * window
        elif c.what == "shake":
            phase, window = _pulse(t, at, 1.3)
            head[:, 0] += s * 7.0 * np.sin(2 * np.pi * 2.5 * phase) * window
        elif c.what == "tilt":
            head[:, 2] += s * 6.0 * _ease((t - at) / 0.5)
        elif c.what == "eye-roll":
            phase, window = _pulse(t, at, 1.0)
            angle = np.pi * phase  # the irises sweep up and across, then come back down
            eyes[:, 0] += s * 0.09 * -np.cos(angle) * window
            eyes[:, 1] += s * -0.1 * np.sin(angle) * np.minimum(window * 1.6, 1.0)
            head[:, 1] += s * -2.0 * window
            head[:, 2] += s * 1.5 * window
    return head, eyes


def _wander(t: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """(n,) slow smooth noise: three sinusoids of random phase at 0.2-1.1 Hz."""
    out = np.zeros_like(t)
    for freq, share in ((rng.uniform(0.2, 0.35), 0.55), (rng.uniform(0.45, 0.7), 0.3), (rng.uniform(0.8, 1.1), 0.15)):
        out += share * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
    return amplitude * out


def camera(plan: Plan, t: np.ndarray, duration: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 3) zoom, pan x, pan y (fractions of the frame) over the clip.

    Moves ease in and out over the whole clip; a push-in closes in by 14% at speed 1, a
    pan travels 6% of the frame width under a 10% zoom that leaves it room."""
    move, speed = plan.camera.move, plan.camera.speed
    progress = _ease(t / max(duration, 1e-6))
    zoom, pan_x, pan_y = np.ones_like(t), np.zeros_like(t), np.zeros_like(t)
    travel = min(0.14 * speed, 0.3)
    if move == "push-in":
        zoom = 1.0 + travel * progress
    elif move == "pull-out":
        zoom = 1.0 + travel * (1.0 - progress)
    elif move in ("pan-left", "pan-right"):
        zoom = zoom * (1.0 + min(0.1 * speed, 0.2))
        pan_x = (progress - 0.5) * min(0.06 * speed, 0.15) * (1 if move == "pan-right" else -1)
    if plan.camera.handheld:
        zoom = zoom + 0.035
        pan_x = pan_x + _wander(t, rng, 0.006)
        pan_y = pan_y + _wander(t, rng, 0.005)
    return np.stack([zoom, pan_x, pan_y], 1)
