"""Image quality numbers: PSNR over a whole image or inside a mask.

    psnr(swapped, truth)                       # dB per image, higher is better
    psnr(swapped, truth, mask=features)        # only where the eyes and mouth are
"""
from __future__ import annotations

import torch


def mse(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error per image, optionally weighted by a (n, 1, H, W) mask."""
    err = (x.float() - y.float()).pow(2)
    if mask is None:
        return err.flatten(1).mean(1)
    w = mask.float().expand_as(err)
    return (err * w).flatten(1).sum(1) / w.flatten(1).sum(1).clamp(min=1e-8)


def psnr(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image (images in [0, 1]); capped at 100 dB."""
    return (-10.0 * torch.log10(mse(x, y, mask).clamp(min=1e-10))).clamp(max=100.0)
