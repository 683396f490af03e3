"""Launderings: the everyday edits a picture goes through on its way around the internet.

    from aedemo.launder import KINDS, launder, augment
    blurred = launder(images, "blur")                  # (n, 3, H, W) in [0, 1] -> the same, blurred
    noisy = launder(images, "noise", gen)              # noise needs a seeded generator
    mixed = augment(images, gen)                       # each picture laundered at random (or left alone)

A swap detector learns whatever separates swaps from real pictures most easily, and on clean
pictures that is often fine detail. Each laundering below removes or hides some of that
detail, which is what FaceForensics++ measures when it scores detectors on raw, lightly and
heavily compressed video.
"""
from __future__ import annotations

import io

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

KINDS = ("blur", "downscale", "jpeg", "noise")
JPEG_QUALITY = 40         # heavy compression, like a re-shared video frame
NOISE_SD = 10 / 255       # faint grain: seen up close, easy to miss at a glance
DESCRIPTIONS = {
    "blur": "3x3 blur",
    "downscale": "halved, then enlarged back",
    "jpeg": f"JPEG at quality {JPEG_QUALITY}",
    "noise": "Gaussian noise, sd 10/255",
}
KEEP_CLEAN = 0.2          # during augmentation, this share of pictures is left as it is


def blur(images: torch.Tensor) -> torch.Tensor:
    """A 3x3 binomial blur ([1, 2, 1] across and down), edges repeated."""
    k = torch.tensor([1.0, 2.0, 1.0], device=images.device)
    kernel = (k[:, None] * k[None, :] / 16).expand(images.shape[1], 1, 3, 3)
    return F.conv2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), kernel, groups=images.shape[1])


def downscale(images: torch.Tensor) -> torch.Tensor:
    """Half the size (each 2x2 block averaged), then enlarged back with bilinear filtering."""
    return F.interpolate(F.avg_pool2d(images, 2), scale_factor=2, mode="bilinear", align_corners=False)


def jpeg(images: torch.Tensor, quality: int = JPEG_QUALITY) -> torch.Tensor:
    """Each picture saved as a JPEG by Pillow and read back."""
    out = []
    for image in images:
        pixels = (image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
        buffer.seek(0)
        out.append(torch.from_numpy(np.array(Image.open(buffer).convert("RGB"))).permute(2, 0, 1))
    return torch.stack(out).to(images.device, torch.float32) / 255


def noise(images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Gaussian noise of NOISE_SD on every pixel and channel, clipped to [0, 1]."""
    grain = torch.randn(images.shape, generator=gen) * NOISE_SD
    return (images + grain.to(images.device)).clamp(0, 1)


def launder(images: torch.Tensor, kind: str, gen: torch.Generator | None = None) -> torch.Tensor:
    """`images` after the laundering `kind` (one of KINDS); "noise" needs `gen`."""
    if kind == "noise":
        if gen is None:
            raise ValueError("the noise laundering needs a seeded generator")
        return noise(images, gen)
    return {"blur": blur, "downscale": downscale, "jpeg": jpeg}[kind](images)


def augment(images: torch.Tensor, gen: torch.Generator, pairs: bool = False) -> torch.Tensor:
    """Each picture left clean (KEEP_CLEAN of them) or laundered by one kind chosen at random;
    with `pairs`, picture i of the first half and picture i of the second half get the same kind."""
    n = len(images) // 2 if pairs else len(images)
    clean = torch.rand(n, generator=gen) < KEEP_CLEAN
    kind = torch.where(clean, -1, torch.randint(len(KINDS), (n,), generator=gen))
    if pairs:
        kind = kind.repeat(2)
    out = images.clone()
    for k, name in enumerate(KINDS):
        chosen = (kind == k).nonzero().flatten()
        if len(chosen):
            out[chosen] = launder(images[chosen], name, gen)
    return out
