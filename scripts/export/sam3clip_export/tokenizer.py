"""The package's tokenizer.json: CLIP's, from the checkpoint folder or built from the original BPE merges."""

from __future__ import annotations

import os
import shutil
import subprocess

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_BPE = os.path.join(REPO_ROOT, "..", "shared", "clip", "bpe_simple_vocab_16e6.txt.gz")


def tokenizer_from_checkpoint(clip_checkpoint: str | None) -> str | None:
    """The tokenizer.json of a CLIP checkpoint: inside a local folder, or from the hub cache for a hub id."""
    if not clip_checkpoint:
        return None
    local = os.path.join(os.path.expanduser(clip_checkpoint), "tokenizer.json")
    if os.path.isfile(local):
        return local
    if os.path.isdir(os.path.expanduser(clip_checkpoint)):
        return None
    try:
        from transformers.utils import cached_file

        return cached_file(clip_checkpoint, "tokenizer.json")
    except Exception:  # no hub access or no such file: fall back to the BPE merges
        return None


def build_clip_tokenizer(out_path: str, bpe_path: str = DEFAULT_BPE) -> str:
    """Writes CLIP's tokenizer.json with the repo's TypeScript builder (the same code the library's tests check)."""
    if not os.path.isfile(bpe_path):
        raise FileNotFoundError(
            f"CLIP BPE merges not found at {bpe_path}: pass --clip-checkpoint with a tokenizer.json, or --bpe"
        )
    tsx = os.path.join(REPO_ROOT, "node_modules", ".bin", "tsx")
    cmd = [tsx] if os.path.exists(tsx) else ["npx", "--no-install", "tsx"]
    cmd += [os.path.join(REPO_ROOT, "scripts", "build-clip-tokenizer.ts"), "--bpe", bpe_path, "--out", out_path]
    result = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"building tokenizer.json failed ({' '.join(cmd)}):\n{result.stderr or result.stdout}")
    return out_path


def resolve_tokenizer(out_path: str, clip_checkpoint: str | None = None, bpe_path: str | None = None,
                      framing: str = "clip") -> str:
    """Copies the checkpoint's tokenizer.json to out_path, or builds it from the BPE merges; a "bert"-framed tower
    (Chinese-CLIP) gets its checkpoint's WordPiece tokenizer, or the small stand-in vocabulary without one."""
    if framing == "bert":
        from .chinese_clip_text import bert_tokenizer_json

        return bert_tokenizer_json(out_path, clip_checkpoint)
    found = tokenizer_from_checkpoint(clip_checkpoint)
    if found:
        shutil.copyfile(found, out_path)
        return out_path
    return build_clip_tokenizer(out_path, bpe_path or DEFAULT_BPE)
