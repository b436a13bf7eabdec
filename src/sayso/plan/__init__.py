"""Prompt text -> Plan: lines to speak, expression, gaze and gesture timelines, camera,
scene, ambience. The tables of words it understands are in words.py (English, German,
French); the Plan value and its checks in model.py; the reader in read.py."""

from __future__ import annotations

from .model import (AMBIENCES, ASPECTS, CAMERA_MOVES, EXPRESSIONS, FPS_CHOICES, GAZES, GESTURES, MAX_PROMPT_CHARS,
                    SCENES, SIZES, VOICES, Camera, Change, Cue, Line, Plan, check)
from .read import plan, split_prompt, timeline

__all__ = ["AMBIENCES", "ASPECTS", "CAMERA_MOVES", "EXPRESSIONS", "FPS_CHOICES", "GAZES", "GESTURES",
           "MAX_PROMPT_CHARS", "SCENES", "SIZES", "VOICES", "Camera", "Change", "Cue", "Line", "Plan", "check",
           "plan", "split_prompt", "timeline"]
