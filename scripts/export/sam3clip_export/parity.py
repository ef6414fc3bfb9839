"""Runs a package's graphs with ONNX Runtime next to the PyTorch modules they were exported from."""

from __future__ import annotations

import json
import os

import numpy as np
import torch

from .pipeline import PackageModules
from .preprocess import library_rgb, mask_iou, normalize, postprocess
from .prompts import batch_ids


class OrtPackage:
    """The ONNX Runtime sessions of a package's graphs (every file but the tokenizer), fed and read the way the
    library does."""

    def __init__(self, package_dir: str, threads: int = 0):
        import onnxruntime as ort

        with open(os.path.join(package_dir, "manifest.json")) as f:
            self.manifest = json.load(f)
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.sessions = {
            key: ort.InferenceSession(os.path.join(package_dir, self.manifest["files"][key]["path"]), opts,
                                      providers=["CPUExecutionProvider"])
            for key in self.manifest["files"] if key != "tokenizer"
        }
        self.dir = package_dir

    def run(self, key: str, feeds: dict) -> list[np.ndarray]:
        return self.sessions[key].run(None, feeds)

    def output_names(self, key: str) -> list[str]:
        return [o.name for o in self.sessions[key].get_outputs()]


def torch_pipeline(modules: PackageModules, pixels: np.ndarray, ids: np.ndarray) -> dict[str, np.ndarray]:
    with torch.no_grad():
        feats = modules.image_encoder(torch.from_numpy(pixels))
        feats = feats if isinstance(feats, tuple) else (feats,)
        text = modules.text_encoder(torch.from_numpy(ids))
        prompts = modules.projection(text)
        masks, iou = modules.mask_decoder(*feats, prompts)
    out = {"text_embeds": text, "prompt_embeds": prompts, "masks": masks, "iou_scores": iou}
    names = ["image_embeddings", "high_res_feats_0", "high_res_feats_1"]
    out.update({names[i]: f for i, f in enumerate(feats)})
    return {k: v.numpy() for k, v in out.items()}


def ort_pipeline(pkg: OrtPackage, pixels: np.ndarray, ids: np.ndarray, reference: dict | None = None,
                 image_outputs: dict | None = None):
    """The ONNX chain. With ``reference`` each graph gets the PyTorch inputs instead (per-graph comparison);
    ``image_outputs`` reuses an earlier image_encoder run (the encoder is by far the slowest graph)."""
    src = reference or {}
    if image_outputs is None:
        image_outputs = dict(zip(pkg.output_names("image_encoder"), pkg.run("image_encoder", {"pixel_values": pixels})))
    out = dict(image_outputs)
    out["text_embeds"] = pkg.run("text_encoder", {"input_ids": ids})[0]
    out["prompt_embeds"] = pkg.run("text_projection", {"text_embeds": src.get("text_embeds", out["text_embeds"])})[0]
    feed = {n: src.get(n, out[n]) for n in pkg.output_names("image_encoder")}
    feed["prompt_embeds"] = src.get("prompt_embeds", out["prompt_embeds"])
    out["masks"], out["iou_scores"] = pkg.run("mask_decoder", feed)
    return out


def compare_on_image(modules: PackageModules, pkg: OrtPackage, image_path: str, prompts: list[str]) -> dict:
    """Max |diff| per output (each graph fed the PyTorch inputs) and final-mask IoU of the end-to-end chains."""
    m = pkg.manifest
    S = m["image"]["size"]
    original_hw, resized_hw, rgb = library_rgb(image_path, S, m["image"]["resize"])
    pixels = normalize(rgb, S, m["image"]["mean"], m["image"]["std"])
    ids = batch_ids(os.path.join(pkg.dir, m["files"]["tokenizer"]["path"]), prompts,
                    m["tokenizer"]["contextLength"], m["tokenizer"]["padId"])
    ref = torch_pipeline(modules, pixels, ids)
    per_graph = ort_pipeline(pkg, pixels, ids, reference=ref)
    image_outputs = {n: per_graph[n] for n in pkg.output_names("image_encoder")}
    chain = ort_pipeline(pkg, pixels, ids, image_outputs=image_outputs)
    diffs = {k: float(np.abs(per_graph[k].astype(np.float64) - ref[k]).max()) for k in ref}
    chain_diffs = {k: float(np.abs(chain[k].astype(np.float64) - ref[k]).max()) for k in ("masks", "iou_scores")}
    ious, fg = [], []
    for b in range(len(prompts)):
        for k in range(ref["masks"].shape[1]):
            a = postprocess(ref["masks"][b, k], S, resized_hw, original_hw)
            o = postprocess(chain["masks"][b, k], S, resized_hw, original_hw)
            ious.append(mask_iou(a, o))
            fg.append(float(a.mean()))
    return {"image": image_path, "original_hw": original_hw, "diffs": diffs, "chain_diffs": chain_diffs,
            "mask_iou_min": min(ious), "mask_iou_mean": float(np.mean(ious)),
            "foreground_fraction": [min(fg), max(fg)]}
