"""What a run shows while it trains: preview grids, held-out swap PSNR and the timelapse.

    heldout = heldout_pairs(identities, size=64)       # rendered once per run
    scores = heldout_scores(pipeline, heldout)        # {"swap_psnr": ..., "swap_psnr_features": ..., "margin_db": ...}
    picture = preview_grid(pipeline, identities, title=preview_title(step, scores))
    # A | A->A | A->B | B truth || B | B->B | B->A | A truth
    write_timelapse(run / "preview", run / "timelapse.gif")
"""
from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image

from ..data import heldout_poses
from ..evaluate import EvalConfig, expression_blind
from ..metrics import psnr
from ..poses import make_generator
from ..renderer import render
from .images import grid, save_gif, shorten

BLIND_SAMPLES = EvalConfig().blur_samples  # random expressions averaged for the blurred baseline


def preview_grid(pipeline, identities: dict, rows: int = 4, title: str = "") -> Image.Image:
    """The faceswap-style preview on held-out poses, the network's drawings marked synthetic."""
    a, b = list(identities)[:2]
    ida, idb = identities[a], identities[b]
    poses = heldout_poses(rows)
    frames = {a: render(ida, poses, size=pipeline.size), b: render(idb, poses, size=pipeline.size)}

    def swapped(src: str, dst: str) -> torch.Tensor:
        return pipeline.swap(frames[src].to(pipeline.device), to=dst, source=src).cpu()

    sa, sb = shorten(a, 8), shorten(b, 8)  # labels name two characters: both must show
    columns = [(sa, frames[a]), (f"{sa}>{sa}", swapped(a, a)), (f"{sa}>{sb}", swapped(a, b)),
               (f"{sb} truth", frames[b]), (sb, frames[b]), (f"{sb}>{sb}", swapped(b, b)),
               (f"{sb}>{sa}", swapped(b, a)), (f"{sa} truth", frames[a])]
    return grid(columns, scale=2, synthetic={1, 2, 5, 6}, gap_after={3},  # the network drew the columns with ">"
                title=title or f"held-out poses: A = {a}, B = {b}")


def preview_title(step: int, scores: dict) -> str:
    """A preview's header: the step, then the swap's eyes+mouth PSNR (the number to watch), then the whole frame."""
    return (f"step {step}   swap vs truth: eyes+mouth {scores['swap_psnr_features']:.1f} dB, "
            f"whole frame {scores['swap_psnr']:.1f} dB")


def heldout_pairs(identities: dict, size: int, n: int = 64) -> list[tuple]:
    """(source, target, frames, truth, eyes+mouth mask, best blind PSNR in eyes+mouth) both ways
    between the first two identities; the blind baselines are aedemo.evaluate's, on these poses."""
    ida, idb = list(identities.values())[:2]
    poses, gen = heldout_poses(n), make_generator(0)
    pairs = []
    for src, dst in ((ida, idb), (idb, ida)):
        truth, masks = render(dst, poses, size=size, masks=True)
        blind = max(float(psnr(out, truth, masks["features"]).mean())
                    for out in expression_blind(dst, poses, size, BLIND_SAMPLES, gen))
        pairs.append((src.name, dst.name, render(src, poses, size=size), truth, masks["features"], blind))
    return pairs


@torch.no_grad()
def heldout_scores(pipeline, heldout: list[tuple]) -> dict:
    """Mean PSNR of swaps against true swaps on held-out poses (both directions), and the margin of
    the worse direction over its best expression-blind baseline in eyes+mouth."""
    whole, region, margins = [], [], []
    for src, dst, frames, truth, features, blind in heldout:
        swapped = pipeline.swap(frames.to(pipeline.device), to=dst, source=src).cpu()
        whole.append(psnr(swapped, truth).mean())
        region.append(psnr(swapped, truth, features).mean())
        margins.append(float(region[-1]) - blind)
    return {"swap_psnr": float(sum(whole) / 2), "swap_psnr_features": float(sum(region) / 2),
            "margin_db": min(margins)}


def write_timelapse(preview_dir: Path, path: Path, max_frames: int = 40) -> Path | None:
    """Assemble preview PNGs into a looping GIF (evenly thinned to at most max_frames)."""
    files = sorted(Path(preview_dir).glob("[0-9]*.png"))
    if not files:
        return None
    n = min(max_frames, len(files))
    keep = [files[round(i * (len(files) - 1) / max(1, n - 1))] for i in range(n)]
    frames = [Image.open(f).convert("RGB") for f in dict.fromkeys(keep)]
    frames += [frames[-1]] * 5  # linger on the final state
    return save_gif(frames, path, ms_per_frame=250)
