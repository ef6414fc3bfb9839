"""sam3-concept: the package's three graphs under ONNX Runtime next to the PyTorch modules they came from, on
inputs made the way the library makes them (its image decoder and tokenizer, through node on dist/)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import torch

from .parity import OrtPackage
from .preprocess import library_rgb, mask_iou, normalize
from .prompts import batch_ids_and_mask

FPN = ["fpn_feats_0", "fpn_feats_1", "fpn_feats_2"]
DETECTOR_OUTPUTS = ["pred_logits", "pred_boxes", "pred_masks", "presence_logits"]


def library_inputs(manifest: dict, package_dir: str, image_path: str, prompts: list[str]):
    """(original (h, w), pixel_values [1,3,S,S], input_ids [B,L], attention_mask [B,L]) as the library feeds them."""
    S = manifest["image"]["size"]
    original_hw, _, rgb = library_rgb(image_path, S, manifest["image"]["resize"])
    pixels = normalize(rgb, S, manifest["image"]["mean"], manifest["image"]["std"])
    tok = manifest["tokenizer"]
    ids, mask = batch_ids_and_mask(os.path.join(package_dir, manifest["files"]["tokenizer"]["path"]), prompts,
                                   tok["contextLength"], tok["padId"])
    return original_hw, pixels, ids, mask


def torch_concept(modules, pixels: np.ndarray, ids: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Every graph's outputs from the PyTorch modules (ConceptModules)."""
    with torch.no_grad():
        feats = modules.image_encoder(torch.from_numpy(pixels))
        text = modules.text_encoder(torch.from_numpy(ids), torch.from_numpy(mask))
        det = modules.detector(*feats, text, torch.from_numpy(mask))
    out = dict(zip(FPN, feats), text_features=text, **dict(zip(DETECTOR_OUTPUTS, det)))
    return {k: v.numpy() for k, v in out.items()}


def ort_concept(pkg: OrtPackage, pixels: np.ndarray, ids: np.ndarray, mask: np.ndarray,
                reference: dict | None = None, image_outputs: dict | None = None) -> dict[str, np.ndarray]:
    """The ONNX chain. With ``reference`` each graph gets the PyTorch inputs instead (per-graph comparison);
    ``image_outputs`` reuses an earlier image_encoder run."""
    src = reference or {}
    if image_outputs is None:
        image_outputs = dict(zip(FPN, pkg.run("image_encoder", {"pixel_values": pixels})))
    out = dict(image_outputs)
    out["text_features"] = pkg.run("text_encoder", {"input_ids": ids, "attention_mask": mask})[0]
    feed = {n: src.get(n, out[n]) for n in FPN + ["text_features"]}
    feed["attention_mask"] = mask
    out.update(zip(DETECTOR_OUTPUTS, pkg.run("detector", feed)))
    return out


def scores(out: dict) -> np.ndarray:
    """Every query's instance score σ(pred_logits)·σ(presence_logits), [B,Q]."""
    sig = lambda x: 1 / (1 + np.exp(-x.astype(np.float64)))  # noqa: E731
    return sig(out["pred_logits"]) * sig(out["presence_logits"])


def instances(out: dict, original_hw, threshold: float = 0.3, mask_threshold: float = 0.5) -> list[dict]:
    """transformers' own post-processing (Sam3ImageProcessor.post_process_instance_segmentation) of detector
    outputs, one dict (scores, boxes, masks) per prompt."""
    from transformers import Sam3ImageProcessor

    t = SimpleNamespace(**{k: torch.from_numpy(np.ascontiguousarray(out[k])) for k in DETECTOR_OUTPUTS})
    return Sam3ImageProcessor().post_process_instance_segmentation(
        t, threshold=threshold, mask_threshold=mask_threshold, target_sizes=[tuple(original_hw)] * len(t.pred_logits))


def max_diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(max |a − b|, that over max |b|)."""
    d = float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max())
    return d, d / max(float(np.abs(b).max()), 1e-30)


def compare_concept(modules, pkg: OrtPackage, image_path: str, prompts: list[str], threshold: float = 0.3) -> dict:
    """Per-graph and end-to-end differences between ONNX Runtime and PyTorch on one image and a prompt batch, and
    the agreement of the post-processed instances (same queries kept, mask IoU at the original size)."""
    original_hw, pixels, ids, mask = library_inputs(pkg.manifest, pkg.dir, image_path, prompts)
    ref = torch_concept(modules, pixels, ids, mask)
    per_graph = ort_concept(pkg, pixels, ids, mask, reference=ref)
    chain = ort_concept(pkg, pixels, ids, mask, image_outputs={n: per_graph[n] for n in FPN})
    ref_scores, chain_scores = scores(ref), scores(chain)
    a, b = instances(ref, original_hw, threshold), instances(chain, original_hw, threshold)
    same_kept = all(np.array_equal(ref_scores[i] > threshold, chain_scores[i] > threshold) for i in range(len(prompts)))
    ious = [mask_iou(x.numpy().astype(bool), y.numpy().astype(bool))
            for ra, rb in zip(a, b) if len(ra["masks"]) == len(rb["masks"]) for x, y in zip(ra["masks"], rb["masks"])]
    return {
        "image": image_path, "original_hw": original_hw, "prompts": len(prompts),
        "diffs": {k: max_diff(per_graph[k], ref[k]) for k in ref},
        "chain_diffs": {k: max_diff(chain[k], ref[k]) for k in DETECTOR_OUTPUTS},
        "score_diff": float(np.abs(chain_scores - ref_scores).max()),
        "presence": [float(v) for v in 1 / (1 + np.exp(-ref["presence_logits"][:, 0]))],
        "kept": [int((s > threshold).sum()) for s in ref_scores], "same_kept": same_kept,
        "mask_iou_min": min(ious) if ious else 1.0,
    }
