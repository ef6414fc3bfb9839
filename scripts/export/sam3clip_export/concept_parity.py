"""sam3-concept: the package's graphs under ONNX Runtime next to the PyTorch modules they came from, on inputs made
the way the library makes them (its image decoder and tokenizer, through node on dist/; box and point coordinates
by the transforms docs/model-package.md gives)."""

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
TRACKER_FEATURES = ["image_embeddings", "high_res_feats_0", "high_res_feats_1"]


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
        feats = modules.image_encoder(torch.from_numpy(pixels))[: len(FPN)]
        text = modules.text_encoder(torch.from_numpy(ids), torch.from_numpy(mask))
        det = modules.detector(*feats, text, torch.from_numpy(mask))
    out = dict(zip(FPN, feats), text_features=text, **dict(zip(DETECTOR_OUTPUTS, det)))
    return {k: v.numpy() for k, v in out.items()}


def ort_image(pkg: OrtPackage, pixels: np.ndarray) -> dict[str, np.ndarray]:
    """image_encoder's outputs by name (the FPN levels, and the tracker's features where the package has them)."""
    return dict(zip(pkg.output_names("image_encoder"), pkg.run("image_encoder", {"pixel_values": pixels})))


def ort_concept(pkg: OrtPackage, pixels: np.ndarray, ids: np.ndarray, mask: np.ndarray,
                reference: dict | None = None, image_outputs: dict | None = None) -> dict[str, np.ndarray]:
    """The ONNX chain. With ``reference`` each graph gets the PyTorch inputs instead (per-graph comparison);
    ``image_outputs`` reuses an earlier image_encoder run."""
    src = reference or {}
    if image_outputs is None:
        image_outputs = ort_image(pkg, pixels)
    out = {n: image_outputs[n] for n in FPN}
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


def library_boxes(boxes, original_hw) -> np.ndarray:
    """Original-pixel [x0, y0, x1, y1] boxes → detector_boxes' input_boxes [1, nb, 4], in float32 as Sam3Processor
    computes them: each corner over the image's width / height, then (cx, cy, w, h) = ((x0 + x1) / 2,
    (y0 + y1) / 2, x1 − x0, y1 − y0)."""
    h, w = original_hw
    b = np.asarray(boxes, dtype=np.float32).reshape(-1, 4) / np.array([w, h, w, h], dtype=np.float32)
    x0, y0, x1, y1 = b.T
    two = np.float32(2)
    return np.stack([(x0 + x1) / two, (y0 + y1) / two, x1 - x0, y1 - y0], axis=-1)[None].astype(np.float32)


def library_prompt_tokens(points, labels, box, original_hw, size: int) -> tuple[np.ndarray, np.ndarray]:
    """prompt_encoder's input_points [1, n, 2] and input_labels [1, n] for one prompt, as the library builds them:
    the points, a box's two corners (labels 2 and 3), one padding token (0, 0) with label −1; x scaled by S / W and
    y by S / H in float32 (Sam3TrackerProcessor's ``coords * (S / W)``)."""
    h, w = original_hw
    xy = [list(p) for p in points] + ([[box[0], box[1]], [box[2], box[3]]] if box is not None else [])
    scale = np.array([np.float32(size / w), np.float32(size / h)], dtype=np.float32)
    pts = np.asarray(xy, dtype=np.float32).reshape(-1, 2) * scale
    pts = np.concatenate([pts, np.zeros((1, 2), np.float32)])
    lab = list(labels) + ([2, 3] if box is not None else []) + [-1]
    return pts[None], np.asarray([lab], dtype=np.int64)


def compare_boxes(modules, pkg: OrtPackage, image_path: str, text: str, boxes, labels) -> dict:
    """detector_boxes under ONNX Runtime (fed by the package's image and text encoders) against the PyTorch modules,
    for one text + box-exemplar prompt: max |diff| per output, and whether the same queries pass 0.3."""
    original_hw, pixels, ids, mask = library_inputs(pkg.manifest, pkg.dir, image_path, [text])
    input_boxes, box_labels = library_boxes(boxes, original_hw), np.asarray([labels], dtype=np.int64)
    with torch.no_grad():
        feats = modules.image_encoder(torch.from_numpy(pixels))[: len(FPN)]
        text_features = modules.text_encoder(torch.from_numpy(ids), torch.from_numpy(mask))
        want = modules.detector_boxes(*feats, text_features, torch.from_numpy(mask), torch.from_numpy(input_boxes),
                                      torch.from_numpy(box_labels))
    want = {k: v.numpy() for k, v in zip(DETECTOR_OUTPUTS, want)}
    image = ort_image(pkg, pixels)
    feed = {n: image[n] for n in FPN}
    feed["text_features"] = pkg.run("text_encoder", {"input_ids": ids, "attention_mask": mask})[0]
    feed.update(attention_mask=mask, input_boxes=input_boxes, input_boxes_labels=box_labels)
    got = dict(zip(DETECTOR_OUTPUTS, pkg.run("detector_boxes", feed)))
    return {"diffs": {k: max_diff(got[k], want[k]) for k in DETECTOR_OUTPUTS},
            "same_kept": bool(np.array_equal(scores(got) > 0.3, scores(want) > 0.3))}


def compare_tracker(modules, pkg: OrtPackage, image_path: str, points, labels, box) -> dict:
    """image_encoder's tracker features → prompt_encoder → mask_decoder under ONNX Runtime against the PyTorch
    modules, for one point / box + point prompt: max |diff| per tensor."""
    S = pkg.manifest["image"]["size"]
    original_hw, _, rgb = library_rgb(image_path, S, pkg.manifest["image"]["resize"])
    pixels = normalize(rgb, S, pkg.manifest["image"]["mean"], pkg.manifest["image"]["std"])
    input_points, input_labels = library_prompt_tokens(points, labels, box, original_hw, S)
    with torch.no_grad():
        feats = modules.image_encoder(torch.from_numpy(pixels))[len(FPN):]
        sparse = modules.prompt_encoder(torch.from_numpy(input_points), torch.from_numpy(input_labels))
        masks, iou = modules.mask_decoder(*feats, sparse)
    want = dict(zip(TRACKER_FEATURES, feats), sparse_embeddings=sparse, masks=masks, iou_scores=iou)
    want = {k: v.numpy() for k, v in want.items()}
    got = {n: v for n, v in ort_image(pkg, pixels).items() if n in TRACKER_FEATURES}
    got["sparse_embeddings"] = pkg.run("prompt_encoder", {"input_points": input_points,
                                                          "input_labels": input_labels})[0]
    got["masks"], got["iou_scores"] = pkg.run("mask_decoder", {**{n: got[n] for n in TRACKER_FEATURES},
                                                               "prompt_embeds": got["sparse_embeddings"]})
    return {"diffs": {k: max_diff(got[k], want[k]) for k in want}}
