"""Prepare the voice once (install time): patch piper's joe model and cache it.

    python -m sayso.speech.prepare
"""

from __future__ import annotations

import time

from . import piper_voice, transcribe


def main() -> None:
    start = time.perf_counter()
    piper_voice.voice()
    transcribe._assembled()  # the speech recogniser, joined from its two halves and checked
    print(f"voices and recogniser ready in {time.perf_counter() - start:.1f} s (cache: {piper_voice.cache_dir()})")


if __name__ == "__main__":
    main()
