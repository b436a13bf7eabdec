"""The visible label: a small "AI-generated" mark in the bottom-right corner.

Drawn once as a premultiplied sprite (white text on a translucent dark pill, sized to
the frame's short side), then composited onto each frame: a few thousand pixels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TEXT = "AI-generated"
HEIGHT_SHARE = 0.034  # the pill's height as a share of the frame's short side
MARGIN_SHARE = 0.025


@dataclass(frozen=True)
class Label:
    """colour: (h, w, 3) float32 premultiplied; alpha: (h, w, 1) float32; x, y: top-left."""

    colour: np.ndarray
    alpha: np.ndarray
    x: int
    y: int

    @classmethod
    def for_frame(cls, width: int, height: int) -> "Label":
        from PIL import Image, ImageDraw, ImageFont

        short = min(width, height)
        pill_h = max(14, round(HEIGHT_SHARE * short))
        font = ImageFont.load_default(size=max(9, round(pill_h * 0.62)))
        left, top, right, bottom = font.getbbox(TEXT)
        pad = round(pill_h * 0.45)
        pill_w = right - left + 2 * pad
        scale = 4  # drawn large and reduced: smooth edges
        canvas = Image.new("LA", (pill_w * scale, pill_h * scale), (0, 0))
        draw = ImageDraw.Draw(canvas)
        draw.rounded_rectangle((0, 0, pill_w * scale - 1, pill_h * scale - 1), radius=pill_h * scale // 2,
                               fill=(0, 110))
        big = ImageFont.load_default(size=font.size * scale)
        draw.text(((pad - left) * scale, (pill_h * scale - (bottom - top) * scale) / 2 - top * scale), TEXT,
                  font=big, fill=(255, 235))
        small = np.asarray(canvas.resize((pill_w, pill_h), Image.LANCZOS), np.float32) / 255.0
        grey, alpha = small[..., :1], small[..., 1:]
        margin = round(MARGIN_SHARE * short)
        return cls(np.repeat(grey * alpha * 255.0, 3, axis=2), alpha, width - margin - pill_w,
                   height - margin - pill_h)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """Mark an (H, W, 3) uint8 RGB frame in place; returns it."""
        h, w = self.alpha.shape[:2]
        region = frame[self.y:self.y + h, self.x:self.x + w].astype(np.float32)
        frame[self.y:self.y + h, self.x:self.x + w] = np.clip(
            self.colour + region * (1.0 - self.alpha) + 0.5, 0, 255).astype(np.uint8)
        return frame
