"""What a run shows while it trains: preview grids, held-out swap PSNR, timelapse and loss plot.

    picture = preview_grid(pipeline, identities)      # A | A->A | A->B | B truth || B | B->B | B->A | A truth
    heldout = heldout_pairs(identities, size=64)       # rendered once per run
    scores = heldout_scores(pipeline, heldout)        # {"swap_psnr": ..., "swap_psnr_features": ...}
    write_timelapse(run / "preview", run / "timelapse.gif")
    write_loss_plot(run / "log.csv", run / "loss.png")
"""
from __future__ import annotations

import csv
import warnings
from pathlib import Path

import torch
from PIL import Image

from .data import heldout_poses
from .files import atomic_write
from .images import grid, save_gif, shorten
from .metrics import psnr
from .renderer import render


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


def heldout_pairs(identities: dict, size: int, n: int = 64) -> list[tuple]:
    """(source, target, frames, truth, eyes+mouth mask) both ways between the first two identities."""
    ida, idb = list(identities.values())[:2]
    poses = heldout_poses(n)
    pairs = []
    for src, dst in ((ida, idb), (idb, ida)):
        truth, masks = render(dst, poses, size=size, masks=True)
        pairs.append((src.name, dst.name, render(src, poses, size=size), truth, masks["features"]))
    return pairs


@torch.no_grad()
def heldout_scores(pipeline, heldout: list[tuple]) -> dict:
    """Mean PSNR of swaps against true swaps on held-out poses (both directions)."""
    whole, region = [], []
    for src, dst, frames, truth, features in heldout:
        swapped = pipeline.swap(frames.to(pipeline.device), to=dst, source=src).cpu()
        whole.append(psnr(swapped, truth).mean())
        region.append(psnr(swapped, truth, features).mean())
    return {"swap_psnr": float(sum(whole) / 2), "swap_psnr_features": float(sum(region) / 2)}


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


def read_log(path: Path) -> list[dict]:
    """Rows of log.csv as dicts of floats."""
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]


def write_loss_plot(log_path: Path, path: Path) -> Path | None:
    """Loss curves and held-out swap PSNR over training, as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = read_log(log_path) if Path(log_path).exists() else []
    if not rows:
        return None
    steps = [r["step"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=100)
    for key in rows[-1]:
        if key.startswith("loss_"):
            left.plot(steps, [r.get(key, float("nan")) for r in rows], marker="." if len(rows) < 3 else None,
                      label=key[5:])
    left.set_yscale("log")
    left.set(xlabel="step", ylabel="training loss", title="training loss\n(lower is better)")
    left.legend(fontsize=8)
    for key, label in (("swap_psnr", "whole frame"), ("swap_psnr_features", "eyes + mouth")):
        right.plot(steps, [r.get(key, float("nan")) for r in rows], marker=".", label=label)
    right.set(xlabel="step", ylabel="dB", title="held-out swap vs true swap\n(PSNR, higher is better)")
    right.legend(fontsize=8)
    with warnings.catch_warnings():  # a name with an emoji draws a box there, not a warning on screen
        warnings.filterwarnings("ignore", "Glyph", UserWarning)
        fig.tight_layout()
        with atomic_write(path) as f:
            fig.savefig(f, format="png")
    plt.close(fig)
    return Path(path)
