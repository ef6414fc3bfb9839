"""Box exemplars of the sam3-concept detector: Sam3Model's geometry encoder made traceable for any prompt batch.

transformers pools each box's features with ``torchvision.ops.roi_align(features, boxes.unbind(0), …)``: the
per-image list form, which a trace unrolls into as many pieces as the tracing batch had prompts, freezing the
detector_boxes graph to that batch size. ``batched_box_pooling`` swaps in the same encoding with roi_align's
tensor form (one [K,5] tensor: image index then x0 y0 x1 y1), which torchvision converts to its list form
internally anyway and which exports as one ONNX RoiAlign with a dynamic K. Everything else is transformers' code
path (tests/test_concept_package.py checks detector_boxes against ``Sam3Model(…, input_boxes=…)``).
"""

from __future__ import annotations

import contextlib
import types

import torch


def _encode_boxes(self, boxes, boxes_mask, boxes_labels, vision_features):
    """Sam3GeometryEncoder._encode_boxes (transformers 5.24) with the ROI pooling on one tensor of boxes."""
    import torchvision
    from transformers.models.sam3.modeling_sam3 import box_cxcywh_to_xyxy

    batch_size, num_boxes = boxes.shape[:2]
    height, width = vision_features.shape[-2:]
    boxes_embed = self.boxes_direct_project(boxes)

    # cxcywh on the 0–1 scale → xyxy in feature cells, each box tagged with its prompt's index
    scale = torch.tensor([width, height, width, height], dtype=boxes.dtype, device=boxes.device).view(1, 1, 4)
    boxes_xyxy = box_cxcywh_to_xyxy(boxes) * scale
    index = torch.arange(batch_size, device=boxes.device, dtype=boxes.dtype)[:, None].expand(batch_size, num_boxes)
    rois = torch.cat([index.reshape(-1, 1), boxes_xyxy.reshape(-1, 4)], dim=1)
    sampled_features = torchvision.ops.roi_align(vision_features, rois, self.roi_size)

    pooled_projection = self.boxes_pool_project(sampled_features)
    pooled_projection = pooled_projection.view(batch_size, num_boxes, self.hidden_size)
    boxes_embed = boxes_embed + pooled_projection

    center_x, center_y, box_width, box_height = boxes.unbind(-1)
    pos_enc = self._encode_box_coordinates(center_x.flatten(), center_y.flatten(), box_width.flatten(),
                                           box_height.flatten())
    pos_enc = pos_enc.view(batch_size, num_boxes, pos_enc.shape[-1])
    boxes_embed = boxes_embed + self.boxes_pos_enc_project(pos_enc)

    label_embed = self.label_embed(boxes_labels.long())
    return label_embed + boxes_embed, boxes_mask


@contextlib.contextmanager
def batched_box_pooling(model):
    """Within it, ``model.geometry_encoder`` (a Sam3Model's) pools box features with one roi_align over all
    prompts' boxes."""
    encoder = model.geometry_encoder
    encoder._encode_boxes = types.MethodType(_encode_boxes, encoder)
    try:
        yield
    finally:
        del encoder._encode_boxes  # back to the class's own method
