"""Shape outlines for the what/where generator.

Every shape is a polygon in a unit frame, centred on the origin and scaled so
that its farthest vertex lies at radius 1. ``size`` in the stimulus table is the
diameter of that circumscribed circle as a fraction of the image side.
"""
from __future__ import annotations

import zlib

import numpy as np

SHAPES = ("circle", "square", "triangle", "star", "cross", "hexagon", "heart", "arrow")


def _regular(n: int, phase: float = np.pi / 2) -> np.ndarray:
    t = phase + 2 * np.pi * np.arange(n) / n
    return np.stack([np.cos(t), np.sin(t)], axis=1)


def _base(name: str) -> np.ndarray:
    if name == "circle":
        return _regular(96)
    if name == "square":
        return _regular(4, np.pi / 4)
    if name == "triangle":
        return _regular(3)
    if name == "hexagon":
        return _regular(6, 0.0)
    if name == "star":
        outer = _regular(5)
        inner = 0.42 * _regular(5, np.pi / 2 + np.pi / 5)
        pts = np.empty((10, 2))
        pts[0::2], pts[1::2] = outer, inner
        return pts
    if name == "cross":
        a, b = 0.33, 1.0
        return np.array([[-a, b], [a, b], [a, a], [b, a], [b, -a], [a, -a], [a, -b], [-a, -b],
                         [-a, -a], [-b, -a], [-b, a], [-a, a]])
    if name == "heart":
        t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
        x = 16 * np.sin(t) ** 3
        y = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
        return np.stack([x, y], axis=1)
    if name == "arrow":
        return np.array([[1.0, 0.0], [0.1, 0.7], [0.1, 0.3], [-1.0, 0.3], [-1.0, -0.3], [0.1, -0.3], [0.1, -0.7]])
    raise KeyError(name)


def outline(name: str, identity: int = 0) -> np.ndarray:
    """Vertices (n, 2) of exemplar ``identity`` of shape ``name``, in math axes (y up).

    Identity 0 is the canonical shape. Other identities are fixed, seed-independent
    variants (a stretch and a smooth radial wobble), so that "identity" is a stable
    exemplar factor nested within category.
    """
    pts = _base(name).astype(float)
    pts = pts - pts.mean(axis=0) if name in ("heart", "arrow") else pts
    if identity:
        rng = np.random.default_rng(zlib.crc32(f"{name}:{identity}".encode()))
        stretch = rng.uniform(0.72, 0.88)
        pts = pts * np.array([1.0, stretch])
        ang = np.arctan2(pts[:, 1], pts[:, 0])
        k = int(rng.integers(2, 4))
        wobble = 1.0 + 0.1 * np.sin(k * ang + rng.uniform(0, 2 * np.pi))
        pts = pts * wobble[:, None]
    return pts / np.max(np.hypot(pts[:, 0], pts[:, 1]))


def place(pts: np.ndarray, *, cx: float, cy: float, radius: float, rotation_deg: float) -> np.ndarray:
    """Rotate (counter-clockwise on screen), scale and move an outline to pixel coordinates."""
    th = np.deg2rad(rotation_deg)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    p = pts @ rot.T * radius
    # image rows grow downwards, so flip y
    return np.stack([cx + p[:, 0], cy - p[:, 1]], axis=1)
