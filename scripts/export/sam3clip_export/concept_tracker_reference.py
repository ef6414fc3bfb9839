"""Reference outputs of a sam3-concept package's tracker path made by transformers itself: Sam3TrackerProcessor
(the package's image settings) on photos, ``Sam3TrackerModel(…, multimask_output=True)`` and
``post_process_masks``, for point and box + point prompts. Part of the concept reference.json ("trackerCases")."""

from __future__ import annotations

import os

import torch

from .concept_reference import load_photo, rle_encode


def tracker_processor(manifest: dict):
    """Sam3TrackerProcessor around a Sam3ImageProcessor at the package's size, mean and std (the same pixels as
    the detector's: one image encoding feeds both)."""
    from transformers import Sam3ImageProcessor, Sam3TrackerProcessor

    S = manifest["image"]["size"]
    images = Sam3ImageProcessor(size={"height": S, "width": S}, image_mean=manifest["image"]["mean"],
                                image_std=manifest["image"]["std"])
    return Sam3TrackerProcessor(image_processor=images)


def check_forward_follows_the_official_rule(tracker) -> None:
    """The official image predictor adds the no-memory token to the 1× level (what the package's image_encoder
    does); Sam3TrackerModel.forward adds it to the neck's last level, which is the 1× level only when the neck has
    no ×0.5 level (the tiny build). With facebook/sam3's four-level neck its forward differs from the package."""
    levels = len(tracker.config.vision_config.scale_factors)
    if levels != len(tracker.backbone_feature_sizes):
        raise ValueError(f"the tracker's neck has {levels} levels: Sam3TrackerModel.forward would give the "
                         "no-memory token to the unused ×0.5 level, not the package's rule")


def prompt_tokens(inputs) -> dict:
    """The prompt encoder's tokens as the library builds them from the processor's (S-frame) coordinates: the
    points, a box's two corners (labels 2 and 3), then one padding token (label -1) at (0, 0)."""
    points, labels = [], []
    if inputs.get("input_points") is not None:
        points += inputs["input_points"][0, 0].tolist()
        labels += inputs["input_labels"][0, 0].tolist()
    if inputs.get("input_boxes") is not None:
        x0, y0, x1, y1 = inputs["input_boxes"][0, 0].tolist()
        points += [[x0, y0], [x1, y1]]
        labels += [2, 3]
    return {"points": points + [[0.0, 0.0]], "labels": labels + [-1]}


def tracker_case(tracker, processor, image_path: str, points: list, labels: list, box: list | None) -> dict:
    """One prompt: points [[x, y], …] with labels (1 positive, 0 negative) and an optional box [x0, y0, x1, y1],
    all in original pixels."""
    check_forward_follows_the_official_rule(tracker)
    photo = load_photo(image_path)
    W, H = photo.size
    kwargs = {}
    if points:
        kwargs.update(input_points=[[points]], input_labels=[[labels]])
    if box is not None:
        kwargs["input_boxes"] = [[box]]
    inputs = processor(images=photo, return_tensors="pt", **kwargs)
    with torch.no_grad():
        out = tracker(pixel_values=inputs["pixel_values"], input_points=inputs.get("input_points"),
                      input_labels=inputs.get("input_labels"), input_boxes=inputs.get("input_boxes"),
                      multimask_output=True)
    masks = processor.post_process_masks(out.pred_masks, inputs["original_sizes"])[0][0]  # [3, H, W] bool
    return {
        "image": os.path.basename(image_path), "width": W, "height": H,
        "prompt": {"points": [[float(v) for v in p] for p in points], "labels": [int(v) for v in labels],
                   "box": None if box is None else [float(v) for v in box]},
        "promptTokens": prompt_tokens(inputs),
        "iouScores": [float(v) for v in out.iou_scores[0, 0]],
        "candidates": [{"rle": rle_encode(m.numpy()), "foreground": float(m.float().mean())} for m in masks],
    }


def tracker_reference(tracker, processor, cases: list[tuple]) -> dict:
    """The index's tracker part: ``cases`` are (image path, points, labels, box or None)."""
    return {
        "trackerPrompt": "prompt: points [x, y] with labels 1 positive / 0 negative and an optional box [x0, y0, x1, "
                         "y1], original pixels; promptTokens: prompt_encoder's input_points (the S x S frame: "
                         "x * S / W, y * S / H) and input_labels, box corners labelled 2 and 3, one padding token -1",
        "trackerMasks": "every candidate of multimask_output: post_process_masks (bilinear m x m to H x W, > 0) as "
                        "COCO uncompressed RLE, column-major, counts start with background; iouScores in the same "
                        "order",
        "trackerCases": [tracker_case(tracker, processor, *c) for c in cases],
    }
