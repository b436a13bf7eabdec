"""Files a user might send: a foreign video, a PDF named .jpg, a huge image's header."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import av
import numpy as np


def foreign_video(path: Path, frames: int = 24) -> Path:
    """A short H.264 MP4 that sayso did not make (noise and a moving bar)."""
    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(frames):
            image = rng.integers(0, 255, (240, 320, 3), np.uint8)
            image[:, (i * 10) % 320:(i * 10) % 320 + 20] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return path


def huge_png(path: Path, width: int = 8000, height: int = 7500) -> Path:
    """A PNG whose header says 60 MP (a few bytes of data follow): refused from the
    header, it costs the server nothing to decode."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\0" * (1 + width * 3) * 4)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def no_face(path: Path) -> Path:
    """A real photo-sized picture with no face in it: a smooth gradient."""
    from PIL import Image

    y, x = np.mgrid[0:360, 0:480]
    image = np.stack([x * 255 // 480, y * 255 // 360, np.full_like(x, 128)], -1).astype(np.uint8)
    Image.fromarray(image).save(path)
    return path
