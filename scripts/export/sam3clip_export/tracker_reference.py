"""SAM3 tracker interactive-path references made by transformers itself: Sam3TrackerProcessor (points and boxes in
original pixels), Sam3TrackerModel's prompt encoder and mask decoder (multimask_output=True) and post_process_masks,
on photos decoded as transformers users decode them. One JSON file; masks as COCO uncompressed RLE.

The one departure from ``model(pixel_values=...)``: the image embeddings follow the official no-memory rule
(official_image_embeddings).
"""

from __future__ import annotations

import os

import torch

from .concept_reference import load_photo, rle_encode
from .reference_index import read_reference_index, write_reference_index



def official_image_embeddings(model, pixel_values: torch.Tensor) -> list[torch.Tensor]:
    """The tracker's image embeddings [feat_s0, feat_s1, embedding] with the no-memory token added to the 1× level.

    With no memory bank (a single image) SAM3 adds its learned ``no_memory_embedding`` to the image embedding the
    decoder attends to: the 1× FPN level, in the official facebookresearch/sam3 image predictor and in transformers'
    own Sam3TrackerVideoModel. ``Sam3TrackerModel.forward`` adds it to the last FPN level instead, which for SAM3's
    four-level neck is the 0.5× one that the tracker then drops, so there the token has no effect. The package
    follows the official rule (common.TrackerImageEncoder); passing these as ``image_embeddings=`` makes
    transformers' forward follow it too. For a neck of three levels both rules are the same.
    """
    out = model.get_image_features(pixel_values, return_dict=True)
    sizes = model.backbone_feature_sizes
    maps = list(out.fpn_hidden_states)[: len(sizes)]  # each HW×B×C
    maps[-1] = maps[-1] + model.no_memory_embedding
    batch = pixel_values.shape[0]
    return [m.permute(1, 2, 0).reshape(batch, -1, int(s[0]), int(s[1])) for m, s in zip(maps, sizes)]


def processor_inputs(processor, photo, prompt: dict):
    """Sam3TrackerProcessor inputs for one image and one object: {points?, labels?, box?} in original pixels."""
    kwargs = {}
    if "points" in prompt:
        kwargs["input_points"] = [[prompt["points"]]]  # image → object → points → (x, y)
        kwargs["input_labels"] = [[prompt["labels"]]]
    if "box" in prompt:
        kwargs["input_boxes"] = [[prompt["box"]]]  # image → boxes → (x0, y0, x1, y1)
    return processor(images=photo, return_tensors="pt", **kwargs)


def tracker_outputs(model, processor, photo, prompt: dict, official: bool = True):
    """(processor inputs, Sam3TrackerModel outputs with multimask_output=True); ``official``: the image embeddings
    of official_image_embeddings, else transformers' own forward from pixel_values."""
    inputs = processor_inputs(processor, photo, prompt)
    prompts = {k: inputs[k] for k in ("input_points", "input_labels", "input_boxes") if k in inputs}
    with torch.no_grad():
        if official:
            outputs = model(image_embeddings=official_image_embeddings(model, inputs["pixel_values"]),
                            multimask_output=True, **prompts)
        else:
            outputs = model(pixel_values=inputs["pixel_values"], multimask_output=True, **prompts)
    return inputs, outputs


def processor_tokens(inputs) -> dict:
    """The prompt encoder's tokens by the library's rule (interactive_prompts.py) from the processor's own S-frame
    coordinates: the points, a box's two corners (labels 2 and 3), one padding token (label -1) at (0, 0)."""
    points, labels = [], []
    if "input_points" in inputs:
        points += inputs["input_points"][0, 0].tolist()
        labels += inputs["input_labels"][0, 0].tolist()
    if "input_boxes" in inputs:
        x0, y0, x1, y1 = inputs["input_boxes"][0, 0].tolist()
        points += [[x0, y0], [x1, y1]]
        labels += [2, 3]
    return {"points": points + [[0.0, 0.0]], "labels": labels + [-1]}


def compute_tracker_reference(model, processor, image_dir: str, cases: list[dict], about: str) -> dict:
    """``cases``: {name, image (file in image_dir), prompt}. Each gets its prompt tokens, its IoU scores and its
    candidates' masks at the original size (post_process_masks, > 0) with their foreground fractions."""
    out_cases = []
    for case in cases:
        photo = load_photo(os.path.join(image_dir, case["image"]))
        inputs, out = tracker_outputs(model, processor, photo, case["prompt"])
        masks = processor.post_process_masks(out.pred_masks, inputs["original_sizes"])[0][0]  # [3,H,W] bool
        W, H = photo.size
        out_cases.append({
            "name": case["name"], "image": case["image"], "width": W, "height": H, "prompt": case["prompt"],
            "promptTokens": processor_tokens(inputs),
            "iouScores": [float(v) for v in out.iou_scores[0, 0]],
            "candidates": [{"rle": rle_encode(m.numpy()), "foreground": float(m.float().mean())} for m in masks],
        })
    return {
        "about": about,
        "prompt": "points [[x, y], ...] with labels (1 positive, 0 negative) and/or box [x0, y0, x1, y1], in "
                  "original-image pixels",
        "promptTokens": "prompt_encoder's input_points (the processor's S x S frame coordinates) and input_labels "
                        "by the library's rule: points, box corners (labels 2, 3), one pad (-1) at (0, 0)",
        "iouScores": "the 3 candidates' predicted IoU, Sam3TrackerModel(..., multimask_output=True)",
        "rle": "post_process_masks: the 3 candidates' low-res logits bilinear (align_corners=False) straight to the "
                "original size, > 0; COCO uncompressed RLE: column-major, counts start with background",
        "noMemoryEmbedding": "added to the 1x FPN level (the official SAM3 rule; transformers' Sam3TrackerModel "
                             "forward adds it to the dropped 0.5x level): image_embeddings passed in",
        "cases": out_cases,
    }


# Each reference folder's index, one format for all.
write_tracker_reference = write_reference_index
read_tracker_reference = read_reference_index
