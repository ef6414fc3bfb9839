"""Reference outputs of a package's PyTorch modules on small images: low-res logits, IoU scores and the final
masks post-processed like the library. Stored as a JSON index + one float32 binary of the logits so the
library's tests (without PyTorch) and the export tests can compare against them."""

from __future__ import annotations

import base64
import json
import os

import numpy as np

from .parity import torch_pipeline
from .pipeline import PackageModules
from .preprocess import library_rgb, normalize, postprocess
from .prompts import batch_ids

INDEX_FILE = "reference.json"
LOGITS_FILE = "lowres-logits.f32"


def pack_mask(mask: np.ndarray) -> str:
    """Row-major bits, MSB first, base64."""
    return base64.b64encode(np.packbits(mask.astype(np.uint8).reshape(-1)).tobytes()).decode()


def unpack_mask(text: str, height: int, width: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(base64.b64decode(text), dtype=np.uint8))[: height * width]
    return bits.reshape(height, width).astype(bool)


def reference_case(image: str, prompt: str, token_ids: list, out: dict, b: int, S: int, resized_hw, original_hw,
                   logits: list) -> dict:
    """One image × prompt case of a text-path reference; appends the prompt's low-res logits to ``logits``."""
    masks = [postprocess(out["masks"][b, k], S, resized_hw, original_hw) for k in range(out["masks"].shape[1])]
    case = {
        "image": os.path.basename(image), "width": original_hw[1], "height": original_hw[0],
        "prompt": prompt, "tokenIds": token_ids,
        "iouScores": [float(v) for v in out["iou_scores"][b]],
        "foreground": [float(m.mean()) for m in masks],
        "masks": [pack_mask(m) for m in masks],
        "logitsOffset": len(logits) * int(np.prod(out["masks"].shape[1:])),
    }
    logits.append(out["masks"][b].astype(np.float32))
    return case


def compute_reference(modules: PackageModules, manifest: dict, tokenizer_json: str, images: list[str],
                      prompts: list[str]) -> tuple[dict, np.ndarray]:
    S = manifest["image"]["size"]
    ids = batch_ids(tokenizer_json, prompts, manifest["tokenizer"]["contextLength"], manifest["tokenizer"]["padId"])
    cases, logits = [], []
    for image in images:
        original_hw, resized_hw, rgb = library_rgb(image, S, manifest["image"]["resize"])
        out = torch_pipeline(modules, normalize(rgb, S, manifest["image"]["mean"], manifest["image"]["std"]), ids)
        for b, prompt in enumerate(prompts):
            token_ids = ids[b][: int(np.argmax(ids[b] == 49407)) + 1].tolist()
            cases.append(reference_case(image, prompt, token_ids, out, b, S, resized_hw, original_hw, logits))
    index = {
        "about": "PyTorch outputs of the tiny random-init SAM3+CLIP package (scripts/export/make_tiny_fixture.py)",
        "lowresShape": list(out["masks"].shape[1:]), "logitsFile": LOGITS_FILE, "cases": cases,
    }
    return index, np.stack(logits)


def write_reference(out_dir: str, index: dict, logits: np.ndarray) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, INDEX_FILE), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    logits.astype("<f4").tofile(os.path.join(out_dir, LOGITS_FILE))


def read_reference(ref_dir: str) -> tuple[dict, np.ndarray]:
    with open(os.path.join(ref_dir, INDEX_FILE)) as f:
        index = json.load(f)
    logits = np.fromfile(os.path.join(ref_dir, index["logitsFile"]), dtype="<f4")
    return index, logits.reshape(-1, *index["lowresShape"])
