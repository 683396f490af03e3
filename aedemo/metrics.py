"""Image quality numbers: PSNR and SSIM over a whole image or inside a mask.

    psnr(swapped, truth)                       # dB per image, higher is better
    psnr(swapped, truth, mask=features)        # only where the eyes and mouth are
    ssim(swapped, truth, mask=features)        # structural similarity per image, 1 = identical
    sharpness_ratio(swapped, truth)            # edge energy of the swap over the truth's: < 1 = softer
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


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


def ssim_map(x: torch.Tensor, y: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Structural similarity at each pixel (Wang et al. 2004, Gaussian window, images in [0, 1]),
    averaged over channels: (n, 1, H - window + 1, W - window + 1)."""
    x, y = x.float(), y.float()
    c = x.shape[1]
    t = torch.arange(window, dtype=torch.float32, device=x.device) - (window - 1) / 2
    g = torch.exp(-t * t / (2 * sigma * sigma))
    g = (g / g.sum()).expand(5 * c, 1, window)
    # the five Gaussian-weighted local means in one pass; the 2-D Gaussian is a row pass then a column pass
    means = F.conv2d(F.conv2d(torch.cat([x, y, x * x, y * y, x * y], 1), g[:, :, None, :], groups=5 * c),
                     g[:, :, :, None], groups=5 * c)
    mx, my, xx, yy, xy = means.split(c, 1)
    vx, vy, cov = xx - mx * mx, yy - my * my, xy - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    smap = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return smap.mean(1, keepdim=True)


def mean_ssim(smap: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Per image mean of an SSIM map, or its mean weighted by a full-size (n, 1, H, W) mask."""
    if mask is None:
        return smap.flatten(1).mean(1)
    r = (mask.shape[-1] - smap.shape[-1]) // 2
    w = mask.float()[..., r:r + smap.shape[-2], r:r + smap.shape[-1]]
    return (smap * w).flatten(1).sum(1) / w.flatten(1).sum(1).clamp(min=1e-8)


def ssim(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Structural similarity per image, 1 = identical: the mean SSIM map, or its mask-weighted mean."""
    return mean_ssim(ssim_map(x, y), mask)


def r2_score(pred: torch.Tensor, true: torch.Tensor) -> float:
    """Coefficient of determination: 1 = perfect, 0 = no better than predicting the mean."""
    pred, true = pred.double(), true.double()
    total = (true - true.mean()).pow(2).sum()
    return 1.0 - float((pred - true).pow(2).sum() / total) if total > 0 else math.nan


def gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Neighbouring pixels' differences of a batch, across and down."""
    x = x.float()
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def edge_energy(x: torch.Tensor) -> torch.Tensor:
    """Mean |image gradient| of a batch."""
    dx, dy = gradients(x)
    return (dx.abs().mean() + dy.abs().mean()) / 2


def edge_loss(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean |image gradient of x - that of the target|: pixel error alone forgives a soft edge, this does not."""
    (dx, dy), (tx, ty) = gradients(x), gradients(target)
    return ((dx - tx).abs().mean() + (dy - ty).abs().mean()) / 2


def sharpness_ratio(x: torch.Tensor, truth: torch.Tensor) -> float:
    """Edge energy of `x` over that of the truth: 1 = as crisp as the truth, below 1 = blurrier."""
    return float(edge_energy(x) / edge_energy(truth).clamp(min=1e-12))
