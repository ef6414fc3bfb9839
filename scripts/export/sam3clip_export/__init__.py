"""Export of sam3clip model packages (ONNX graphs + manifest + CLIP tokenizer) from PyTorch checkpoints."""
