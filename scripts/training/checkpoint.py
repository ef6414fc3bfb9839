"""Resumable checkpoints: model, optimizer, step, RNG and the loss history, written atomically so a
run killed mid-write still leaves the previous checkpoint intact."""
from __future__ import annotations

import os
import random
from pathlib import Path

import torch


def save(path: Path, model, optimizer, step: int, history: list[float], args: dict, data_rng: random.Random) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "step": step,
        "history": history,
        "args": args,
        "torch_rng": torch.get_rng_state(),
        "data_rng": data_rng.getstate(),
    }, tmp)
    os.replace(tmp, path)


def load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)
