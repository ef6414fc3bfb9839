"""On-disk cache of frozen image-encoder outputs, for training the projection alone.

With the encoder frozen its outputs depend only on the image and the encoder weights, so each image
is encoded once: <dir>/<encoder hash>/<image hash>.pt holds the encoder's output tensors. The
encoder hash covers every weight and the input size, so retraining or re-initialising the encoder
can never pick up stale embeddings.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import torch


def encoder_hash(encoder: torch.nn.Module, image_size: int) -> str:
    h = hashlib.sha256(f"S={image_size}".encode())
    for name, t in sorted(encoder.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def image_hash(pixels: torch.Tensor) -> str:
    return hashlib.sha256(pixels.contiguous().numpy().tobytes()).hexdigest()[:24]


class EmbeddingCache:
    """get(images) -> the encoder's outputs for each image, computed once and kept on disk and in memory."""

    def __init__(self, root: Path, encoder: torch.nn.Module, image_size: int,
                 preprocess: Callable[[torch.Tensor], torch.Tensor]):
        self.encoder = encoder
        self.preprocess = preprocess
        self.dir = Path(root) / encoder_hash(encoder, image_size)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.memory: dict[str, tuple[torch.Tensor, ...]] = {}
        self.hits = self.misses = 0

    @torch.no_grad()
    def get(self, image_u8: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """image_u8: [H,W,3] uint8. Returns the encoder outputs with a batch of 1."""
        key = image_hash(image_u8)
        if key in self.memory:
            self.hits += 1
            return self.memory[key]
        path = self.dir / f"{key}.pt"
        if path.exists():
            self.hits += 1
            out = tuple(torch.load(path))
        else:
            self.misses += 1
            out = tuple(t.detach().float() for t in self.encoder(self.preprocess(image_u8)))
            torch.save(list(out), path)
        self.memory[key] = out
        return out
