"""A cast's scores at a glance: one line per ordered pair, and a heat map of the margins.

    from aedemo.lesson.pairs import format_pairs, write_margin_map
    metrics = json.loads((run / "metrics.json").read_text())
    print(format_pairs(metrics))                        # margin, spread, readout R² of every A -> B
    write_margin_map(metrics, run / "pairs.png")        # sources down, targets across

The margin is the swap's eyes+mouth PSNR minus that of the best expression-blind baseline
(see aedemo.evaluate): above 0 the swap carries the source's expression. The spread says how
much the swapped face changes with expression (truth = 1). Neither module nor picture imports
torch: they read metrics.json only.
"""
from __future__ import annotations

import math
import statistics
from pathlib import Path

from .charts import save_figure

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
        weak = s["margin_db"] < GOAL_MARGIN or spread < GOAL_SPREAD
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
