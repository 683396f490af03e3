"""Where the detector looks: its input gradients beside the swap's real errors.

    where = write_saliency(net, blocks, poses, run, "runs/x/detect.png")
    where["evidence"]["outline"]         # share of the evidence for "swap" found along the outline
    where["region_only_auc"]["outline"]  # the AUC when a swap differs from its truth there only

For each ordered pair of characters the picture shows, first, averages over every held-out
swap, each map cut out around the head at its true pose (aedemo.align.crop) so that the faces
line up; then a few single swaps. Columns:
  truth, swap         the true render and the swap of the same pose
  |swap - truth|      where the swap is wrong
  saliency            |d score / d pixel|: where a small change of the picture would move the
                      detector's score most (which is not the same as where it found the swap)
  evidence            d score / d pixel times (swap - truth), where positive: the pixels whose
                      difference from the truth pushed the score towards "swap" (to first order)
Each map is scaled to its own brightest pixels.

`where` splits the pictures into regions of the true render (eyes and mouth, a band along the
character's outline, the rest of the head, the background). For each map it gives the share
of its total that falls in each region, averaged over all swaps ("area" is the regions' share
of the pixels). "region_only_auc" settles the question by experiment: each swap is pasted into
its true render in one region only, and the detector scored on those pictures.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib
import torch
import torch.nn.functional as F

from .align import crop, crop_geometry
from .detector import input_gradients, logits, roc_auc
from .lesson.images import grid, save_png, stack
from .poses import HEAD_FACTORS
from .renderer import render

EXAMPLES = 2        # single swaps shown per ordered pair
OUTLINE_PX = 2      # half-width of the band along the outline, in pixels
REGIONS = ("eyes and mouth", "outline", "rest of the head", "background")
MAPS = ("area", "error", "saliency", "evidence")


def heat(maps: torch.Tensor) -> torch.Tensor:
    """(n, H, W) maps as (n, 3, H, W) colour pictures (inferno), each scaled to its 99th percentile."""
    top = torch.quantile(maps.flatten(1), 0.99, dim=1).clamp(min=1e-12)
    scaled = (maps / top[:, None, None]).clamp(0, 1)
    colours = torch.from_numpy(matplotlib.colormaps["inferno"](scaled.numpy())[..., :3]).float()
    return colours.permute(0, 3, 1, 2)


def aligned_mean(images: torch.Tensor, poses: dict, run) -> torch.Tensor:
    """The mean of (n, c, H, W) pictures after cutting each out around its true head pose."""
    geometry = crop_geometry(list(run.identities.values()))
    head = {k: poses[k] for k in HEAD_FACTORS}
    return crop(images, head, geometry, images.shape[-1]).mean(0, keepdim=True)


def regions(identity, poses: dict, size: int) -> dict[str, torch.Tensor]:
    """Disjoint (n, H, W) masks of the true render: eyes and mouth, outline band, head, background."""
    _, masks = render(identity, poses, size=size, masks=True)
    face = (masks["face"] > 0.5).float()
    k = 2 * OUTLINE_PX + 1
    band = (F.max_pool2d(face, k, 1, OUTLINE_PX) + F.max_pool2d(-face, k, 1, OUTLINE_PX)) > 0
    features = masks["features"] > 0.5
    outline = band & ~features
    head = (face > 0) & ~features & ~outline
    background = ~(features | outline | head)
    return {name: m.squeeze(1).float() for name, m in zip(REGIONS, (features, outline, head, background))}


def shares(maps: torch.Tensor, masks: dict[str, torch.Tensor]) -> dict[str, float]:
    """Each region's share of the maps' total, pooled over all maps."""
    total = float(maps.sum()) or 1.0
    return {name: round(float((maps * m).sum()) / total, 3) for name, m in masks.items()}


def region_only_auc(net, truth: torch.Tensor, swapped: torch.Tensor, masks: dict) -> dict[str, torch.Tensor]:
    """Scores of true renders and, per region, of the swaps pasted into their truths there only."""
    scores = {"truth": logits(net, truth)}
    for name, mask in masks.items():
        scores[name] = logits(net, torch.lerp(truth, swapped, mask[:, None]))
    return scores


def write_saliency(net, blocks: dict, poses: dict, run, path: str | Path) -> dict:
    """Draw the picture (labelled synthetic); return the region shares and region-only AUCs."""
    size, parts, found, scores = run.config.size, [], {name: [] for name in MAPS}, []
    for (a, b), (truth, swapped) in blocks.items():
        grads = input_gradients(net, swapped)
        maps = {"area": torch.ones_like(swapped[:, 0]), "error": (swapped - truth).abs().sum(1),
                "saliency": grads.abs().sum(1), "evidence": (grads * (swapped - truth)).sum(1).clamp(min=0)}
        masks = regions(run.identities[b], poses, size)
        for name in MAPS:
            found[name].append((maps[name], masks))
        scores.append(region_only_auc(net, truth, swapped, masks))
        means = {name: aligned_mean(x, poses, run) for name, x in (("truth", truth), ("swap", swapped))}
        means.update({name: aligned_mean(maps[name][:, None], poses, run)[:, 0] for name in MAPS[1:]})
        parts.append(grid(columns(means), scale=2, synthetic={1},
                          title=f"{a} -> {b}: mean of {len(truth)} held-out swaps, aligned on the head"))
        pick = torch.linspace(0, len(truth) - 1, EXAMPLES).long()
        singles = {"truth": truth[pick], "swap": swapped[pick], **{name: maps[name][pick] for name in MAPS[1:]}}
        parts.append(grid(columns(singles), scale=2, synthetic={1}, title=f"{a} -> {b}: single held-out swaps"))
    save_png(stack(parts), path, synthetic=True)
    where = {name: pooled(pieces) for name, pieces in found.items()}
    where["region_only_auc"] = region_aucs(scores)
    return where


def columns(pictures: dict) -> list[tuple[str, torch.Tensor]]:
    """The picture's five columns: truth and swap as they are, the three maps as heat."""
    return [("truth", pictures["truth"]), ("swap", pictures["swap"]), ("|swap - truth|", heat(pictures["error"])),
            ("saliency", heat(pictures["saliency"])), ("evidence", heat(pictures["evidence"]))]


def pooled(pieces: list[tuple[torch.Tensor, dict]]) -> dict[str, float]:
    """Region shares of several (maps, masks) pairs taken together."""
    maps = torch.cat([m for m, _ in pieces])
    masks = {name: torch.cat([k[name] for _, k in pieces]) for name in REGIONS}
    return shares(maps, masks)


def region_aucs(scores: list[dict]) -> dict[str, float]:
    """Per region, the AUC of region-only swaps against true renders, over all ordered pairs."""
    truth = torch.cat([s["truth"] for s in scores])
    labels = torch.cat([torch.zeros(len(truth)), torch.ones(len(truth))])
    return {name: round(roc_auc(torch.cat([truth, torch.cat([s[name] for s in scores])]), labels), 4)
            for name in REGIONS}
