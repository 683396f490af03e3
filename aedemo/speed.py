"""What makes training fast on a laptop CPU, kept apart so the model and the loop read plainly.

    device = pick_device("auto")                 # cuda, then mps, then cpu
    channels_last(model)                         # convolutions in channels-last layout (CPU)
    optimizer = adam(groups, device)             # one fused kernel for every parameter
    with autocast(device, autocast_dtype("auto", device)):   # bf16 where the hardware runs it fast
        ...
    guard = ThreadGuard(enabled=True)            # a timed run drops to one thread on a busy CPU
    with one_thread(): ...                       # small work that one thread does as fast

None of these changes what is learned, only how fast: the README's "What bought the minute"
gives the measurements behind each of them.
"""
from __future__ import annotations

import contextlib
import math

import torch
from torch import nn

from .align import Aligner
from .errors import UsageError
from .model import Encoder

WINDOW = 10             # steps averaged per measurement at most...
WINDOW_SECONDS = 0.5    # ...or fewer (at least 2) once they took this long: a busy CPU is found in seconds
SLOWDOWN = 4.0          # all threads this much slower than their best so far: the CPU is shared
RETRY = 20              # on one thread, try all threads again every this many windows


def pick_device(name: str) -> torch.device:
    """auto -> cuda if present, else mps, else cpu; an explicit choice must exist."""
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA GPU is available here (try --device cpu)")
    if name == "mps" and not has_mps:
        raise UsageError("--device mps: Apple's Metal backend is not available here (try --device cpu)")
    if name not in ("cpu", "cuda", "mps"):
        raise UsageError(f"--device must be auto, cpu, cuda or mps, not {name!r}")
    return torch.device(name)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """bf16 autocast where the hardware runs it fast, else None (fp32)."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        caps = torch.backends.cpu.get_cpu_capability().lower()
        return torch.bfloat16 if "avx512" in caps or "amx" in caps else None
    return None


def autocast(device: torch.device, dtype: torch.dtype | None):
    """Mixed precision in `dtype`, or plain fp32 when dtype is None."""
    return torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None)


def adam(groups: list[dict], device: torch.device) -> torch.optim.Adam:
    """Adam with one kernel for all parameters where torch has it: a quarter of the step time on CPU."""
    return torch.optim.Adam(groups, fused=device.type in ("cpu", "cuda"))


def channels_last(model: nn.Module) -> nn.Module:
    """Run the model's (or the aligner's) convolutions channels-last (fastest on CPU), with GroupNorm in the default
    layout (torch's channels-last GroupNorm backward is several times slower). Same numbers."""
    for module in model.modules():
        if isinstance(module, nn.GroupNorm):
            module.register_forward_pre_hook(to_default_layout)
            module.register_forward_hook(output_to_channels_last)
        if isinstance(module, (Encoder, Aligner)):  # their input goes channels-last
            module.register_forward_pre_hook(to_channels_last)
    return model


def to_channels_last(_module: nn.Module, args: tuple) -> tuple:
    """A forward pre-hook: the module's input in channels-last layout."""
    return (args[0].contiguous(memory_format=torch.channels_last),)


def to_default_layout(_module: nn.Module, args: tuple) -> tuple:
    """A forward pre-hook: the module's input in the default layout."""
    return (args[0].contiguous(),)


def output_to_channels_last(_module: nn.Module, _args: tuple, out: torch.Tensor) -> torch.Tensor:
    """A forward hook: the module's output back in channels-last layout."""
    return out.contiguous(memory_format=torch.channels_last)


@contextlib.contextmanager
def one_thread():
    """Run torch on one CPU thread for a while: small work is about as fast on one, and several
    threads on a busy CPU wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class ThreadGuard:
    """Keeps a timed run fast when another program holds a core.

    torch splits every operation over all cores, and the threads wait for each other at its end;
    when another program holds a core, each wait lasts until the system runs the missing thread
    again. So a timed run times its steps in windows: the first step warms up, the next window
    times all threads, the one after one thread; it keeps whichever is faster, falls back to one
    thread whenever all threads turn out slower, and now and then tries all threads again. Only
    timed runs do this: a --steps run keeps its threads and stays exactly reproducible (one and
    two threads round differently).
    """

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
