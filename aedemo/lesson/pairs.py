"""A cast's scores at a glance: one line per ordered pair, a heat map, the weak pairs in words, the page's part.

    from aedemo.lesson.pairs import cast_part, format_pairs, format_reasons, write_margin_map
    metrics = json.loads((run / "metrics.json").read_text())
    print(format_pairs(metrics))                        # margin, spread, readout R² of every A -> B
    print(format_reasons(metrics))                      # the weak pairs, each with its causes in words
    write_margin_map(metrics, run / "pairs.png")        # sources down, targets across
    cast_part(view)                                     # the lesson page's matrix, heat map and weak pairs

The margin is the swap's eyes+mouth PSNR minus that of the best expression-blind baseline
(see aedemo.evaluate): above 0 the swap carries the source's expression. The spread says how
much the swapped face changes with expression (truth = 1). The tables and the picture read
metrics.json only; only the lesson page's matrix (drawn by the model) needs torch.
"""
from __future__ import annotations

import math
import shlex
import statistics
from pathlib import Path

from .charts import save_figure
from .page import esc, figure, missing, picture_tag

EXPRESSION = ("gaze_x", "gaze_y", "eye_open", "mouth_open", "smile")  # aedemo.poses.EXPRESSION_FACTORS
GOAL_MARGIN, GOAL_SPREAD = 3.0, 0.7  # dB and fraction of the truth: a pair that clearly swaps


def expression_r2(swap: dict) -> tuple[float, str] | None:
    """The lowest readout R² over the expression factors of a swap, and its factor (None: no readouts)."""
    factors = swap["outputs"]["swap"].get("factors")
    if not factors:
        return None
    worst = min(EXPRESSION, key=lambda f: factors[f]["r2"])
    return factors[worst]["r2"], worst


def margins(metrics: dict) -> list[list[float]]:
    """Margins in dB as rows (sources) by columns (targets); NaN on the diagonal."""
    names = metrics["identities"]
    return [[math.nan if a == b else metrics["swaps"][f"{a}->{b}"]["margin_db"] for b in names] for a in names]


def format_pairs(metrics: dict) -> str:
    """Every ordered pair in one line, worst margin first, then the margins as a source x target grid."""
    swaps = sorted(metrics["swaps"].values(), key=lambda s: s["margin_db"])
    width = max(len(f"{s['source']} -> {s['target']}") for s in swaps) + 2
    lines = [f"{'pair':<{width}}{'margin dB':>10}{'spread':>8}   lowest expression R² (readout)"]
    for s in swaps:
        r2 = expression_r2(s)
        spread = s["outputs"]["swap"]["output_spread"]
        weak = is_weak(s)
        lines.append(f"{s['source'] + ' -> ' + s['target']:<{width}}{s['margin_db']:>+10.1f}{spread:>8.2f}   "
                     + (f"{r2[0]:.2f} ({r2[1]})" if r2 else "-") + ("   < goal" if weak else ""))
    names, grid = metrics["identities"], margins(metrics)
    cell = max(8, max(len(n) for n in names) + 2)
    lines += ["", "margin dB, source (row) -> target (column)", " " * cell + "".join(f"{n:>{cell}}" for n in names)]
    for name, row in zip(names, grid):
        lines.append(f"{name:<{cell}}" + "".join(f"{'.':>{cell}}" if math.isnan(m) else f"{m:>+{cell}.1f}"
                                                 for m in row))
    lines.append(f"median margin {statistics.median(s['margin_db'] for s in swaps):+.1f} dB, "
                 f"worst {swaps[0]['source']} -> {swaps[0]['target']} {swaps[0]['margin_db']:+.1f} dB; "
                 f"< goal: margin under {GOAL_MARGIN:+.0f} dB or spread under {GOAL_SPREAD}")
    return "\n".join(lines)


def is_weak(swap: dict) -> bool:
    """A pair short of the goal: margin under GOAL_MARGIN or spread under GOAL_SPREAD."""
    return swap["margin_db"] < GOAL_MARGIN or swap["outputs"]["swap"]["output_spread"] < GOAL_SPREAD


def weak_reasons(metrics: dict) -> list[tuple[str, list[str]]]:
    """(pair, reasons) for every weak pair, worst first, each reason read from the numbers: a
    character whose eyes and mouth get few pixels of the crop, a low expression readout, a strong
    blind guess for the target, too little spread."""
    crop = metrics.get("crop") or {}
    region = crop.get("region_px") or {}
    blind = {s["target"]: s["outputs"][s["best_blind"]]["psnr_features"] for s in metrics["swaps"].values()}
    small = statistics.median(region.values()) if region else None
    out = []
    for s in sorted(metrics["swaps"].values(), key=lambda s: s["margin_db"]):
        if not is_weak(s):
            continue
        a, b, reasons = s["source"], s["target"], []
        for name, role in ((b, "the target"), (a, "the source")):
            if small and region.get(name, small) < 0.9 * small:
                reasons.append(f"{name} ({role}) has small eyes and mouth: {region[name]:.0f} px of the "
                               f"{crop['side']}-px crop, cast median {small:.0f}")
        r2 = expression_r2(s)
        if r2 and r2[0] < 0.7:
            reasons.append(f"the swap's {r2[1]} reads back poorly (R² {r2[0]:.2f})")
        typical = statistics.median(blind.values())
        if blind[b] > typical + 0.3:
            reasons.append(f"the blind guess for {b} is strong ({blind[b]:.1f} dB in eyes+mouth, cast median {typical:.1f})")
        if s["outputs"]["swap"]["output_spread"] < GOAL_SPREAD:
            reasons.append(f"the swapped face varies too little (spread {s['outputs']['swap']['output_spread']:.2f})")
        out.append((f"{a} -> {b} {s['margin_db']:+.1f} dB", reasons or ["no single cause stands out in the numbers"]))
    return out


