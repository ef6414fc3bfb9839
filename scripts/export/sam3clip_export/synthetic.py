"""Small synthetic test images (numpy only): soft-edged coloured shapes on a gradient, reproducible from a seed."""

from __future__ import annotations

import numpy as np


def synthetic_rgb(width: int, height: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([x / width * 160 + 40, y / height * 120 + 60, np.full_like(x, 90)], axis=-1)
    for _ in range(4):
        cx, cy = rng.uniform(0.15, 0.85) * width, rng.uniform(0.15, 0.85) * height
        r = rng.uniform(0.1, 0.3) * min(width, height)
        colour = rng.uniform(0, 255, size=3).astype(np.float32)
        inside = np.clip(r - np.hypot(x - cx, y - cy), 0, 1)[..., None]
        img = img * (1 - inside) + colour * inside
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def write_png(path: str, rgb: np.ndarray) -> str:
    """A minimal PNG writer (8-bit RGB, zlib) so no imaging library is needed."""
    import struct
    import zlib

    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))
    chunk = lambda tag, data: struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))  # noqa: E731
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)
    return path


def write_synthetic_png(path: str, width: int, height: int, seed: int = 0) -> str:
    return write_png(path, synthetic_rgb(width, height, seed))
