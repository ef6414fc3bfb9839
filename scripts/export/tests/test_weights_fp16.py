"""store_weights_fp16: half the bytes on disk, float32 compute, outputs within float16 weight rounding."""
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto

from sam3clip_export.fp16 import store_weights_fp16


def run(path, x):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


def test_weights_stored_fp16_compute_fp32(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.GELU(), torch.nn.Linear(256, 32))
    with torch.no_grad():
        net[2].bias[0] = 1e6  # beyond float16's range: this weight must stay float32
    src, dst = str(tmp_path / "fp32.onnx"), str(tmp_path / "w16.onnx")
    x = torch.randn(3, 64)
    torch.onnx.export(net, (x,), src, input_names=["x"], output_names=["y"], opset_version=17, dynamo=False)

    converted = store_weights_fp16(src, dst)

    assert converted == 3  # two weight matrices and the first bias; the overflowing bias is kept
    assert os.path.getsize(dst) < 0.55 * os.path.getsize(src)
    model = onnx.load(dst)
    assert [i.name for i in model.graph.input] == ["x"]
    assert model.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT
    kinds = {i.data_type for i in model.graph.initializer}
    assert kinds == {TensorProto.FLOAT16, TensorProto.FLOAT}
    a, b = run(src, x.numpy()), run(dst, x.numpy())
    assert b.dtype == np.float32
    assert np.isfinite(b).all() and abs(b[:, 0] - a[:, 0]).max() < 0.5  # the kept float32 bias is intact
    assert np.abs(a - b).max() < 5e-3 * np.abs(a[:, 1:]).max()
    assert np.abs(a - b).max() > 0  # the weights really were rounded
