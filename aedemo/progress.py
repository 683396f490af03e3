"""A one-line progress bar on stderr: step, loss, images per second, time left.

    bar = Progress(total_steps=400, budget_s=None, start_step=0, enabled=sys.stderr.isatty())
    bar.update(step, loss, img_per_s, elapsed_s)
    bar.close()

Quiet when stderr is not a terminal, so logs and CI output stay clean.
"""
from __future__ import annotations

import sys


def clock_text(seconds: float) -> str:
    """Seconds as m:ss."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Redraws one status line in place."""

    def __init__(self, total_steps: int | None, budget_s: float | None, start_step: int, enabled: bool,
                 width: int = 24):
        self.total, self.budget, self.start = total_steps, budget_s, start_step
        self.enabled, self.width, self.shown = enabled, width, False

    def fraction(self, step: int, elapsed: float) -> float:
        """How much of the budget is used, 0..1 (whichever budget runs out first)."""
        parts = []
        if self.total:
            parts.append((step - self.start) / max(1, self.total - self.start))
        if self.budget:
            parts.append(elapsed / self.budget)
        return min(1.0, max(parts)) if parts else 0.0

    def update(self, step: int, loss: float, img_per_s: float, elapsed: float) -> None:
        """Redraw the bar."""
        if not self.enabled:
            return
        done = self.fraction(step, elapsed)
        eta = elapsed * (1 - done) / done if done > 0 else 0.0
        filled = int(done * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        total = f"/{self.total}" if self.total else ""
        sys.stderr.write(f"\r[{bar}] step {step}{total}  loss {loss:.4f}  {img_per_s:,.0f} img/s  "
                         f"ETA {clock_text(eta)} ")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        """End the line."""
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.shown = False
