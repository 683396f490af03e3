"""Busy CPUs: keep a timed training run fast when another program holds a core.

    guard = ThreadGuard(enabled=cfg.time is not None)
    for each step:
        message = guard.step_took(seconds)       # a sentence when training changes its thread count
    guard.restore()                              # the thread count as it was before

torch splits every operation over all cores, and the threads wait for each other at its end.
When another program holds a core, each wait lasts until the system runs the missing thread
again: on a 2-core CPU next to one busy program, a training step took 1.8 s on two threads and
58 ms on one (38 ms on two when the CPU was free). So a timed run tries one thread once, early,
falls back to it whenever its threads turn out slower, and now and then tries all threads again
to see whether the CPU is free. Only timed runs do this: their step count already depends on
the machine, while a --steps run keeps its threads and stays exactly reproducible (one and two
threads round differently).
"""
from __future__ import annotations

import math

import torch

WINDOW = 10             # steps averaged per measurement at most...
WINDOW_SECONDS = 0.5    # ...or fewer (at least 2) once they took this long: a busy CPU is found in seconds
SLOWDOWN = 4.0          # all threads this much slower than their best so far: the CPU is shared
RETRY = 20              # on one thread, try all threads again every this many windows


class ThreadGuard:
    """Times training steps in windows: the first step warms up, the next window times all
    threads, the one after one thread; then it keeps whichever is faster, and checks again."""

    def __init__(self, enabled: bool):
        self.threads = torch.get_num_threads()
        self.enabled = enabled and self.threads > 1
        self.times: list[float] = []
        self.windows = 0           # windows measured so far
        self.fastest = math.inf    # best mean step time on all threads, seconds
        self.single = math.inf     # the latest mean step time on one thread, seconds
        self.busy_since = None     # the window that moved training to one thread, or None

    def restore(self) -> None:
        """Put the thread count back as it was."""
        torch.set_num_threads(self.threads)

    def step_took(self, seconds: float) -> str | None:
        """Record one step's time; returns a sentence when training changes its thread count."""
        if not self.enabled:
            return None
        self.times.append(seconds)
        done = len(self.times) >= WINDOW or (len(self.times) >= 2 and sum(self.times) >= WINDOW_SECONDS)
        if self.windows and not done:
            return None
        mean, self.times = sum(self.times) / len(self.times), []
        self.windows += 1
        if self.windows == 2:                        # all threads timed; now time one
            self.fastest = mean
            torch.set_num_threads(1)
        elif self.windows == 3:                      # one thread timed: keep the faster
            if mean < self.fastest:
                return self.busy(self.fastest, mean)
            torch.set_num_threads(self.threads)
        elif self.busy_since is None:                # on all threads: watch for a busy CPU
            if mean > SLOWDOWN * self.fastest:
                return self.busy(mean, None)
            self.fastest = min(self.fastest, mean)
        else:                                        # on one thread, but for a try now and then
            offset = (self.windows - self.busy_since) % RETRY
            if offset == 0:                          # a try on all threads was timed
                if mean < self.single:
                    self.busy_since, self.fastest = None, mean
                    return f"the CPU is free again: training goes back to {self.threads} threads"
                torch.set_num_threads(1)
            else:
                self.single = mean
                if offset == RETRY - 1:              # the next window tries all threads
                    torch.set_num_threads(self.threads)
        return None

    def busy(self, all_threads: float, one: float | None) -> str:
        """Go on with one thread, and say why."""
        torch.set_num_threads(1)
        self.busy_since = self.windows
        measured = f" and {1000 * one:.0f} ms on one" if one is not None else ""
        return (f"the CPU is busy with another program: steps took {1000 * all_threads:.0f} ms on "
                f"{self.threads} threads{measured}, so training goes on with one thread")
