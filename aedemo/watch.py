"""Watching a training loop: the budget, the progress bar, the thread guard, a diverging loss,
and the mean of each interval between saves. None of it changes what is learned.

    watch = Watch(cfg, step=0, elapsed=0.0, device=device, progress=True, log=print)
    while not watch.budget_spent(step):
        ...one step...
        watch.step_done(step, losses)      # RunError if the loss diverged
        if step % cfg.save_every == 0:
            interval = watch.interval()    # mean losses, images/s, seconds trained in all
    watch.close()
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

import torch

from .config import TrainConfig, thread_schedule
from .errors import RunError
from .progress import Progress
from .speed import ThreadGuard

DIVERGED = 1e3   # a total loss above this (or not finite) means training has diverged
NOT_PICTURE = ("loss_align", "loss_critic")  # the aligner's and the GAN critics' losses: not in the autoencoder's


@dataclass
class Interval:
    """The steps since the last save, summed up."""

    losses: dict[str, float]   # mean of each loss over the interval
    loss: float                # mean total loss of the autoencoder (the aligner's and critics' left out)
    img_per_s: float           # training images per second over the interval
    elapsed: float             # seconds trained in all (earlier sessions of a resumed run included)


class Watch:
    """The clock and everything that looks at a training run from outside while it trains."""

    def __init__(self, cfg: TrainConfig, step: int, elapsed: float, device: torch.device, progress: bool,
                 log=None, threads: list | None = None):
        self.cfg, self.log, self.before = cfg, log, elapsed
        self.schedule = None if cfg.threads == "auto" else thread_schedule(cfg.threads)
        self.threads = [] if threads is None else threads  # [step, count] at each change, kept by the caller
        self.bar = Progress(total_steps=cfg.steps, budget_s=cfg.time, start_step=step,
                            enabled=progress and sys.stderr.isatty())
        self.guard = ThreadGuard(enabled=cfg.time is not None and device.type == "cpu" and self.schedule is None)
        self.start = self.step_start = time.monotonic()
        self.interval_start = None    # when the first step since the last save began
        self.steps: list[dict] = []   # the losses of each step since the last save
        self.images = 0               # images trained on in this session

    def seconds(self) -> float:
        """Seconds since this session started training."""
        return time.monotonic() - self.start

    def budget_spent(self, step: int) -> bool:
        """True once the step or time budget is used up; else the step about to run is timed, and the
        thread count it runs on is set (by --threads) and noted."""
        cfg = self.cfg
        if (cfg.steps is not None and step >= cfg.steps) or (cfg.time is not None and self.seconds() >= cfg.time):
            return True
        if self.schedule:
            torch.set_num_threads(next(count for start, count in reversed(self.schedule) if start <= step))
        if not self.threads or self.threads[-1][1] != torch.get_num_threads():
            self.threads.append([step, torch.get_num_threads()])
        self.step_start = time.monotonic()
        if self.interval_start is None:
            self.interval_start = self.step_start
        return False

    def step_done(self, step: int, losses: dict[str, float]) -> None:
        """Note one step: thread guard, divergence check, progress bar."""
        message = self.guard.step_took(time.monotonic() - self.step_start)
        if message:
            self.say(message)
        total = sum(v for k, v in losses.items() if k not in NOT_PICTURE)
        if not all(math.isfinite(v) for v in losses.values()) or total > DIVERGED:
            raise RunError(f"training diverged at step {step} (loss {total:.3g}); the last good checkpoint "
                           f"is kept. Try a lower learning rate, e.g. --lr {self.cfg.lr / 10:g}")
        self.steps.append(losses)
        self.images += self.cfg.batch * len(self.cfg.identities)
        self.bar.update(step, total, self.images / max(self.seconds(), 1e-9), self.seconds())

    def interval(self) -> Interval | None:
        """The steps since the last call, summed up (None if there were none)."""
        if not self.steps:
            return None
        now = time.monotonic()
        mean = {k: sum(d[k] for d in self.steps) / len(self.steps) for k in self.steps[0]}
        images = len(self.steps) * self.cfg.batch * len(self.cfg.identities)
        result = Interval(mean, sum(v for k, v in mean.items() if k not in NOT_PICTURE),
                          images / max(now - self.interval_start, 1e-9), self.before + now - self.start)
        self.steps, self.interval_start = [], None
        return result

    def time_left(self) -> float | None:
        """Seconds of the --time budget not used yet (None for a --steps run)."""
        return None if self.cfg.time is None else self.cfg.time - self.seconds()

    def say(self, message: str) -> None:
        """A line for the user, below the progress bar."""
        if self.log:
            self.bar.close()
            self.log(message)

    def close(self) -> None:
        """End the progress bar and give the threads back."""
        self.bar.close()
        self.guard.restore()
