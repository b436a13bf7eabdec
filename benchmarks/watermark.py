"""Time the invisible watermark: ms per frame for Watermarker.apply at 720x720,
1280x720 and 1920x1080, and read time for a 5 s clip (decode + read). Prints only.

    .venv/bin/python benchmarks/watermark.py
"""

from __future__ import annotations

import io
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from sayso.trust.watermark import Watermarker, read, read_video

PHOTO = Path(__file__).resolve().parents[1].parent / "shared" / "photos" / "skimage_astronaut.png"
FPS = 24


def _frames(width: int, height: int, count: int) -> list[np.ndarray]:
    """(count) x (height, width, 3) uint8 RGB: the photo, swaying a few pixels."""
    image = cv2.cvtColor(cv2.imread(str(PHOTO)), cv2.COLOR_BGR2RGB)
    big = cv2.resize(image, (width + 16, height + 16), interpolation=cv2.INTER_AREA)
    return [np.ascontiguousarray(big[8 + i % 5 : 8 + i % 5 + height, 8:8 + width]) for i in range(count)]


def time_apply(width: int, height: int, count: int = 120) -> float:
    """Mean ms per frame of apply (the copy that keeps the source frames is excluded)."""
    frames = _frames(width, height, count)
    copies = [frame.copy() for frame in frames]
    marker = Watermarker(width, height, bytes(range(8)))
    start = time.perf_counter()
    for frame in copies:
        marker.apply(frame)
    return (time.perf_counter() - start) / count * 1e3


def time_read(width: int = 1280, height: int = 720, seconds: int = 5) -> tuple[float, float]:
    """Seconds to read a 5 s crf 28 MP4: read_video (decode + read), and read alone."""
    marker = Watermarker(width, height, bytes(range(8)))
    frames = [marker.apply(frame) for frame in _frames(width, height, seconds * FPS)]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(FPS), options={"crf": "28", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    path = Path("/tmp/sayso-watermark-bench.mp4")
    path.write_bytes(buffer.getvalue())
    start = time.perf_counter()
    reading = read_video(path)
    whole = time.perf_counter() - start
    assert reading is not None, "the benchmark clip did not read back"
    sample = frames[:: 2]
    start = time.perf_counter()
    read(sample)
    return whole, time.perf_counter() - start


def main() -> None:
    for width, height in [(720, 720), (1280, 720), (1920, 1080)]:
        print(f"apply {width}x{height}: {time_apply(width, height):.2f} ms/frame")
    whole, alone = time_read()
    print(f"read_video 5 s 1280x720 crf 28: {whole:.2f} s (read() of 60 frames alone: {alone:.2f} s)")


if __name__ == "__main__":
    main()
