"""Training data: a rolling pool of rendered frames, cropped and jittered afresh each step.

    pools = new_pools(identities, cfg, device, gen)          # or saved_pools(...) from a checkpoint's poses
    batch = make_batch(pools, cfg, gen, geometry, step)
    batch["blob"]["input"]     # the aligned crops the encoder sees (randomly warped with --warp)
    batch["blob"]["target"]    # the clean crops the decoder must draw
    batch["blob"]["weight"]    # per-pixel loss weight: eyes and mouth count more
    batch["blob"]["mask"]      # where the character is (the decoder learns to draw this too)

There is no fixed dataset: the renderer is the dataset. Each step renders a quarter of a batch
of new poses into a pool that holds the last POOL_STEPS steps' renders, and draws its batch
from the pool at random, so a frame is seen about four times (each time with its own crop
jitter) and rendering costs a quarter of what it would. A fixed set of held-out poses (its own
seed) is kept for evaluation, and training poses are never drawn from it.
"""
from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

from .align import Geometry, crop, landmarks_in_frame
from .identities import Identity
from .poses import FACTORS, HEAD_FACTORS, sample_poses
from .renderer import HEAD_RADIUS, render

HELDOUT_SEED = 1_000_003   # held-out poses come from this seed and no other generator
FRESH_SHARE = 4            # each step renders 1/4 of a batch afresh: rendering costs a quarter
POOL_STEPS = 80            # the pool holds the renders of the last 80 steps


def heldout_poses(n: int) -> dict:
    """The fixed held-out poses used by previews and evaluation."""
    return sample_poses(n, seed=HELDOUT_SEED)


@lru_cache(maxsize=8)
def heldout_renders(identity: Identity, n: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`identity` drawn at heldout_poses(n), and its eyes+mouth mask, drawn once per process: scoring,
    the readouts, explain and the detectors all look at them (callers must not change them in place)."""
    frames, masks = render(identity, heldout_poses(n), size=size, masks=True)
    return frames, masks["features"]


def jitter_head(head: dict, gen: torch.Generator, amount: float) -> dict:
    """Head pose plus small random errors, like an imperfect aligner would make."""
    n = len(head["x"])
    noise = torch.randn(n, 4, generator=gen) * amount
    radius = HEAD_RADIUS * head["scale"]
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


def fresh_per_step(batch: int) -> int:
    """How many new frames of each identity a step renders."""
    return -(-batch // FRESH_SHARE)


class FramePool:
    """One identity's recent renders: the poses (a row of FACTORS each) and, stacked per frame,
    the picture (3 channels), the eyes+mouth region and the character's mask."""

    def __init__(self, identity: Identity, cfg, device: torch.device, poses: torch.Tensor):
        self.identity, self.size, self.device = identity, cfg.size, device
        self.fresh = fresh_per_step(cfg.batch)
        if poses.shape != (POOL_STEPS * self.fresh, len(FACTORS)):
            raise ValueError(f"a frame pool holds {POOL_STEPS * self.fresh} poses, not {tuple(poses.shape)}")
        self.poses = poses.clone()
        self.stack = self.draw(self.poses)

    @classmethod
    def new(cls, identity: Identity, cfg, device: torch.device, gen: torch.Generator) -> FramePool:
        """A full pool of new renders."""
        return cls(identity, cfg, device, as_rows(sample_poses(POOL_STEPS * fresh_per_step(cfg.batch), rng=gen)))

    def draw(self, rows: torch.Tensor) -> torch.Tensor:
        """Render poses given as rows: (n, 5, size, size)."""
        frames, masks = render(self.identity, as_poses(rows), size=self.size, masks=True, device=self.device)
        return torch.cat([frames, masks["features"], masks["face"]], 1)

    def refresh(self, step: int, gen: torch.Generator) -> None:
        """Replace the renders made POOL_STEPS steps ago with new ones."""
        start = (step % POOL_STEPS) * self.fresh
        rows = as_rows(sample_poses(self.fresh, rng=gen))
        self.poses[start:start + self.fresh] = rows
        self.stack[start:start + self.fresh] = self.draw(rows)

    def sample(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, dict]:
        """n frames drawn at random from the pool, with their poses."""
        pick = torch.randint(len(self.poses), (n,), generator=gen)
        return self.stack[pick], as_poses(self.poses[pick])


def new_pools(identities: dict[str, Identity], cfg, device: torch.device, gen: torch.Generator) -> dict:
    """A full pool of new renders for each character."""
    return {name: FramePool.new(identity, cfg, device, gen) for name, identity in identities.items()}


def saved_pools(identities: dict[str, Identity], cfg, device: torch.device, saved: dict) -> dict:
    """The pools rendered again from the poses a checkpoint saved (ValueError if they do not fit)."""
    if set(saved) != set(identities) or not all(isinstance(p, torch.Tensor) for p in saved.values()):
        raise ValueError("the frame pool does not match this run")
    return {name: FramePool(identity, cfg, device, saved[name].float()) for name, identity in identities.items()}


def as_rows(poses: dict) -> torch.Tensor:
    """Poses as an (n, len(FACTORS)) tensor: how a pool keeps them (and a checkpoint saves them)."""
    return torch.stack([poses[k] for k in FACTORS], 1)


def as_poses(rows: torch.Tensor) -> dict:
    """The inverse of as_rows."""
    return {k: rows[:, i] for i, k in enumerate(FACTORS)}


def make_batch(pools: dict[str, FramePool], cfg, gen: torch.Generator, geometry: Geometry | None,
               step: int) -> dict:
    """One training batch per identity: frames for the aligner, crops for the autoencoder."""
    batch = {}
    for name, pool in pools.items():
        pool.refresh(step, gen)
        stacked, poses = pool.sample(cfg.batch, gen)
        frames = stacked[:, :3]
        head = {k: poses[k] for k in HEAD_FACTORS}
        if geometry is not None:
            stacked = crop(stacked, jitter_head(head, gen, cfg.jitter), geometry, cfg.crop)
        target, features, face = stacked[:, :3], stacked[:, 3:4], stacked[:, 4:5]
        inputs = random_warp(target, gen) if cfg.warp else target
        batch[name] = {"frames": frames, "input": inputs, "target": target, "mask": face,
                       "weight": 1.0 + cfg.feature_weight * features,
                       "landmarks": landmarks_in_frame({k: v.to(pool.device) for k, v in head.items()})}
    return batch
