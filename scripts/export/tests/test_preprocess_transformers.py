"""The library's encoder input is transformers' own: decode, resize and normalize a set of images with the library
(through node, on the built dist/) and with transformers' Sam3ImageProcessor (PIL decode, torchvision's antialiased
bilinear resize on uint8, rescale, normalize), and require the same pixel_values. Shrinking and enlarging, square,
landscape and portrait, an EXIF-rotated JPEG and a palette PNG."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import Sam3ImageProcessor
from transformers.image_utils import load_image

from sam3clip_export.preprocess import library_rgb, normalize
from sam3clip_export.tokenizer import REPO_ROOT

SHARED = os.path.join(os.path.dirname(REPO_ROOT), "shared", "images")
PHOTOS = ["astronaut.png", "coffee.png", "chelsea-exif-orientation-6.jpg", "palette_color.png", "horse.png"]


def synthetic(path: str, width: int, height: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.stack([(xx * 7 + yy * 3) % 256, (xx * yy) % 251, (xx ^ yy) % 256], axis=-1).astype(np.int32)
    rgb = np.clip(rgb + rng.integers(-20, 21, rgb.shape), 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(path)
    return path


def transformers_pixels(path: str, size: int) -> np.ndarray:
    processor = Sam3ImageProcessor(size={"height": size, "width": size})
    return processor(images=load_image(path), return_tensors="pt")["pixel_values"].numpy()


def library_pixels(path: str, size: int) -> np.ndarray:
    _, _, rgb = library_rgb(path, size, "stretch")
    return normalize(rgb, size, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])


CASES = [("shrink-1500x1100", 1500, 1100, 1008), ("shrink-700x2100", 700, 2100, 1008), ("both-1300x300", 1300, 300, 1008),
         ("shrink-333x257", 333, 257, 128), ("grow-45x80", 45, 80, 1008)]


@pytest.mark.parametrize("name,width,height,size", CASES)
def test_resize_matches_transformers_on_synthetic_images(tmp_path, name, width, height, size):
    path = synthetic(str(tmp_path / f"{name}.png"), width, height, seed=width * height)
    ours, ref = library_pixels(path, size), transformers_pixels(path, size)
    assert ours.shape == ref.shape
    # One level of the resize is 2/255 after normalization; this allows only float rounding.
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)


@pytest.mark.parametrize("photo", PHOTOS)
@pytest.mark.parametrize("size", [1008, 256])
def test_resize_matches_transformers_on_photos(photo, size):
    path = os.path.join(SHARED, photo)
    if not os.path.isfile(path):
        pytest.skip(f"{path} is absent (../shared/images)")
    ours, ref = library_pixels(path, size), transformers_pixels(path, size)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)


def test_an_embedded_icc_profile_is_ignored_as_transformers_does(tmp_path):
    # An sRGB image tagged with a strongly different profile: transformers (PIL) reads the stored values.
    from PIL import ImageCms

    path = str(tmp_path / "tagged.jpg")
    rgb = np.asarray(Image.open(synthetic(str(tmp_path / "src.png"), 320, 240, seed=5)))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    Image.fromarray(rgb).save(path, quality=95, icc_profile=profile)
    assert Image.open(path).info.get("icc_profile")
    ours, ref = library_pixels(path, 256), transformers_pixels(path, 256)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)
    assert torch.from_numpy(ours).abs().max() > 0.5
