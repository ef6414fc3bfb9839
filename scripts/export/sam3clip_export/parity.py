"""Runs a package's graphs with ONNX Runtime next to the PyTorch modules they were exported from: the text path
(text prompts) and the interactive path (points and boxes), whichever the package has."""

from __future__ import annotations

import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from .interactive_prompts import default_prompts, prompt_tokens
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
        ids_t = torch.from_numpy(ids)
        # A tower fed a mask (Chinese-CLIP's BERT) pads with [PAD], which no prompt contains: the mask is ids != pad.
        text = (modules.text_encoder(ids_t, (ids_t != modules.dims["pad_id"]).long())
                if modules.dims.get("attention_mask") else modules.text_encoder(ids_t))
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
    tokenizer = pkg.manifest["tokenizer"]
    mask = {"attention_mask": (ids != tokenizer["padId"]).astype(np.int64)} if tokenizer["attentionMask"] else {}
    out["text_embeds"] = pkg.run("text_encoder", {"input_ids": ids, **mask})[0]
    out["prompt_embeds"] = pkg.run("text_projection", {"text_embeds": src.get("text_embeds", out["text_embeds"])})[0]
    feed = {n: src.get(n, out[n]) for n in pkg.output_names("image_encoder")}
    feed["prompt_embeds"] = src.get("prompt_embeds", out["prompt_embeds"])
    out["masks"], out["iou_scores"] = pkg.run("mask_decoder", feed)
    return out


def torch_interactive(modules: PackageModules, feats: tuple, points: np.ndarray, labels: np.ndarray) -> dict:
    """The interactive path in PyTorch: prompt encoder → mask decoder with its tokens as the prompt embeddings."""
    with torch.no_grad():
        sparse = modules.prompt_encoder(torch.from_numpy(points), torch.from_numpy(labels))
        masks, iou = modules.mask_decoder(*(torch.from_numpy(f) for f in feats), sparse)
    return {"sparse_embeddings": sparse.numpy(), "masks": masks.numpy(), "iou_scores": iou.numpy()}


def ort_interactive(pkg: OrtPackage, image_outputs: dict, points: np.ndarray, labels: np.ndarray,
                    sparse: np.ndarray | None = None) -> dict:
    """The interactive path's ONNX chain; with ``sparse`` the mask decoder gets those tokens instead (per-graph
    comparison)."""
    out = {"sparse_embeddings": pkg.run("prompt_encoder", {"input_points": points, "input_labels": labels})[0]}
    feed = {n: image_outputs[n] for n in pkg.output_names("image_encoder")}
    feed["prompt_embeds"] = out["sparse_embeddings"] if sparse is None else sparse
    out["masks"], out["iou_scores"] = pkg.run("mask_decoder", feed)
    return out


def mask_at_original(lowres: np.ndarray, original_hw) -> np.ndarray:
    """m×m logits → bilinear (align_corners=False) straight to the original size → > 0: transformers'
    post_process_masks for the tracker's stretched input."""
    t = torch.from_numpy(np.ascontiguousarray(lowres, dtype=np.float32))[None, None]
    return (F.interpolate(t, size=tuple(original_hw), mode="bilinear", align_corners=False)[0, 0] > 0).numpy()


def compare_on_image(modules: PackageModules, pkg: OrtPackage, image_path: str, prompts: list[str],
                     interactive: list[dict] | None = None) -> dict:
    """Max |diff| per output (each graph fed the PyTorch inputs) and final-mask IoU of the end-to-end chains, for
    the paths the package has: text ``prompts`` through the text path, ``interactive`` prompts (points, boxes in
    original pixels; default_prompts when None) through the interactive one."""
    m = pkg.manifest
    S = m["image"]["size"]
    original_hw, resized_hw, rgb = library_rgb(image_path, S, m["image"]["resize"])
    pixels = normalize(rgb, S, m["image"]["mean"], m["image"]["std"])
    image_names = pkg.output_names("image_encoder")
    with torch.no_grad():
        feats = modules.image_encoder(torch.from_numpy(pixels))
    ref_image = dict(zip(image_names, (f.numpy() for f in (feats if isinstance(feats, tuple) else (feats,)))))
    ort_image = dict(zip(image_names, pkg.run("image_encoder", {"pixel_values": pixels})))
    diffs = {k: max_abs_diff(ort_image[k], ref_image[k]) for k in image_names}
    chain_diffs, ious, fg = {}, [], []

    def compare_masks(ref_masks, chain_masks, post):
        for b in range(ref_masks.shape[0]):
            for k in range(ref_masks.shape[1]):
                a, o = post(ref_masks[b, k]), post(chain_masks[b, k])
                ious.append(mask_iou(a, o))
                fg.append(float(a.mean()))

    if "text_encoder" in m["files"]:
        ids = batch_ids(os.path.join(pkg.dir, m["files"]["tokenizer"]["path"]), prompts,
                        m["tokenizer"]["contextLength"], m["tokenizer"]["padId"])
        ref = torch_pipeline(modules, pixels, ids)
        per_graph = ort_pipeline(pkg, pixels, ids, reference=ref, image_outputs=ort_image)
        chain = ort_pipeline(pkg, pixels, ids, image_outputs=ort_image)
        diffs.update({k: max_abs_diff(per_graph[k], ref[k]) for k in ("text_embeds", "prompt_embeds", "masks",
                                                                        "iou_scores")})
        chain_diffs.update({k: max_abs_diff(chain[k], ref[k]) for k in ("masks", "iou_scores")})
        compare_masks(ref["masks"], chain["masks"], lambda x: postprocess(x, S, resized_hw, original_hw))
    if "prompt_encoder" in m["files"]:
        for prompt in interactive or default_prompts(original_hw):
            points, labels = prompt_tokens(prompt, original_hw, resized_hw)
            points, labels = points[None], labels[None]
            ref = torch_interactive(modules, tuple(ref_image[n] for n in image_names), points, labels)
            per_graph = ort_interactive(pkg, ref_image, points, labels, sparse=ref["sparse_embeddings"])
            chain = ort_interactive(pkg, ort_image, points, labels)
            for key, name in (("sparse_embeddings", "sparse_embeddings"), ("masks", "masks (points)"),
                              ("iou_scores", "iou_scores (points)")):
                diffs[name] = max(diffs.get(name, 0.0), max_abs_diff(per_graph[key], ref[key]))
            for key in ("masks", "iou_scores"):
                name = f"{key} (points)"
                chain_diffs[name] = max(chain_diffs.get(name, 0.0), max_abs_diff(chain[key], ref[key]))
            compare_masks(ref["masks"], chain["masks"], lambda x: mask_at_original(x, original_hw))
    return {"image": image_path, "original_hw": original_hw, "diffs": diffs, "chain_diffs": chain_diffs,
            "mask_iou_min": min(ious), "mask_iou_mean": float(np.mean(ious)),
            "foreground_fraction": [min(fg), max(fg)]}


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b).max())
