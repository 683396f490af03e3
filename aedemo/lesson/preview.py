"""What a run shows while it trains: preview grids, held-out swap PSNR and the timelapse.

    heldout = heldout_pairs(identities, size=64)       # rendered once per run
    scores = heldout_scores(pipeline, heldout)        # {"swap_psnr": ..., "swap_psnr_features": ..., "margin_db": worst pair}
    picture = preview_grid(pipeline, identities, title=preview_title(step, scores))
    # A | A->A | A->B | B truth || B | B->B | B->A | A truth
    write_timelapse(run / "preview", run / "timelapse.gif")
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch
from PIL import Image

from ..data import heldout_poses, heldout_renders
from ..evaluate import EvalConfig, expression_blind
from ..metrics import psnr
from ..poses import make_generator
from ..renderer import render
from .images import grid, save_gif, shorten

BLIND_SAMPLES = EvalConfig().blur_samples  # random expressions averaged for the blurred baseline
LOG_POSES = 128  # held-out poses of a log row, shared out over the characters: 64 a pair for two, 16 for eight
                 # (K sources x K decoders x 128/K poses: a row costs the same share of a step for any cast)


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


def heldout_pairs(identities: dict, size: int, n: int | None = None) -> list[tuple]:
    """(source, target, frames, truth, eyes+mouth mask, best blind PSNR in eyes+mouth) for every
    ordered pair on `n` held-out poses (default: LOG_POSES shared out); the blind baselines are
    aedemo.evaluate's, on these poses, drawn once per target."""
    return drawn_pairs(tuple(identities.items()), size, n or LOG_POSES // len(identities))


@lru_cache(maxsize=4)
def drawn_pairs(identities: tuple, size: int, n: int) -> list[tuple]:
    """heldout_pairs of (name, identity) items, drawn once per process: a demo's runs all log on them."""
    identities = dict(identities)
    names = list(identities)
    poses, gen = heldout_poses(n), make_generator(0)
    targets, pairs = {}, []
    for src, dst in ((a, b) for a in names for b in names if a != b):
        truth, features = heldout_renders(identities[dst], n, size)
        if dst not in targets:
            targets[dst] = max(float(psnr(out, truth, features).mean())
                               for out in expression_blind(identities[dst], poses, size, BLIND_SAMPLES, gen))
        pairs.append((src, dst, heldout_renders(identities[src], n, size)[0], truth, features, targets[dst]))
    return pairs


@torch.no_grad()
def heldout_scores(pipeline, heldout: list[tuple]) -> dict:
    """Mean PSNR of swaps against true swaps on held-out poses (over the ordered pairs), and the
    margin of the worst pair over its best expression-blind baseline in eyes+mouth."""
    whole, region, margins, swaps = [], [], [], {}
    for src, dst, frames, truth, features, blind in heldout:
        if src not in swaps:  # each source encoded once, each decoder run once
            swaps[src] = pipeline.swap_all(frames, source=src)
        swapped = swaps[src][dst].cpu()
        whole.append(float(psnr(swapped, truth).mean()))
        region.append(float(psnr(swapped, truth, features).mean()))
        margins.append(region[-1] - blind)
    return {"swap_psnr": sum(whole) / len(whole), "swap_psnr_features": sum(region) / len(region),
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
