"""Writes a model package: the family's ONNX graphs, manifest.json with SHA-256s and, with a text path,
tokenizer.json (docs/model-package.md). Each family describes its graphs as a list of GraphSpec and its manifest
fields as a dict."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field

import torch
from torch import nn

from .fp16 import convert_graph_to_fp16, store_weights_fp16

OPSET = 17
FORMAT = "sam3clip-model-package"


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


PROTOBUF_LIMIT = 2_000_000_000  # a single ONNX protobuf cannot exceed 2 GiB; leave some margin


def export_graph(module: nn.Module, args: tuple, path: str, inputs: list[str], outputs: list[str],
                 dynamic: dict[str, dict[int, str]], opset: int = OPSET,
                 output_shapes: dict[str, list] | None = None) -> None:
    """TorchScript-based export (dynamo=False): it keeps the dynamic batch axis symbolic without data-dependent
    shape guards, and its graphs parse in TensorRT. The file is then checked by onnx.checker.

    Graphs over the 2 GiB protobuf limit (SAM ViT-H in FP32) keep their weights in one external-data file
    ``<graph>.onnx.data`` beside the graph, which ONNX Runtime and TensorRT's parser read from the same folder.
    """
    import onnx

    module = module.eval()
    folder = os.path.dirname(os.path.abspath(path))
    data_path = path + ".data"
    if os.path.exists(data_path):
        os.remove(data_path)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as tmp:
        raw = os.path.join(tmp, "graph.onnx")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python-side shape arithmetic are expected
            torch.onnx.export(
                module, args, raw, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                opset_version=opset, do_constant_folding=True, dynamo=False,
            )
        total = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
        if total < PROTOBUF_LIMIT and len(os.listdir(tmp)) == 1:
            os.replace(raw, path)
        else:
            save_model(onnx.load(raw), path)
    if output_shapes:
        declare_output_dims(path, output_shapes)
    onnx.checker.check_model(path)
    check_inputs_used(path)


def check_inputs_used(path: str) -> None:
    """Every declared input must feed some node. An input the graph ignores is the mark of a trace that took a
    data-dependent shortcut on the tracing values (e.g. an attention mask dropped because the tracing batch had no
    padding): such a graph matches PyTorch on the tracing inputs only. (A partial shortcut, the mask still read
    somewhere, passes this check; only parity on other inputs catches it.)"""
    import onnx

    graph = onnx.load(path, load_external_data=False).graph
    consumed = {name for node in graph.node for name in node.input}
    consumed |= {name for node in graph.node for a in node.attribute if a.type == onnx.AttributeProto.GRAPH
                 for sub in [a.g] for n in sub.node for name in n.input}
    unused = [i.name for i in graph.input if i.name not in consumed]
    if unused:
        raise ValueError(f"{path}: the exported graph ignores its input(s) {', '.join(unused)}")


def declare_output_dims(path: str, shapes: dict[str, list]) -> None:
    """Writes known sizes into the graph's declared output shapes. The tracer leaves some output axes symbolic
    (named after the op that made them, e.g. "Einsumpred_masks_dim_2") when its shape inference loses track
    (Einsum, Gather); the sizes are fixed by the model, so declaring them keeps the graph's interface readable and
    static for TensorRT. ``shapes``: output name → sizes, an int per fixed axis, a str for a dynamic one."""
    import onnx

    model = onnx.load(path, load_external_data=False)  # external weights stay where they are
    for out in model.graph.output:
        if out.name not in shapes:
            continue
        dims = out.type.tensor_type.shape.dim
        want = shapes[out.name]
        if len(dims) != len(want):
            raise ValueError(f"{path}: output {out.name} has rank {len(dims)}, expected {len(want)}")
        for d, w in zip(dims, want):
            if isinstance(w, int):
                if d.HasField("dim_value") and d.dim_value != w:
                    raise ValueError(f"{path}: output {out.name} is declared {d.dim_value} where {w} is expected")
                d.dim_value = w
            else:
                d.dim_param = w
    onnx.save(model, path)


def save_model(model, path: str) -> None:
    """Saves a ModelProto, with its weights in ``<path>.data`` when it would not fit one protobuf."""
    import onnx

    size = sum(len(t.raw_data) for t in model.graph.initializer)
    if size < PROTOBUF_LIMIT:
        onnx.save(model, path)
    else:
        onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=os.path.basename(path) + ".data", size_threshold=1024)


def check_loads(path: str) -> None:
    import onnxruntime as ort

    ort.InferenceSession(path, providers=["CPUExecutionProvider"])


@dataclass
class GraphSpec:
    """One graph of a package: the module, the example inputs it is traced with, its I/O names and dynamic axes."""

    key: str
    module: nn.Module
    args: tuple
    inputs: list[str]
    outputs: list[str]
    dynamic: dict[str, dict[int, str]] = field(default_factory=dict)
    output_shapes: dict[str, list] | None = None  # sizes to declare on the outputs (see declare_output_dims)


def tracker_graphs(image_encoder: nn.Module, mask_decoder: nn.Module, *, text_encoder: nn.Module | None = None,
                   projection: nn.Module | None = None, prompt_encoder: nn.Module | None = None, image_size: int,
                   embedding_channels: int, embedding_size, high_res_features: bool, prompt_embedding: int,
                   text_embedding: int | None = None, prompt_tokens: int | None = None,
                   context_length: int | None = None, pad_id: int | None = None, attention_mask: bool = False,
                   framing: str = "clip", **_) -> list[GraphSpec]:
    """The graphs of the tracker families (sam3, sam2, sam): image encoder and mask decoder always; the text path
    (text encoder, projection) when ``text_encoder`` is given; the interactive path's prompt encoder when
    ``prompt_encoder`` is. Listed in the manifest in this order."""
    from .prompt_encoder import prompt_encoder_example

    h, w = embedding_size
    S = image_size
    pixel = torch.zeros(1, 3, S, S)
    feats = [torch.zeros(1, embedding_channels, h, w)]
    feat_names = ["image_embeddings"]
    if high_res_features:
        feats += [torch.zeros(1, 32, 4 * h, 4 * w), torch.zeros(1, 64, 2 * h, 2 * w)]
        feat_names += ["high_res_feats_0", "high_res_feats_1"]
    B = {0: "B"}
    graphs = [GraphSpec("image_encoder", image_encoder, (pixel,), ["pixel_values"], feat_names)]
    if text_encoder is not None:
        ids = torch.full((2, context_length), pad_id, dtype=torch.int64)
        ids[:, 0] = 49406 if framing == "clip" else 101  # BOS / [CLS]: an id inside the tower's vocabulary
        text = torch.zeros(2, text_embedding)
        # A bidirectional tower (Chinese-CLIP's BERT) reads the mask; CLIP's causal one does not need it.
        mask = (torch.ones_like(ids),) if attention_mask else ()
        text_inputs = ["input_ids"] + (["attention_mask"] if attention_mask else [])
        graphs += [
            GraphSpec("text_encoder", text_encoder, (ids, *mask), text_inputs, ["text_embeds"],
                      {**{k: B for k in text_inputs}, "text_embeds": B}),
            GraphSpec("text_projection", projection, (text,), ["text_embeds"], ["prompt_embeds"],
                      {"text_embeds": B, "prompt_embeds": B}),
        ]
    if prompt_encoder is not None:
        tokens = {0: "B", 1: "n"}
        graphs.append(GraphSpec("prompt_encoder", prompt_encoder, prompt_encoder_example(S),
                                ["input_points", "input_labels"], ["sparse_embeddings"],
                                {"input_points": tokens, "input_labels": tokens, "sparse_embeddings": tokens},
                                {"sparse_embeddings": ["B", "n", prompt_embedding]}))
    # N is a dynamic axis: the text tokens, the interactive path's point tokens or both; any count traces alike.
    prompts = torch.zeros(2, prompt_tokens or 2, prompt_embedding)
    graphs.append(GraphSpec("mask_decoder", mask_decoder, (*feats, prompts), feat_names + ["prompt_embeds"],
                            ["masks", "iou_scores"], {"prompt_embeds": {0: "B", 1: "N"}, "masks": B, "iou_scores": B}))
    return graphs


def tracker_manifest_fields(*, image_size: int, resize: str, mean, std, embedding_channels: int, embedding_size,
                            high_res_features: bool, prompt_embedding: int, mask_size: int, candidates: int,
                            text_path: bool = True, text_embedding: int | None = None,
                            prompt_tokens: int | None = None, context_length: int | None = None,
                            pad_id: int | None = None, lowercase: bool = True, framing: str = "clip",
                            attention_mask: bool = False, **_) -> dict:
    """The tracker families' manifest fields between precision and files (docs/model-package.md). Without the text
    path there is no tokenizer and no text dims (dims.textEmbedding, dims.promptTokens)."""
    h, w = embedding_size
    dims = {"embeddingChannels": embedding_channels, "embeddingSize": [h, w], "highResFeatures": high_res_features}
    if text_path:
        dims.update(textEmbedding=text_embedding, promptEmbedding=prompt_embedding, promptTokens=prompt_tokens)
    else:
        dims["promptEmbedding"] = prompt_embedding
    return {
        "image": {"size": image_size, "resize": resize, "mean": list(mean), "std": list(std)},
        **({"tokenizer": tokenizer_fields(context_length, pad_id, lowercase, framing, attention_mask)}
           if text_path else {}),
        "dims": dims,
        "mask": {"size": mask_size, "candidates": candidates},
    }


def tokenizer_fields(context_length: int, pad_id: int, lowercase: bool, framing: str, attention_mask: bool) -> dict:
    """manifest.tokenizer. "clip" framing is the default and is left out (packages written before the field read
    the same); "bert" packages lowercase inside tokenizer.json (BertNormalizer), so the library does not."""
    if framing == "clip":
        return {"contextLength": context_length, "padId": pad_id, "lowercase": lowercase,
                "attentionMask": attention_mask}
    return {"contextLength": context_length, "padId": pad_id, "lowercase": False, "attentionMask": attention_mask,
            "framing": framing}


def write_package(out_dir: str, *, name: str, family: str, image_encoder: nn.Module, mask_decoder: nn.Module,
                  text_encoder: nn.Module | None = None, projection: nn.Module | None = None,
                  prompt_encoder: nn.Module | None = None, tokenizer_json_path: str | None = None,
                  image_tower: nn.Module | None = None, image_tower_spec: dict | None = None,
                  precision: str = "fp32", weights: str | None = None, lowercase: bool = True, opset: int = OPSET,
                  log=print, **dims) -> dict:
    """A tracker-family package: image encoder and mask decoder; the text path (text encoder, projection,
    tokenizer.json) when ``text_encoder`` is given; the interactive path when ``prompt_encoder`` is. ``dims`` are
    the shape arguments of tracker_graphs and tracker_manifest_fields. Returns the manifest."""
    text_path = text_encoder is not None
    if text_path != (projection is not None) or text_path != (tokenizer_json_path is not None):
        raise ValueError("the text path needs all of text_encoder, projection and tokenizer_json_path, or none")
    if not text_path and prompt_encoder is None:
        raise ValueError("a package needs the text path, the interactive path (prompt_encoder) or both")
    graphs = tracker_graphs(image_encoder, mask_decoder, text_encoder=text_encoder, projection=projection,
                            prompt_encoder=prompt_encoder, **dims)
    fields = tracker_manifest_fields(text_path=text_path, lowercase=lowercase, **dims)
    if image_tower is not None:  # prompt suggestions: CLIP's image embedding, compared with text_embeds
        T = image_tower_spec["size"]
        graphs.append(GraphSpec("image_tower", image_tower, (torch.zeros(1, 3, T, T),), ["pixel_values"],
                                ["image_embeds"]))
        fields["imageTower"] = {k: image_tower_spec[k] for k in ("size", "resize", "mean", "std")}
    return write_graph_package(out_dir, name=name, family=family, graphs=graphs, fields=fields,
                               tokenizer_json_path=tokenizer_json_path, precision=precision, weights=weights,
                               opset=opset, log=log)


def write_graph_package(out_dir: str, *, name: str, family: str, graphs: list[GraphSpec], fields: dict,
                        tokenizer_json_path: str | None = None, precision: str = "fp32",
                        weights: str | None = None, opset: int = OPSET, log=print) -> dict:
    """Exports ``graphs`` into out_dir (created; existing graph files are replaced), copies tokenizer.json (when
    given: a package without a text path has none) and writes manifest.json: the common fields, then the family's
    ``fields`` (image, tokenizer, dims, mask, ...), then files.

    precision: what the graphs compute in. weights="fp16" with precision="fp32" stores the weights as float16
    (half the size on disk) while the graphs still compute in float32 (see store_weights_fp16).
    """
    if precision not in ("fp32", "fp16"):
        raise ValueError(f"precision must be fp32 or fp16, not {precision!r}")
    weights = weights or precision
    if weights not in ("fp32", "fp16") or (precision == "fp16" and weights != "fp16"):
        raise ValueError(f"weights must be fp32 or fp16 (fp16 for an fp16 graph), not {weights!r}")
    if tokenizer_json_path is not None and not os.path.isfile(tokenizer_json_path):
        raise FileNotFoundError(f"tokenizer.json not found: {tokenizer_json_path}")
    os.makedirs(out_dir, exist_ok=True)
    convert = convert_graph_to_fp16 if precision == "fp16" else store_weights_fp16 if weights == "fp16" else None
    files = {}
    for g in graphs:
        path = os.path.join(out_dir, f"{g.key}.onnx")
        log(f"exporting {g.key} ...")
        if convert is not None:  # export in FP32 beside the package, then convert into place
            with tempfile.TemporaryDirectory(dir=out_dir, prefix=".fp32-") as tmp:
                fp32_path = os.path.join(tmp, f"{g.key}.onnx")
                export_graph(g.module, g.args, fp32_path, g.inputs, g.outputs, g.dynamic, opset, g.output_shapes)
                convert(fp32_path, path)
        else:
            export_graph(g.module, g.args, path, g.inputs, g.outputs, g.dynamic, opset, g.output_shapes)
        check_loads(path)
        files[g.key] = {"path": f"{g.key}.onnx", "sha256": sha256_file(path)}
        log(f"  {g.key}.onnx {os.path.getsize(path) / 1e6:.1f} MB")
    if tokenizer_json_path is not None:
        tok_path = os.path.join(out_dir, "tokenizer.json")
        if os.path.abspath(tokenizer_json_path) != os.path.abspath(tok_path):
            shutil.copyfile(tokenizer_json_path, tok_path)
        files["tokenizer"] = {"path": "tokenizer.json", "sha256": sha256_file(tok_path)}
    manifest = {
        "format": FORMAT,
        "formatVersion": 1,
        "name": name,
        "family": family,
        "precision": precision,
        # Stored precision of the weights, written only when it differs from the compute precision.
        **({"weights": weights} if weights != precision else {}),
        **fields,
        "files": files,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return manifest
