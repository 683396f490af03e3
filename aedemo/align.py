"""Extract and convert: find the head, cut out an upright crop, and paste a crop back.

    geometry = crop_geometry([blob, robot])          # how much around the head a crop holds
    head = aligner.estimate(frames)                  # x, y, scale, roll read from pixels only
    crops = crop(frames, head, geometry, size=32)    # every head centred, upright, same size
    frames_out = paste(frames, new_crops, head, geometry)

This is what faceswap and DeepFaceLab do with real faces: a detector finds landmarks, a
similarity transform (shift, scale, turn) maps them to a template, and the autoencoder only
ever sees aligned faces. Our aligner finds five landmarks (eye centres, mouth, head sides)
as heatmaps, then fits the transform by least squares.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .identities import Identity
from .renderer import EYE_X, EYE_Y, HEAD_BOX, HEAD_RADIUS, LINE, MOUTH_Y, REACH

LANDMARKS = torch.tensor([[-EYE_X, EYE_Y], [EYE_X, EYE_Y], [0.0, MOUTH_Y],  # eye centres, mouth (head units)
                          [-1.0, 0.0], [1.0, 0.0]])                          # left and right of the head
ALIGNER_SIZE = 48  # frames are resized to this before the aligner reads them (48 is as accurate as 64, twice as fast)
HEATMAP_SIGMA = 0.08  # width of the target blob around each landmark during training, frame units
FEATHER = 0.08  # width of the soft edge when a crop is pasted back, as a fraction of its half-side


@dataclass(frozen=True)
class Geometry:
    """Where a crop sits in head units: its centre is (0, center_v), half its side is `half`."""

    center_v: float
    half: float


def crop_geometry(identities: list[Identity]) -> Geometry:
    """A square around the head big enough for every identity's ears, antennas and bows."""
    top = max(HEAD_BOX[i.head][1] + max([REACH.get(e, 0.2) for e in i.extras], default=0.0) for i in identities)
    top, bottom, side = top + LINE + 0.05, 1.0 + LINE + 0.05, 1.3 + LINE
    return Geometry(center_v=(bottom - top) / 2, half=max(side, (top + bottom) / 2))


def crop_to_frame(head: dict, geometry: Geometry) -> torch.Tensor:
    """(n, 2, 3) affine maps from crop coordinates [-1, 1] to frame coordinates [-1, 1]."""
    radius = HEAD_RADIUS * head["scale"]
    theta = head["roll"] * (math.pi / 180)
    c, s = torch.cos(theta), torch.sin(theta)
    k = radius * geometry.half
    tx = head["x"] - radius * s * geometry.center_v
    ty = head["y"] + radius * c * geometry.center_v
    return torch.stack([torch.stack([k * c, -k * s, tx], -1), torch.stack([k * s, k * c, ty], -1)], 1)


def invert(affine: torch.Tensor) -> torch.Tensor:
    """Inverse of (n, 2, 3) affine maps."""
    linear_inv = torch.linalg.inv(affine[:, :, :2])
    return torch.cat([linear_inv, -linear_inv @ affine[:, :, 2:]], 2)


def crop(frames: torch.Tensor, head: dict, geometry: Geometry, size: int) -> torch.Tensor:
    """Aligned crops (n, c, size, size): each head centred, upright and the same size."""
    affine = crop_to_frame({k: v.to(frames.device, torch.float32) for k, v in head.items()}, geometry)
    grid = F.affine_grid(affine, (len(frames), frames.shape[1], size, size), align_corners=False)
    return F.grid_sample(frames, grid, mode="bilinear", padding_mode="border", align_corners=False)


def paste(frames: torch.Tensor, crops: torch.Tensor, head: dict, geometry: Geometry,
          mask: torch.Tensor | None = None) -> torch.Tensor:
    """Warp crops back into the frames at the head's place. With a (n, 1, crop, crop) mask, only
    the masked part (grown by a few pixels, soft-edged) replaces the frame; else the whole crop."""
    if mask is not None:
        grown = F.max_pool2d(mask, 5, stride=1, padding=2)
        crops = torch.cat([crops, F.avg_pool2d(grown, 3, stride=1, padding=1, count_include_pad=False)], 1)
    n, c, h, w = frames.shape
    affine = invert(crop_to_frame({k: v.to(frames.device, torch.float32) for k, v in head.items()}, geometry))
    grid = F.affine_grid(affine, (n, c, h, w), align_corners=False)   # frame pixel -> crop coordinates
    pasted = F.grid_sample(crops, grid, mode="bilinear", padding_mode="border", align_corners=False)
    inside = (1.0 - grid.abs().amax(-1)) / FEATHER                      # 1 well inside the crop, 0 outside
    weight = inside.clamp(0.0, 1.0).unsqueeze(1)
    if mask is not None:
        pasted, weight = pasted[:, :c], weight * pasted[:, c:]
    return frames + weight * (pasted - frames)