def crop_sentence(metrics: dict) -> str | None:
    """One sentence when a character's extras make the crop draw every head smaller, else None."""
    crop = metrics.get("crop") or {}
    if not crop or crop["px_per_head_radius_without"] < 1.05 * crop["px_per_head_radius"]:
        return None
    return (f"the crop is tall enough for {crop['sized_for']}'s extras, so every head gets "
            f"{crop['px_per_head_radius']:.1f} px per head radius instead of {crop['px_per_head_radius_without']:.1f} "
            f"without {crop['sized_for']}")


def format_reasons(metrics: dict) -> str:
    """The weak pairs explained, one line each, and the crop's share of the blame."""
    lines = [f"{pair}: {'; '.join(reasons)}" for pair, reasons in weak_reasons(metrics)]
    if not lines:
        return "every pair reaches the goal"
    return "\n".join(["why the weak pairs are weak:", *lines] + [s for s in [crop_sentence(metrics)] if s])


def write_margin_map(metrics: dict, path: str | Path) -> Path:
    """A heat map of the margins: green swaps well, red does no better than ignoring expression."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names, grid = metrics["identities"], margins(metrics)
    limit = max([abs(m) for row in grid for m in row if not math.isnan(m)] + [GOAL_MARGIN])
    side = 1.6 + 0.75 * len(names)
    fig, ax = plt.subplots(figsize=(side + 1.2, side))
    image = ax.imshow(grid, cmap="RdYlGn", vmin=-limit, vmax=limit)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel="target (drawn)", ylabel="source (drives)",
           title="eyes+mouth margin over the best\nexpression-blind baseline (dB)")
    for i, row in enumerate(grid):
        for j, m in enumerate(row):
            ax.text(j, i, "own" if math.isnan(m) else f"{m:+.1f}", ha="center", va="center", fontsize=9)
    fig.colorbar(image, ax=ax, label="dB (above 0: expression transferred)")
    return save_figure(fig, path)


MATRIX_ROWS = 4  # held-out poses in the page's matrix: enough to see eyes, mouth and tilt change


def cast_part(run) -> str:
    """The cast's pictures and words, or "" when the run has only two characters."""
    if len(run.identities) < 3:
        return ""
    names, folder = list(run.identities), shlex.quote(str(run.folder))
    out = [f"<h3>The whole cast: {len(names)} characters, one encoder</h3>"
           "<p>Each row is one held-out pose of the first character. Every other column is what one "
           "decoder draws from that same code, so each row shows the whole cast making the same face.</p>"]
    if run.model is not None:
        from ..data import heldout_poses  # torch: only where the model draws
        from .matrix import matrix_picture
        picture = matrix_picture(run.model, names[0], heldout_poses(MATRIX_ROWS))
        out.append(figure(picture_tag(picture, f"{names[0]} drives every character of the run"),
                          "One code, every decoder (synthetic).", scroll=True))
    else:
        out.append(missing(f"The matrix appears once the run has a checkpoint.pt; `aedemo swap {folder} --matrix "
                           "-o matrix.png` draws it too."))
    heat = run.image("pairs.png", "Margin of every ordered pair: sources down, targets across", pixelated=False)
    out.append(figure(heat, "Every ordered pair: green swaps the expression well, red does no better than a "
                      "guess that ignores it.") if heat else
               run.absent("pairs.png", f"`aedemo evaluate {folder}` draws it."))
    metrics = run.json("metrics.json")
    if isinstance(metrics, dict) and isinstance(metrics.get("swaps"), dict) and metrics["swaps"]:
        out.append(weak_list(metrics))
    return "".join(out)


def weak_list(metrics: dict) -> str:
    """The pairs short of the goal, each with its causes, as a list; or one sentence that there are none."""
    goal = f"a margin of at least {GOAL_MARGIN:+.0f} dB and a spread of at least {GOAL_SPREAD}"
    weak = weak_reasons(metrics)
    if not weak:
        return f"<p>Every ordered pair reaches {esc(goal)}.</p>"
    items = "".join(f"<li><b>{esc(pair)}</b>: {esc('; '.join(reasons))}.</li>" for pair, reasons in weak)
    crop = crop_sentence(metrics)
    return (f"<p>{len(weak)} of {len(metrics['swaps'])} pairs fall short of {esc(goal)}. What the numbers "
            f"say about each:</p><ul>{items}</ul>" + (f"<p>For every pair, {esc(crop)}.</p>" if crop else ""))
