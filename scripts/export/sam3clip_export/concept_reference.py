"""sam3-concept reference outputs made by transformers itself: Sam3Processor (built from the package's tokenizer
and image settings) on photos decoded as transformers users decode them, ``model(**inputs)`` and
``post_process_instance_segmentation``, for text prompts ("cases") and text + box exemplars ("boxCases"); the
tracker's cases come from concept_tracker_reference. Stored as one JSON file; masks as COCO uncompressed RLE."""

from __future__ import annotations

import os

import numpy as np
import torch
from .reference_index import read_reference_index, write_reference_index

THRESHOLD = 0.3
MASK_THRESHOLD = 0.5


def load_photo(path: str):
    """PIL decode as transformers users do it: EXIF orientation applied, RGB."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def concept_processor(package_dir: str, manifest: dict):
    """Sam3Processor with the package's tokenizer.json and a Sam3ImageProcessor at the package's size, mean, std."""
    from transformers import CLIPTokenizerFast, Sam3ImageProcessor, Sam3Processor

    S = manifest["image"]["size"]
    tokenizer = CLIPTokenizerFast(tokenizer_file=os.path.join(package_dir, manifest["files"]["tokenizer"]["path"]))
    if tokenizer.pad_token_id != manifest["tokenizer"]["padId"]:
        raise ValueError(f"the tokenizer pads with {tokenizer.pad_token_id}, the manifest says {manifest['tokenizer']['padId']}")
    images = Sam3ImageProcessor(size={"height": S, "width": S}, image_mean=manifest["image"]["mean"],
                                image_std=manifest["image"]["std"])
    return Sam3Processor(image_processor=images, tokenizer=tokenizer)


def rle_encode(mask: np.ndarray) -> dict:
    """COCO uncompressed RLE: run lengths of the column-major (Fortran-order) pixels, the first run background."""
    flat = np.asarray(mask, dtype=bool).reshape(-1, order="F")
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], edges, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0] + counts
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": [int(c) for c in counts]}


def rle_decode(rle: dict) -> np.ndarray:
    h, w = rle["size"]
    values = np.zeros(len(rle["counts"]), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, rle["counts"])
    if flat.size != h * w:
        raise ValueError(f"RLE counts sum to {flat.size}, not {h}×{w}")
    return flat.reshape((h, w), order="F")


def transformers_outputs(model, processor, image_path: str, prompts: list[str]):
    """(processor inputs, Sam3Model outputs) for one image and a prompt batch (the image given once per prompt, as
    Sam3Model expects one image per text)."""
    photo = load_photo(image_path)
    inputs = processor(images=[photo] * len(prompts), text=prompts, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**inputs)
    return photo, inputs, outputs


def instance_cases(processor, inputs, out, photo, image_path: str, prompts: list) -> list[dict]:
    """One case per prompt of a Sam3Model batch: presence, every query's score, and the instances above THRESHOLD
    (transformers' post-processing at the original size). ``prompts`` is what each case stores as its prompt."""
    W, H = photo.size
    results = processor.post_process_instance_segmentation(out, threshold=THRESHOLD, mask_threshold=MASK_THRESHOLD,
                                                           target_sizes=[(H, W)] * len(prompts))
    presence = out.presence_logits.sigmoid()[:, 0]
    all_scores = out.pred_logits.sigmoid() * out.presence_logits.sigmoid()
    cases = []
    for b, (prompt, r) in enumerate(zip(prompts, results)):
        kept = torch.nonzero(all_scores[b] > THRESHOLD).flatten().tolist()  # post-processing keeps query order
        if len(kept) != len(r["scores"]) or not torch.equal(all_scores[b][kept], r["scores"]):
            raise AssertionError(f"{image_path} {prompt!r}: kept queries do not match the post-processing")
        valid = inputs["attention_mask"][b].bool()
        cases.append({
            "image": os.path.basename(image_path), "width": W, "height": H, "prompt": prompt,
            "tokenIds": inputs["input_ids"][b][valid].tolist(),
            "presence": float(presence[b]),
            "scores": [float(s) for s in all_scores[b]],
            "instances": [
                {"query": q, "score": float(s), "box": [float(v) for v in box], "mask": rle_encode(mask.numpy())}
                for q, s, box, mask in zip(kept, r["scores"], r["boxes"], r["masks"])
            ],
        })
    return cases


def compute_concept_reference(model, processor, images: list[str], prompts: list[str], about: str) -> dict:
    cases = []
    for image_path in images:
        photo, inputs, out = transformers_outputs(model, processor, image_path, prompts)
        cases += instance_cases(processor, inputs, out, photo, image_path, prompts)
    return {
        "about": about, "threshold": THRESHOLD, "maskThreshold": MASK_THRESHOLD,
        "score": "sigmoid(pred_logits) * sigmoid(presence_logits), every query",
        "box": "xyxy at the original size, as transformers gives it (not clipped)",
        "mask": "COCO uncompressed RLE at the original size: column-major, counts start with background",
        "cases": cases,
    }


def box_case(model, processor, image_path: str, text: str, boxes: list[list[float]], labels: list[int]) -> dict:
    """One text + box-exemplar prompt: ``Sam3Processor(images, text, input_boxes=[boxes],
    input_boxes_labels=[labels])`` (boxes xyxy in original pixels, labels 1 positive / 0 negative), Sam3Model,
    post_process_instance_segmentation. The case also stores the processor's ``input_boxes`` (cxcywh on the 0–1
    scale: what detector_boxes takes)."""
    photo = load_photo(image_path)
    inputs = processor(images=photo, text=text, input_boxes=[boxes], input_boxes_labels=[labels], return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs)
    prompt = {"text": text, "boxes": [[float(v) for v in b] for b in boxes], "labels": [int(v) for v in labels]}
    (case,) = instance_cases(processor, inputs, out, photo, image_path, [prompt])
    case["inputBoxes"] = [[float(v) for v in b] for b in inputs["input_boxes"][0]]
    return case


def box_reference(model, processor, cases: list[tuple]) -> dict:
    """The index's box-exemplar part: ``cases`` are (image path, text, boxes, labels)."""
    return {
        "boxPrompt": "prompt.boxes: xyxy in original pixels; prompt.labels: 1 positive, 0 negative; inputBoxes: "
                     "Sam3Processor's input_boxes, (cx, cy, w, h) on the 0-1 scale of the image",
        "boxCases": [box_case(model, processor, *c) for c in cases],
    }


# Each reference folder's index, one format for all.
write_concept_reference = write_reference_index
read_concept_reference = read_reference_index