def landmarks_in_frame(head: dict) -> torch.Tensor:
    """(n, landmarks, 2) frame coordinates of the landmarks for known head poses."""
    radius = (HEAD_RADIUS * head["scale"]).view(-1, 1)
    theta = head["roll"].view(-1, 1) * (math.pi / 180)
    c, s = torch.cos(theta), torch.sin(theta)
    u, v = LANDMARKS[:, 0].to(radius.device), LANDMARKS[:, 1].to(radius.device)
    x = head["x"].view(-1, 1) + radius * (c * u - s * v)
    y = head["y"].view(-1, 1) + radius * (s * u + c * v)
    return torch.stack([x, y], -1)


def fit_similarity(points: torch.Tensor) -> dict:
    """Least-squares shift, scale and turn that carry the template landmarks onto `points`."""
    template = LANDMARKS.to(points.device)
    p = template - template.mean(0)
    q = points - points.mean(1, keepdim=True)
    norm = (p * p).sum()
    a = (p * q).sum((1, 2)) / norm                                     # scale * cos(roll)
    b = (p[:, 0] * q[:, :, 1] - p[:, 1] * q[:, :, 0]).sum(1) / norm    # scale * sin(roll)
    radius, theta = torch.sqrt(a * a + b * b), torch.atan2(b, a)
    center = points.mean(1) - radius.view(-1, 1) * torch.stack(
        [torch.cos(theta) * template[:, 0].mean() - torch.sin(theta) * template[:, 1].mean(),
         torch.sin(theta) * template[:, 0].mean() + torch.cos(theta) * template[:, 1].mean()], -1)
    return {"x": center[:, 0], "y": center[:, 1], "scale": radius / HEAD_RADIUS, "roll": theta * (180 / math.pi)}


def cell_centres(n: int, device: torch.device) -> torch.Tensor:
    """Centres of n equal cells across [-1, 1]."""
    return (torch.arange(n, device=device, dtype=torch.float32) + 0.5) * (2.0 / n) - 1.0


def soft_argmax(prob: torch.Tensor) -> torch.Tensor:
    """(n, k, h, w) heatmaps that sum to 1 -> (n, k, 2) expected positions (x, y)."""
    _, _, h, w = prob.shape
    xs, ys = cell_centres(w, prob.device), cell_centres(h, prob.device)
    return torch.stack([(prob.sum(2) * xs).sum(-1), (prob.sum(3) * ys).sum(-1)], -1)


def aligner_loss(log_prob: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Position error of the soft-argmax, plus each heatmap's distance from a small blob at the
    true landmark: that second term gives a clear signal from the first step on."""
    n, k, h, w = log_prob.shape
    xs, ys = cell_centres(w, points.device), cell_centres(h, points.device)
    dist2 = (xs.view(1, 1, 1, w) - points[..., 0, None, None]) ** 2 + (ys.view(1, 1, h, 1) - points[..., 1, None, None]) ** 2
    target = (-dist2 / (2 * HEATMAP_SIGMA ** 2)).flatten(2).softmax(-1)
    blob = F.kl_div(log_prob.flatten(2), target, reduction="sum") / (n * k)
    return F.mse_loss(soft_argmax(log_prob.exp()), points) * 100 + blob


class Aligner(nn.Module):
    """Frames -> five landmark heatmaps -> soft-argmax points -> head pose."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 16, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=4, dilation=4), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=8, dilation=8), nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="bilinear"),
            nn.Conv2d(width, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, len(LANDMARKS), 1),
        )

    def heatmaps(self, frames: torch.Tensor) -> torch.Tensor:
        """(n, landmarks, h, w) log-probabilities of where each landmark is."""
        if frames.shape[-1] != ALIGNER_SIZE:
            frames = F.interpolate(frames, size=(ALIGNER_SIZE, ALIGNER_SIZE), mode="bilinear", antialias=True)
        heat = self.net(frames).float()
        n, k, h, w = heat.shape
        return heat.flatten(2).log_softmax(-1).view(n, k, h, w)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """(n, landmarks, 2) positions in frame coordinates [-1, 1]."""
        return soft_argmax(self.heatmaps(frames).exp())

    @torch.no_grad()
    def estimate(self, frames: torch.Tensor) -> dict:
        """Head pose (x, y, scale, roll) read from the pixels alone."""
        return fit_similarity(self(frames).float())

