"""Training data: every step draws fresh poses, renders them, aligns and warps them.

    batch = make_batch(identities, cfg, gen, geometry)
    batch["blob"]["input"]     # warped aligned crops the encoder sees
    batch["blob"]["target"]    # the clean crops the decoder must draw
    batch["blob"]["weight"]    # per-pixel loss weight: eyes and mouth count more
    batch["blob"]["mask"]      # where the character is (the decoder learns to draw this too)

There is no fixed dataset: the renderer is the dataset. A fixed set of held-out poses (its own
seed) is kept for evaluation, and training poses are never drawn from it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .align import Geometry, crop, landmarks_in_frame
from .identities import Identity
from .poses import HEAD_FACTORS, sample_poses
from .renderer import render

HELDOUT_SEED = 1_000_003   # held-out poses come from this seed and no other generator


def heldout_poses(n: int) -> dict:
    """The fixed held-out poses used by previews and evaluation."""
    return sample_poses(n, seed=HELDOUT_SEED)


def jitter_head(head: dict, gen: torch.Generator, amount: float) -> dict:
    """Head pose plus small random errors, like an imperfect aligner would make."""
    n = len(head["x"])
    noise = torch.randn(n, 4, generator=gen) * amount
    radius = 0.48 * head["scale"]
    return {"x": head["x"] + noise[:, 0] * radius * 0.05, "y": head["y"] + noise[:, 1] * radius * 0.05,
            "scale": head["scale"] * (1 + 0.03 * noise[:, 2]), "roll": head["roll"] + 3.0 * noise[:, 3]}


def random_warp(images: torch.Tensor, gen: torch.Generator, strength: float = 0.04) -> torch.Tensor:
    """faceswap-style warp: shift a 5x5 grid of control points at random, bend the image smoothly."""
    n, _, h, w = images.shape
    offsets = torch.randn(n, 2, 5, 5, generator=gen) * strength
    offsets[:, :, [0, -1], :] = 0          # keep the border still, as faceswap does
    offsets[:, :, :, [0, -1]] = 0
    flow = F.interpolate(offsets.to(images.device), size=(h, w), mode="bicubic", align_corners=True)
    base = F.affine_grid(torch.eye(2, 3, device=images.device).expand(n, 2, 3), (n, 1, h, w), align_corners=False)
    return F.grid_sample(images, base + flow.permute(0, 2, 3, 1), mode="bilinear", padding_mode="border",
                         align_corners=False)


def make_batch(identities: dict[str, Identity], cfg, gen: torch.Generator, geometry: Geometry | None,
               device: torch.device) -> dict:
    """One training batch per identity: frames for the aligner, crops for the autoencoder."""
    batch = {}
    for name, identity in identities.items():
        poses = sample_poses(cfg.batch, rng=gen)
        frames, masks = render(identity, poses, size=cfg.size, masks=True, device=device)
        stacked = torch.cat([frames, masks["features"], masks["face"]], 1)
        head = {k: poses[k] for k in HEAD_FACTORS}
        if geometry is not None:
            stacked = crop(stacked, jitter_head(head, gen, cfg.jitter), geometry, cfg.crop)
        target, features, face = stacked[:, :3], stacked[:, 3:4], stacked[:, 4:5]
        inputs = random_warp(target, gen) if cfg.warp else target
        batch[name] = {"frames": frames, "input": inputs, "target": target, "mask": face,
                       "weight": 1.0 + cfg.feature_weight * features,
                       "landmarks": landmarks_in_frame({k: v.to(device) for k, v in head.items()})}
    return batch
