"""log.csv read once, and drawn as the run's loss.png: training loss and held-out swap PSNR by step.

    rows = read_log(run / "log.csv")                    # [{"step": 50.0, "loss": 0.03, ...}, ...]
    time_to_expression(rows)                           # {"step": 350.0, "seconds": 17.9, "margin_db": 3.2}
    write_loss_plot(run / "log.csv", run / "loss.png")
"""
from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

from ..files import atomic_write

EXPRESSION_BAR = 3.0  # dB over the best expression-blind baseline: the swap visibly carries the expression


def read_log(path: Path) -> list[dict]:
    """Rows of log.csv as dicts of floats (cells that are empty or not finite numbers left out)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [{k: value for k, v in row.items() if k and (value := as_number(v)) is not None} for row in rows]


def time_to_expression(rows: list[dict], bar: float = EXPRESSION_BAR) -> dict | None:
    """The first log row whose worst ordered pair beats the best expression-blind baseline by `bar`
    dB in eyes+mouth (held-out poses): {"step", "seconds", "margin_db"}, or None."""
    first = next((row for row in rows if row.get("margin_db", -math.inf) >= bar), None)
    return None if first is None else {k: first[k] for k in ("step", "seconds", "margin_db")}


def as_number(text) -> float | None:
    """A finite float from a CSV cell, else None."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


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
    return save_figure(fig, path)


def save_figure(fig, path: Path) -> Path:
    """A matplotlib figure written as a PNG, atomically, and closed."""
    import matplotlib.pyplot as plt
    with warnings.catch_warnings():  # a name with an emoji draws a box there, not a warning on screen
        warnings.filterwarnings("ignore", "Glyph", UserWarning)
        fig.tight_layout()
        with atomic_write(path) as f:
            fig.savefig(f, format="png")
    plt.close(fig)
    return Path(path)
