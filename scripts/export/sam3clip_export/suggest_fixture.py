"""The committed tiny suggestion package (test/fixtures/sam3-suggest-tiny: sam3-tiny's graphs plus CLIP's image
tower) and its PyTorch references: each shared photo's image embedding through CLIPImageProcessor and
CLIPVisionModelWithProjection, and the vocabulary's top-k ranking by cosine with the package's text tower."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import numpy as np
import torch

from .export_info import write_export_info
from .fixture import TINY_NAME, TINY_SEED
from .pipeline import PackageModules, build_modules
from .tokenizer import REPO_ROOT, resolve_tokenizer

SUGGEST_PACKAGE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-suggest-tiny")
SUGGEST_REFERENCE = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-suggest-tiny-reference.json")
SHARED_IMAGES = os.path.join(REPO_ROOT, "..", "shared", "images")
PHOTOS = ["chelsea.png", "coffee.png"]
TOP_K = 10
# COCO's 80 category names: the library's default vocabulary (lib/vocabularies/coco.ts; the tests compare the two).
COCO = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
]


def make_suggest_package(out_dir: str, seed: int = TINY_SEED) -> PackageModules:
    """sam3-tiny's modules (same seed, so the same graphs) and the tiny CLIP image tower."""
    modules = build_modules("sam3", "tiny", random_init=True, seed=seed, clip_image_tower=True)
    os.makedirs(out_dir, exist_ok=True)
    tokenizer = resolve_tokenizer(os.path.join(out_dir, "tokenizer.json"))
    modules.write(out_dir, name=TINY_NAME.replace("sam3-tiny", "sam3-suggest-tiny"), tokenizer_json_path=tokenizer,
                  precision="fp32", log=lambda m: None)
    write_export_info(out_dir, SimpleNamespace(family="sam3", preset="tiny", seed=seed, random_init=True,
                                               precision="fp32", clip_image_tower=True))
    return modules


def clip_pixel_values(path: str, spec: dict) -> torch.Tensor:
    """CLIPImageProcessor (transformers' torchvision backend: bicubic antialiased resize on uint8, center crop)."""
    from PIL import Image
    from transformers import CLIPImageProcessor

    processor = CLIPImageProcessor(size={"shortest_edge": spec["size"]},
                                   crop_size={"height": spec["size"], "width": spec["size"]},
                                   image_mean=spec["mean"], image_std=spec["std"])
    with Image.open(path) as im:
        return processor(images=im.convert("RGB"), return_tensors="pt")["pixel_values"]


def vocabulary_ids(tokenizer_json: str, words: list[str], context_length: int, pad_id: int) -> torch.Tensor:
    """Hugging Face tokenizers on the package's tokenizer.json (BOS/EOS added by it), EOS-padded to L."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_json)
    rows = []
    for w in words:
        ids = tok.encode(" ".join(w.lower().split())).ids[:context_length]
        rows.append(ids + [pad_id] * (context_length - len(ids)))
    return torch.tensor(rows, dtype=torch.int64)


def make_suggest_reference(modules: PackageModules, package_dir: str, out_path: str) -> dict:
    with open(os.path.join(package_dir, "manifest.json")) as f:
        manifest = json.load(f)
    spec = manifest["imageTower"]
    tok = manifest["tokenizer"]
    ids = vocabulary_ids(os.path.join(package_dir, "tokenizer.json"), COCO, tok["contextLength"], tok["padId"])
    with torch.no_grad():
        text = modules.text_encoder(ids)
        text = text / text.norm(dim=-1, keepdim=True)
        cases = []
        for name in PHOTOS:
            pixels = clip_pixel_values(os.path.join(SHARED_IMAGES, name), spec)
            image = modules.image_tower(pixels)[0]
            cosine = (text @ (image / image.norm())).numpy().astype(np.float64)
            order = np.argsort(-cosine, kind="stable")[:TOP_K]
            cases.append({
                "image": name,
                "pixelValuesMean": float(pixels.mean()),
                "imageEmbeds": [float(v) for v in image],
                "top": [{"text": COCO[i], "score": float(cosine[i])} for i in order],
                "cosine": [float(v) for v in cosine],
            })
    reference = {"vocabulary": COCO, "topK": TOP_K, "cases": cases}
    with open(out_path, "w") as f:
        json.dump(reference, f)
        f.write("\n")
    return reference
