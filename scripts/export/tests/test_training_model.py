"""The trainable segmenter: growing a tiny checkpoint into tiny-deep, and what each mode trains."""
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from training.model import TextSegmenter  # noqa: E402


def test_a_tiny_checkpoint_grows_into_tiny_deep_unchanged():
    tiny = TextSegmenter("tiny", "tiny", seed=5).eval()
    deep = TextSegmenter("tiny-deep", "tiny", seed=6).eval()
    pixels = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        before = deep.encode_images(pixels)
        assert deep.load_grown(tiny.state_dict()) == ["2", "3"]
        want, got = tiny.encode_images(pixels), deep.encode_images(pixels)
    for w, g, b in zip(want, got, before):
        torch.testing.assert_close(g, w, atol=1e-6, rtol=1e-5)
        assert not torch.allclose(b, w, atol=1e-3)  # the load did something
    # The grown layers are real layers: they train away from the identity.
    assert all(p.requires_grad for p in deep.tracker.vision_encoder.backbone.layers[3].parameters())


def test_growing_refuses_a_checkpoint_of_another_shape():
    deep = TextSegmenter("tiny-deep", "tiny", seed=0)
    with pytest.raises(ValueError, match="lacks weights that are not whole ViT layers"):
        deep.load_grown({k: v for k, v in deep.state_dict().items() if "mask_decoder" not in k})
    tiny = TextSegmenter("tiny", "tiny", seed=0)
    with pytest.raises(ValueError, match="checkpoint has weights this model lacks"):
        tiny.load_grown(deep.state_dict())


def test_freeze_neck_leaves_only_the_neck_and_text_tower_out():
    m = TextSegmenter("tiny", "tiny", seed=0)
    params = {id(p) for p in m.trainable("end-to-end", train_text=False, freeze_neck=True)}
    neck = list(m.tracker.vision_encoder.neck.parameters())
    assert neck and not any(id(p) in params for p in neck)
    assert not any(id(p) in params for p in m.clip.parameters())
    assert all(id(p) in params for p in m.tracker.vision_encoder.backbone.parameters())
    assert all(id(p) in params for p in m.projection.parameters())
    everything = {id(p) for p in m.trainable("end-to-end", train_text=False)}
    assert all(id(p) in everything for p in neck)


def test_reset_projection_starts_the_text_path_afresh_in_place():
    trained = TextSegmenter("tiny", "tiny", seed=1)
    with torch.no_grad():
        for p in trained.projection.parameters():
            p.add_(1.0)  # stands for training
    m = TextSegmenter("tiny", "tiny", seed=1)
    m.load_grown(trained.state_dict())
    before = [id(p) for p in m.projection.parameters()]
    m.reset_projection(seed=1)
    assert [id(p) for p in m.projection.parameters()] == before  # an optimizer built earlier still holds them
    fresh = TextSegmenter("tiny", "tiny", seed=1)
    for got, want, old in zip(m.projection.parameters(), fresh.projection.parameters(), trained.projection.parameters()):
        torch.testing.assert_close(got, want)
        assert not torch.allclose(got, old)
    # Everything else stays as loaded.
    for got, want in zip(m.tracker.parameters(), trained.tracker.parameters()):
        torch.testing.assert_close(got, want)


def _decoder_inputs(m: TextSegmenter):
    torch.manual_seed(0)
    feats = tuple(t.detach() for t in m.encode_images(torch.randn(1, 3, 224, 224)))
    return feats, torch.randn(2, 2, 256)


def test_the_trained_decoder_is_the_exported_one_after_loading_weights():
    # The decoder wrapper keeps constants derived from the weights; training must see the loaded ones, which
    # write_package exports, not those of the freshly built model.
    from sam3clip_export.sam3_tracker import Sam3MaskDecoder
    source = TextSegmenter("tiny", "tiny", seed=3).eval()
    m = TextSegmenter("tiny", "tiny", seed=4).eval()
    with torch.no_grad():
        m.load_state_dict(source.state_dict())
        feats, prompts = _decoder_inputs(m)
        trained = m.decode(feats, prompts)
        exported = Sam3MaskDecoder(m.tracker)(*feats, prompts)
        fresh = TextSegmenter("tiny", "tiny", seed=4).eval().decoder(*feats, prompts)
    for t, e, f in zip(trained, exported, fresh):
        torch.testing.assert_close(t, e)
        assert not torch.allclose(t, f, atol=1e-3)  # the constants differ between the two seeds


def test_adopting_fresh_decoder_constants_restores_what_a_pre_fix_run_trained_with():
    from training.adopt_fresh_decoder_constants import adopt
    fresh = TextSegmenter("tiny", "tiny", seed=0).eval()
    state = TextSegmenter("tiny", "tiny", seed=8).state_dict()
    keys = adopt(state, "tiny", seed=0)
    assert any(k.endswith("no_mask_embed.weight") for k in keys)
    assert any(k.endswith("shared_image_embedding.positional_embedding") for k in keys)
    m = TextSegmenter("tiny", "tiny", seed=8).eval()
    with torch.no_grad():
        m.load_state_dict(state)
        torch.testing.assert_close(m.decoder.dense, fresh.decoder.dense)
        torch.testing.assert_close(m.decoder.image_pe, fresh.decoder.image_pe)
