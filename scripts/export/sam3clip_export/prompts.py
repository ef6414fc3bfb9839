"""Prompt token ids as the library makes them: its own tokenizer (through the CLI in dist/), then truncation to L
with EOS kept last and padding with the pad id (docs/model-package.md)."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np

from .tokenizer import REPO_ROOT


def library_token_ids(tokenizer_json: str, prompt: str) -> list[int]:
    cli = os.path.join(REPO_ROOT, "dist", "cli", "main.js")
    if not os.path.isfile(cli):
        raise FileNotFoundError(f"{cli} is missing: run `npm run build:ts` first")
    out = subprocess.run(["node", cli, "tokenize", "--tokenizer", tokenizer_json, prompt], capture_output=True,
                         text=True, cwd=REPO_ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"tokenizing {prompt!r} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def pad_ids(ids: list[int], context_length: int, pad_id: int) -> list[int]:
    if len(ids) > context_length:
        ids = ids[: context_length - 1] + [ids[-1]]
    return ids + [pad_id] * (context_length - len(ids))


def batch_ids(tokenizer_json: str, prompts: list[str], context_length: int, pad_id: int) -> np.ndarray:
    return np.array([pad_ids(library_token_ids(tokenizer_json, p), context_length, pad_id) for p in prompts],
                    dtype=np.int64)


def batch_ids_and_mask(tokenizer_json: str, prompts: list[str], context_length: int,
                       pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids as batch_ids and the attention mask the library feeds with them (1 on the prompt's tokens, 0 on padding)."""
    tokens = [library_token_ids(tokenizer_json, p) for p in prompts]
    rows = [pad_ids(t, context_length, pad_id) for t in tokens]
    lengths = [min(len(t), context_length) for t in tokens]
    mask = np.array([[1] * n + [0] * (context_length - n) for n in lengths], dtype=np.int64)
    return np.array(rows, dtype=np.int64), mask
