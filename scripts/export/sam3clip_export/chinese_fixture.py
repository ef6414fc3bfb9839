"""The committed tiny Chinese-CLIP package (test/fixtures/sam3-chinese-tiny: the tiny SAM3 tracker with
Chinese-CLIP's text tower, random weights, the small stand-in vocabulary) and its references: transformers' own
token ids of a set of prompts (tokens.json) and the PyTorch outputs of the text path (reference.json, the same
layout as sam3-tiny-reference's).

The tracker's seed is sam3-tiny's, so image_encoder, prompt_encoder and mask_decoder are byte-identical to that
package's graphs (git stores them once); only the text tower, projection and tokenizer.json are new.
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import numpy as np
import torch

from .chinese_clip_text import transformers_tokenizer
from .export_info import write_export_info
from .fixture import TINY_SEED, reference_images
from .pipeline import PackageModules, build_modules
from .preprocess import library_rgb, normalize
from .reference import reference_case, write_reference
from .tokenizer import REPO_ROOT, resolve_tokenizer

CHINESE_PACKAGE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-chinese-tiny")
CHINESE_REFERENCE_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "sam3-chinese-tiny-reference")
CHINESE_NAME = "sam3-chinese-tiny-random"
TOKENS_FILE = "tokens.json"
# Segmented on both images: Chinese, English, mixed.
SEGMENT_PROMPTS = ["红色的汽车", "a red car", "红色 car", "一只黑猫的脸"]
# Tokenized only: punctuation (ASCII and full-width), full-width letters, characters outside the vocabulary
# ([UNK]), extra whitespace, upper case, and prompts longer than the context length (52).
TOKEN_PROMPTS = SEGMENT_PROMPTS + [
    "the cat on the left",
    "红色的汽车，在左边。",
    "猫！狗？(a dog)",
    "ＲＥＤ ｃａｒ　红色",
    "  The   RED   car  ",
    "龘靐齉",
    "红色的汽车" * 12,
    "a red car on the left of the road with a black cat and a white dog " * 3,
    "一只黑猫的脸 black cat face " * 6,
]


def make_chinese_package(out_dir: str, seed: int = TINY_SEED) -> PackageModules:
    modules = build_modules("sam3", "tiny", random_init=True, seed=seed, text_tower="chinese-clip")
    os.makedirs(out_dir, exist_ok=True)
    tokenizer = resolve_tokenizer(os.path.join(out_dir, "tokenizer.json"), framing="bert")
    modules.write(out_dir, name=CHINESE_NAME, tokenizer_json_path=tokenizer, precision="fp32", log=lambda m: None)
    write_export_info(out_dir, SimpleNamespace(family="sam3", preset="tiny", seed=seed, random_init=True,
                                               precision="fp32", text_tower="chinese-clip"))
    return modules


def transformers_tokens(tokenizer_json: str, prompts: list[str], context_length: int) -> dict:
    """ids [B,L] and attention_mask [B,L] as transformers' tokenizer gives them (padding to L, truncation)."""
    tok = transformers_tokenizer(tokenizer_json)
    enc = tok(prompts, padding="max_length", truncation=True, max_length=context_length, return_tensors="np")
    return {"ids": enc["input_ids"].astype(np.int64), "attention_mask": enc["attention_mask"].astype(np.int64)}


def token_reference(package_dir: str) -> dict:
    import transformers

    with open(os.path.join(package_dir, "manifest.json")) as f:
        L = json.load(f)["tokenizer"]["contextLength"]
    tokens = transformers_tokens(os.path.join(package_dir, "tokenizer.json"), TOKEN_PROMPTS, L)
    return {
        "about": "transformers' tokenizer of test/fixtures/sam3-chinese-tiny/tokenizer.json (PreTrainedTokenizerFast, "
                 "padding to max_length, truncation): scripts/export/make_chinese_fixture.py",
        "transformers": transformers.__version__, "contextLength": L,
        "cases": [{"prompt": p, "ids": tokens["ids"][i].tolist(), "attentionMask": tokens["attention_mask"][i].tolist()}
                  for i, p in enumerate(TOKEN_PROMPTS)],
    }


def torch_text_pipeline(modules: PackageModules, pixels: np.ndarray, ids: np.ndarray, mask: np.ndarray) -> dict:
    with torch.no_grad():
        feats = modules.image_encoder(torch.from_numpy(pixels))
        text = modules.text_encoder(torch.from_numpy(ids), torch.from_numpy(mask))
        prompts = modules.projection(text)
        masks, iou = modules.mask_decoder(*feats, prompts)
    return {"text_embeds": text.numpy(), "masks": masks.numpy(), "iou_scores": iou.numpy()}


def make_chinese_reference(modules: PackageModules, package_dir: str, ref_dir: str) -> dict:
    with open(os.path.join(package_dir, "manifest.json")) as f:
        manifest = json.load(f)
    S = manifest["image"]["size"]
    tokens = transformers_tokens(os.path.join(package_dir, "tokenizer.json"), SEGMENT_PROMPTS,
                                 manifest["tokenizer"]["contextLength"])
    cases, logits = [], []
    for image in reference_images(ref_dir):
        original_hw, resized_hw, rgb = library_rgb(image, S, manifest["image"]["resize"])
        out = torch_text_pipeline(modules, normalize(rgb, S, manifest["image"]["mean"], manifest["image"]["std"]),
                                  tokens["ids"], tokens["attention_mask"])
        for b, prompt in enumerate(SEGMENT_PROMPTS):
            token_ids = tokens["ids"][b][tokens["attention_mask"][b] == 1].tolist()
            cases.append(reference_case(image, prompt, token_ids, out, b, S, resized_hw, original_hw, logits))
    index = {
        "about": "PyTorch outputs of the tiny random-init SAM3 + Chinese-CLIP package "
                 "(scripts/export/make_chinese_fixture.py); token ids from transformers' tokenizer",
        "lowresShape": list(out["masks"].shape[1:]), "logitsFile": "lowres-logits.f32", "cases": cases,
    }
    write_reference(ref_dir, index, np.stack(logits))
    with open(os.path.join(ref_dir, TOKENS_FILE), "w", encoding="utf-8") as f:
        json.dump(token_reference(package_dir), f, ensure_ascii=False, indent=1)
        f.write("\n")
    return index
