"""A smooth deformation field between control points (thin-plate spline).

The spline is fitted on where the control points are in the photo, which never
changes, so its system is inverted once and a frame costs two matrix products on
a coarse grid. That gives the forward displacement f(s) (where a photo point goes).
The renderer needs the backward map (where an output pixel comes from), which solves
q = s + f(s) for s. Newton's method does it on the coarse grid: the field and its
Jacobian are sampled bilinearly at the current guess, and the 2x2 step is solved in
closed form. A plain fixed-point iteration (s = q - f(s)) stalls where the field
squeezes hard, such as a wide-open mouth in the photo closing to a line, where
|grad f| nears 1. Nothing is resampled from the photo twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def _tps_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """U(r) = r^2 log r^2 between (n, 2) and (m, 2) points -> (n, m) float64."""
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(d2 > 0, d2 * np.log(d2), 0.0)
    return k


@dataclass(frozen=True)
class Field:
    """A thin-plate field over fixed control points, evaluated on a fixed grid.

    grid: region of the photo it covers, (x0, y0) origin and step in photo pixels,
        shape (gh, gw) grid points; outside it the field is zero.
    """

    x0: float
    y0: float
    step: float
    shape: tuple[int, int]
    _solve: np.ndarray  # (n + 3, n) maps control displacements to spline weights
    _eval: np.ndarray  # (gh * gw, n + 3) spline basis at the grid points

    @classmethod
    def fit(cls, controls: np.ndarray, box: tuple[float, float, float, float], step: float) -> "Field":
        """controls: (n, 2) rest positions in photo pixels; box: x0, y0, x1, y1."""
        x0, y0, x1, y1 = box
        gw, gh = int(np.ceil((x1 - x0) / step)) + 1, int(np.ceil((y1 - y0) / step)) + 1
        scale = max(x1 - x0, y1 - y0)  # work in unit-scale coordinates for conditioning
        c = (controls - (x0, y0)) / scale
        n = c.shape[0]
        system = np.zeros((n + 3, n + 3))
        system[:n, :n] = _tps_kernel(c, c) + 1e-6 * np.eye(n)
        system[:n, n] = 1.0
        system[:n, n + 1:] = c
        system[n, :n] = 1.0
        system[n + 1:, :n] = c.T
        inverse = np.linalg.inv(system)[:, :n]  # right-hand side is zero on the affine rows
        gy, gx = np.mgrid[0:gh, 0:gw]
        g = np.stack([gx.ravel(), gy.ravel()], 1) * step / scale
        basis = np.concatenate([_tps_kernel(g, c), np.ones((len(g), 1)), g], axis=1)
        return cls(x0, y0, step, (gh, gw), inverse.astype(np.float32), basis.astype(np.float32))

    def forward(self, displacement: np.ndarray) -> np.ndarray:
        """(n, 2) control displacements -> (gh, gw, 2) float32 forward field (pixels)."""
        weights = self._solve @ displacement.astype(np.float32)
        return (self._eval @ weights).reshape(*self.shape, 2)

    def backward(self, displacement: np.ndarray, iterations: int = 6) -> np.ndarray:
        """(gh, gw, 2) float32: for each grid point q, the offset s - q to its source."""
        fwd = self.forward(displacement) / float(self.step)  # grid units from here on
        gh, gw = self.shape
        gy, gx = np.mgrid[0:gh, 0:gw].astype(np.float32)
        # Jacobian of q = s + f(s), channels: dqx/dx, dqx/dy, dqy/dx, dqy/dy
        jac = np.stack([1 + np.gradient(fwd[..., 0], axis=1), np.gradient(fwd[..., 0], axis=0),
                        np.gradient(fwd[..., 1], axis=1), 1 + np.gradient(fwd[..., 1], axis=0)], -1)
        sx, sy = gx - fwd[..., 0], gy - fwd[..., 1]
        for _ in range(iterations):
            f = cv2.remap(fwd, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            j = cv2.remap(jac, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            rx, ry = sx + f[..., 0] - gx, sy + f[..., 1] - gy  # residual q(s) - q
            det = j[..., 0] * j[..., 3] - j[..., 1] * j[..., 2]
            det = np.where(np.abs(det) < 0.05, np.copysign(0.05, det), det)  # squeezed to a line
            sx = sx - (j[..., 3] * rx - j[..., 1] * ry) / det
            sy = sy - (j[..., 0] * ry - j[..., 2] * rx) / det
        return (np.stack([sx - gx, sy - gy], -1) * float(self.step)).astype(np.float32)


def feather(box: tuple[int, int, int, int], band: int = 6) -> np.ndarray:
    """(h, w, 1) weight rising from 0 at the box edges to 1 inside, over band pixels."""
    h, w = box[3] - box[1], box[2] - box[0]
    ys = np.minimum(np.arange(h), np.arange(h)[::-1])[:, None]
    xs = np.minimum(np.arange(w), np.arange(w)[::-1])[None, :]
    return np.clip(np.minimum(xs, ys) / band, 0, 1).astype(np.float32)[..., None]


def grid_field(controls: np.ndarray, box: tuple[int, int, int, int], px: int,
               origin: tuple[float, float]) -> Field:
    """A field whose grid covers box (pixels relative to origin) every px pixels.

    Grid point j sits at box pixel px * j + (px - 1) / 2: exactly where cv2.resize by a
    factor px samples it, so upsampling the grid to pixels is one resize."""
    x0, y0, x1, y1 = box
    half = (px - 1) / 2
    gx0, gy0 = origin[0] + x0 + half, origin[1] + y0 + half
    gw, gh = int(np.ceil((x1 - x0) / px)), int(np.ceil((y1 - y0) / px))
    return Field.fit(controls, (gx0, gy0, gx0 + px * gw, gy0 + px * gh), float(px))


def upsample(back: np.ndarray, px: int, shape: tuple[int, int]) -> np.ndarray:
    """(gh, gw, 2) grid offsets -> (h, w, 2) per-pixel offsets (see grid_field)."""
    gh, gw = back.shape[:2]
    return cv2.resize(back, (gw * px, gh * px), interpolation=cv2.INTER_LINEAR)[: shape[0], : shape[1]]
