"""Pre- and post-processing exactly as the library does them (docs/model-package.md), for parity checks and
reference outputs.

The decode and resize are the library's own, run through node on the built library in dist/, so the pixels PyTorch
sees are the pixels ONNX Runtime sees in the library (they equal transformers' Sam3ImageProcessor's:
tests/test_preprocess_transformers.py); everything after it is plain numpy/torch.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess

import numpy as np
import torch
import torch.nn.functional as F

from .tokenizer import REPO_ROOT

_NODE_PREPARE = r"""
const { readImageSource } = require(process.env.DIST + '/image/image-input.js');
const { prepareImage } = require(process.env.DIST + '/image/decode.js');
(async () => {
  const [file, size, mode] = process.argv.slice(1);
  const p = await prepareImage(await readImageSource(file), { size: Number(size), mode });
  process.stdout.write(JSON.stringify({ width: p.width, height: p.height, resizedHw: p.resizedHw,
    rgb: Buffer.from(p.rgb.buffer, p.rgb.byteOffset, p.rgb.byteLength).toString('base64') }));
})().catch((e) => { console.error(e.message); process.exit(1); });
"""


def library_rgb(image_path: str, size: int, resize: str) -> tuple[tuple[int, int], tuple[int, int], np.ndarray]:
    """(original (h, w), resized (h, w), uint8 RGB [rh, rw, 3]) as the library's decoder makes them."""
    dist = os.path.join(REPO_ROOT, "dist")
    if not os.path.isfile(os.path.join(dist, "image", "decode.js")):
        raise FileNotFoundError(f"{dist}/image/decode.js is missing: run `npm run build:ts` first")
    out = subprocess.run(["node", "-e", _NODE_PREPARE, image_path, str(size), resize], capture_output=True,
                         text=True, env={**os.environ, "DIST": dist}, cwd=REPO_ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"decoding {image_path} with the library failed: {out.stderr.strip()}")
    j = json.loads(out.stdout)
    rh, rw = j["resizedHw"]
    rgb = np.frombuffer(base64.b64decode(j["rgb"]), dtype=np.uint8).reshape(rh, rw, 3)
    return (j["height"], j["width"]), (rh, rw), rgb


def normalize(rgb: np.ndarray, size: int, mean, std) -> np.ndarray:
    """uint8 [rh,rw,3] → float32 [1,3,S,S]; outside the resized image the input is 0 (bottom-right padding)."""
    rh, rw, _ = rgb.shape
    x = np.zeros((1, 3, size, size), dtype=np.float32)
    chw = rgb.astype(np.float32).transpose(2, 0, 1) / np.float32(255)
    m = np.asarray(mean, dtype=np.float32)[:, None, None]
    s = np.asarray(std, dtype=np.float32)[:, None, None]
    x[0, :, :rh, :rw] = (chw - m) / s
    return x


def postprocess(lowres: np.ndarray, size: int, resized_hw, original_hw) -> np.ndarray:
    """m×m logits → bilinear to S×S → crop to the resized image → bilinear to the original size → > 0."""
    t = torch.from_numpy(np.ascontiguousarray(lowres, dtype=np.float32))[None, None]
    t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)
    t = t[..., : resized_hw[0], : resized_hw[1]]
    t = F.interpolate(t, size=tuple(original_hw), mode="bilinear", align_corners=False)
    return (t[0, 0] > 0).numpy()


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)
