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
