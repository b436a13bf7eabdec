"""The independent judge (../shared/eval/score) on a clip made here, when it is set up.

install.sh sets the judge up whenever ../shared/eval is beside the checkout, so in CI
this runs; a checkout without the shared folder skips it, saying why."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import sayso

SCORE = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "score"
VENV = Path(os.environ.get("SAYSO_EVAL_VENV", Path.home() / ".cache" / "sayso-eval" / "venv"))
LINE = "I will always love you, no matter what happens."


@pytest.mark.skipif(not SCORE.exists() or not (VENV / "bin" / "python").exists(),
                    reason="the judge is not set up (run ../shared/eval/setup.sh)")
@pytest.mark.parametrize("voice", ["male", "female"])
def test_the_judge_passes_a_clip(photos, tmp_path, voice):
    result = sayso.make(photos / "skimage_astronaut.png", f"Says '{LINE}'", tmp_path / "judged.mp4",
                        voice=voice, duration=4.5)
    proc = subprocess.run([str(SCORE), str(result.video), "--photo", str(photos / "skimage_astronaut.png"),
                           "--text", LINE, "--json"], capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stdout)
    failed = {c["name"]: c["value"] for c in report["checks"] if not c["pass"]}
    assert proc.returncode == 0 and not failed, failed
    assert report["speech"]["wer"] == 0.0
    assert abs(report["sync"]["best_lag"]) <= 1 and report["blinks"]["count"] >= 1
