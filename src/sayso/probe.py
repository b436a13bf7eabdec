"""probe: reopen an MP4 and report what a player (or a test) sees."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

@dataclass(frozen=True)
class VideoInfo:
    """What a player sees in an MP4. Durations in seconds (the file's edge)."""

    width: int
    height: int
    fps: Fraction
    num_frames: int  # counted by decoding every frame
    video_duration: float  # first frame shown -> last frame ends
    # Decoded samples / sample_rate: priming removed, but FFmpeg decodes the last AAC
    # frame whole, so this can exceed the edit list (what players show) by < 1024 samples.
    audio_duration: float
    video_codec: str
    audio_codec: str | None
    pix_fmt: str
    sample_rate: int | None
    faststart: bool  # moov box before mdat: playback can start while downloading


def probe(path: str | Path) -> VideoInfo:
    """Reopen an MP4 and decode every frame and sample (a 10 s 720p clip: ~0.5 s).

    Meant for sayso's own output; other files may raise PyAV's errors as they are.
    """
    path = Path(path)
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        fps = Fraction(video.average_rate) if video.average_rate else Fraction(0)
        num_frames, video_duration = _count_video(container, video, fps)
    audio_codec, sample_rate, audio_duration = _measure_audio(path)
    return VideoInfo(
        width=video.codec_context.width,
        height=video.codec_context.height,
        fps=fps,
        num_frames=num_frames,
        video_duration=video_duration,
        audio_duration=audio_duration,
        video_codec=video.codec_context.name,
        audio_codec=audio_codec,
        pix_fmt=video.codec_context.pix_fmt or "",
        sample_rate=sample_rate,
        faststart=is_faststart(path),
    )


def _count_video(
    container: av.container.InputContainer, video: av.video.stream.VideoStream, fps: Fraction
) -> tuple[int, float]:
    """Decode every frame: (count, seconds from the first frame to the end of the last)."""
    first: Fraction | None = None
    last = Fraction(0)
    count = 0
    for frame in container.decode(video):
        when = Fraction(frame.pts) * video.time_base
        first = when if first is None else min(first, when)
        last = max(last, when)
        count += 1
    if count == 0 or not fps:
        return count, 0.0
    return count, float(last - first + 1 / fps)


def _measure_audio(path: Path) -> tuple[str | None, int | None, float]:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None, None, 0.0
        audio = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(audio))
        rate = audio.codec_context.sample_rate
        return audio.codec_context.name, rate, samples / rate


def top_level_boxes(path: Path) -> list[tuple[str, int, int]]:
    """The MP4's top-level boxes: (type, offset, size) in file order; a `uuid` box is
    named "uuid:" + its 16-byte user type in hex."""
    boxes = []
    with open(path, "rb") as file:
        file_size = os.fstat(file.fileno()).st_size
        offset = 0
        while offset + 8 <= file_size:
            file.seek(offset)
            header = file.read(32)
            size, kind = int.from_bytes(header[:4], "big"), header[4:8].decode("latin-1")
            body = 8
            if size == 1:  # a 64-bit size follows the type
                size, body = int.from_bytes(header[8:16], "big"), 16
            elif size == 0:  # the box runs to the end of the file
                size = file_size - offset
            if size < body:
                break  # not a box: stop rather than loop
            if kind == "uuid":
                kind += ":" + header[body : body + 16].hex()
            boxes.append((kind, offset, size))
            offset += size
    return boxes


def is_faststart(path: Path) -> bool:
    """moov before mdat: playback can start while the file downloads."""
    kinds = [kind for kind, _, _ in top_level_boxes(path)]
    return "moov" in kinds and "mdat" in kinds and kinds.index("moov") < kinds.index("mdat")
