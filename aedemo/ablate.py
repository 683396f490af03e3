"""Ablations: change one thing, train with the same budget, and see what the swap loses.

    aedemo ablate --time 20 --out runs/ablation
    aedemo ablate --out runs/blob-robot --time 10     # a trained run: RUN/ablation/, results copied into RUN
    from aedemo.ablate import ablate, ablate_run
    table = ablate(seconds=20, out="runs/ablation")
    table = ablate_run("runs/blob-robot", seconds=10)   # the layout `aedemo demo` makes, for the run's page

Variants (each against the default recipe, same seed and time budget):
  shared        the default: one shared encoder, aligned crops
  separate      one encoder per identity: decoder B never sees codes made from A, so A->B fails
  no-align      the autoencoder sees raw frames: it spends its minute on where the head is
  warp          faceswap's random warp on the input: slower to learn in a minute
  latent-4      a 4-number code: too narrow for five expression factors
  gan           a patch critic per character judges the drawings (train --gan): sharper edges? Its steps
                cost more, so it makes fewer; it needs a budget past --gan-start to differ at all
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import torch
from PIL import Image

from .config import TrainConfig
from .data import heldout_poses
from .evaluate import EvalConfig, evaluate
from .files import atomic_write, write_text
from .folder import read_config
from .lesson.images import grid, save_png, shorten
from .lesson.sharpen import GAN_PICTURE, gan_picture
from .lesson.texts import VARIANT_MEANING
from .renderer import render
from .train import train

VARIANTS = {
    "shared": {},
    "separate": {"encoders": "separate"},
    "no-align": {"aligned": False},
    "warp": {"warp": True},
    "latent-4": {"latent": 4},
    "gan": {"gan": True},
}
DEMO_VARIANTS = ("shared", "separate", "no-align")
DEMO_SECONDS = 10.0  # training per variant in the lesson: enough for the shared encoder to pull ahead
IN_RUN = "ablation"  # inside a run folder: the variants' own run folders and the full results
RESULTS = ("ablation.json", "ablation.png", GAN_PICTURE)  # copied into RUN, where its lesson page looks (if made)
QUICK_EVAL = EvalConfig(n=64, readouts=False)  # PSNR and spread only: 64 poses are enough for those, and quick


def summarize(metrics: dict) -> dict:
    """Average the swap numbers over both directions."""
    swaps = list(metrics["swaps"].values())

    def mean(values):
        return sum(values) / len(values)

    return {
        "swap_psnr": mean([s["outputs"]["swap"]["psnr"] for s in swaps]),
        "swap_psnr_features": mean([s["outputs"]["swap"]["psnr_features"] for s in swaps]),
        "best_blind_psnr_features": mean([s["outputs"][s["best_blind"]]["psnr_features"] for s in swaps]),
        "margin_db": mean([s["margin_db"] for s in swaps]),
        "output_spread": mean([s["outputs"]["swap"]["output_spread"] for s in swaps]),
        "sharpness": mean([s["outputs"]["swap"]["sharpness"] for s in swaps]),
        "frame_margin_db": mean([s["frame_margin_db"] for s in swaps]),
        "expression_transferred": metrics["expression_transferred"],
    }


def ablate(seconds: float = 20.0, out: str | Path = "runs/ablation", a: str = "blob", b: str = "robot",
           variants=tuple(VARIANTS), base: TrainConfig | None = None, log=None) -> dict:
    """Train each variant for `seconds`, score its swaps, write ablation.json and ablation.png."""
    out = Path(out)
    base = base or TrainConfig(a=a, b=b)
    results, runs, baselines = {}, {}, {}  # every variant is scored against the same baselines
    for name in variants:
        cfg = replace(base, time=seconds, steps=None, **VARIANTS[name])
        if log:
            log(f"ablation '{name}': training {seconds:g} s")
        run = train(cfg, out=out / name, progress=False)
        results[name] = {"settings": VARIANTS[name], "steps": run.step,
                         **summarize(evaluate(run, QUICK_EVAL, save=True, baselines=baselines))}
        runs[name] = run
    table = {"seconds_each": seconds, "identities": [base.a, base.b], "variants": results}
    write_text(out / "ablation.json", json.dumps(table, indent=2) + "\n")
    save_png(swap_row(runs), out / "ablation.png", synthetic=True)
    if "gan" in runs and "shared" in runs:
        save_png(gan_picture(runs["shared"], runs["gan"]), out / GAN_PICTURE, synthetic=True)
    return table


def ablate_run(run_dir: str | Path, seconds: float = DEMO_SECONDS, variants=DEMO_VARIANTS,
               base: TrainConfig | None = None, log=None) -> dict:
    """Ablate a trained run's recipe: the variants train in RUN/ablation/, and ablation.json and
    ablation.png are copied into RUN, where its lesson page finds them."""
    run_dir = Path(run_dir)
    table = ablate(seconds, run_dir / IN_RUN, base=base or read_config(run_dir), variants=variants, log=log)
    for name in (x for x in RESULTS if (run_dir / IN_RUN / x).exists()):
        with atomic_write(run_dir / name) as f:
            f.write((run_dir / IN_RUN / name).read_bytes())
    return table


@torch.no_grad()
def swap_row(runs: dict) -> Image.Image:
    """One held-out source frame swapped by every variant, beside the truth."""
    first = next(iter(runs.values()))
    (a, ida), (b, idb) = list(first.identities.items())[:2]
    poses = heldout_poses(4)
    source = render(ida, poses, size=first.config.size)
    columns = [(a, source)] + [(name, run.swap(source, to=b, source=a).cpu()) for name, run in runs.items()]
    columns.append((f"{shorten(b, 10)} truth", render(idb, poses, size=first.config.size)))
    return grid(columns, scale=2, synthetic=set(range(1, len(columns) - 1)),
                title=f"the same held-out {a} frames swapped to {b} by each variant")


def format_ablation(table: dict) -> str:
    """The ablation as a plain table."""
    lines = [f"each variant trained {table['seconds_each']:g} s; swap scored against the true swap (both directions)",
             f"  {'variant':<10}{'steps':>7}{'PSNR':>8}{'eyes+mouth':>12}{'vs blind':>10}{'vs blur':>9}{'spread':>8}"
             f"{'edges':>7}  what changes"]
    for name, r in table["variants"].items():
        lines.append(f"  {name:<10}{r['steps']:>7}{r['swap_psnr']:>8.1f}{r['swap_psnr_features']:>12.1f}"
                     f"{r['margin_db']:>+10.1f}{r['frame_margin_db']:>+9.1f}{r['output_spread']:>8.2f}"
                     f"{r['sharpness']:>7.2f}  {VARIANT_MEANING.get(name, '')}")
    lines.append("vs blind: eyes+mouth PSNR minus the best expression-blind baseline (> 0: expression transferred); "
                 "vs blur: whole-frame PSNR minus the blurred baseline's; edges: the swap's sharpness ratio "
                 "(truth = 1)")
    return "\n".join(lines)
