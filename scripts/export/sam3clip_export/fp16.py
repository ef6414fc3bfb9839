"""FP16 conversion of an exported FP32 graph.

TensorRT 11 builds FP16 engines only from FP16 graphs (strongly typed networks), so the weights and most ops
become float16 while the numerically fragile ops stay float32: LayerNorm (variance of large activations),
Softmax (exp overflow) and reductions. Inputs and outputs stay float32 because the library feeds float32.
"""

from __future__ import annotations

KEEP_FP32 = [
    "LayerNormalization", "Softmax", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
    "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "Pow", "Sqrt", "ArgMax", "CumSum", "Range",
    "Sin", "Cos", "Erf",
]


def convert_graph_to_fp16(src: str, dst: str) -> None:
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    # The converter's own shape inference serializes the model in memory, which fails past 2 GB (SAM ViT-H);
    # inferring on the file handles external data, and the converter then uses the inferred value types.
    inferred = src + ".shapes.onnx"
    onnx.shape_inference.infer_shapes_path(src, inferred)
    model = onnx.load(inferred)
    fp16 = convert_float_to_float16(model, keep_io_types=True, op_block_list=KEEP_FP32, disable_shape_infer=True)
    toposort(fp16.graph)
    from .package_writer import save_model

    save_model(fp16, dst)
    onnx.checker.check_model(dst)


def toposort(graph) -> None:
    """Reorders nodes so each comes after its inputs' producers (the converter appends its input casts last)."""
    produced = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    pending = list(graph.node)
    ordered = []
    while pending:
        rest = []
        for node in pending:
            if all(name in produced for name in node.input):
                ordered.append(node)
                produced.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            raise ValueError(f"graph has a cycle or a missing input near node {rest[0].name}")
        pending = rest
    del graph.node[:]
    graph.node.extend(ordered)


def store_weights_fp16(src: str, dst: str, min_elements: int = 64) -> int:
    """Halves a graph on disk without changing what it computes in: every float32 weight with at least
    ``min_elements`` values is stored as float16 and cast back to float32 by a Cast node at the graph's
    start. ONNX Runtime folds those casts into float32 constants when the session loads, so inference runs
    in float32 at the same speed; only the weights are rounded to float16. Weights float16 cannot hold
    (overflow) stay float32. Returns the number of weights converted.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(src)
    graph = model.graph
    casts, converted = [], 0
    for i, init in enumerate(graph.initializer):
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < min_elements:
            continue
        values = numpy_helper.to_array(init)
        half = values.astype(np.float16)
        if not np.isfinite(half).all():
            continue
        name = init.name
        graph.initializer[i].CopyFrom(numpy_helper.from_array(half, f"{name}__fp16"))
        casts.append(helper.make_node("Cast", [f"{name}__fp16"], [name], to=TensorProto.FLOAT, name=f"{name}__to_fp32"))
        converted += 1
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    from .package_writer import save_model

    save_model(model, dst)
    onnx.checker.check_model(dst)
    return converted
