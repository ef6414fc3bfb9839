"""Writes the trained model as a sam3clip model package through the export code's write_package,
so a trained package and an exported checkpoint are the same kind of artefact."""
from __future__ import annotations

from pathlib import Path

from .model import TextSegmenter, sam3_dims
from sam3clip_export.package_writer import write_package
from sam3clip_export.tokenizer import resolve_tokenizer  # noqa: F401  (re-exported for the CLI)
from sam3clip_export.prompt_encoder import PointPromptEncoder
from sam3clip_export.sam3_tracker import Sam3ImageEncoder, Sam3MaskDecoder


def export_package(model: TextSegmenter, out: Path, name: str, tokenizer_json: Path, family: str = "sam3",
                   weights: str = "fp32") -> list[Path]:
    model = model.cpu().float().eval()
    d = sam3_dims(model.tracker)
    c = model.text_dims
    manifest = write_package(
        str(out), name=name, family=family,
        # Fresh wrappers: the decoder wrapper snapshots the positional/no-mask embeddings when built.
        image_encoder=Sam3ImageEncoder(model.tracker), text_encoder=model.text_encoder,
        projection=model.projection, mask_decoder=Sam3MaskDecoder(model.tracker),
        prompt_encoder=PointPromptEncoder(model.tracker),  # the tracker's own points and boxes, beside the text
        image_size=d["image_size"], resize=d["resize"], mean=d["mean"], std=d["std"],
        embedding_channels=d["embedding_channels"], embedding_size=d["embedding_size"],
        high_res_features=d["high_res_features"], text_embedding=c["text_embedding"],
        prompt_embedding=d["prompt_embedding"], prompt_tokens=model.projection.prompt_tokens,
        mask_size=d["mask_size"], candidates=d["candidates"], context_length=c["context_length"],
        pad_id=c["pad_id"], framing=c["framing"], attention_mask=c["attention_mask"],
        tokenizer_json_path=str(tokenizer_json), weights=weights, log=lambda *a: None,
    )
    return [Path(out) / f["path"] for f in manifest["files"].values()] + [Path(out) / "manifest.json"]
