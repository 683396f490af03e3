"""How fast is this machine? Renderer, training, matmul peak, FLOP utilisation, the playground's
latency and the frame rate of its motions in headless Chromium (when there is one), in one process.

    aedemo bench
    aedemo bench --json
    aedemo bench --chromium /opt/chrome/chrome   # the browser for the motion's frame rate

The training step's FLOPs are counted by torch's FlopCounterMode; dividing the achieved FLOP/s
by the matmul peak measured a moment earlier in the same process gives the utilisation (MFU).
"""
from __future__ import annotations

import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from .config import TrainConfig, check, with_identities
from .identities import IDENTITIES
from .poses import sample_poses
from .renderer import render
from .speed import autocast_dtype, pick_device
from .train import new_state, train_step


def timed(fn, seconds: float, min_reps: int = 3) -> float:
    """Average seconds per call of fn over about `seconds` (after one warm-up call)."""
    fn()
    reps, start = 0, time.perf_counter()
    while reps < min_reps or time.perf_counter() - start < seconds:
        fn()
        reps += 1
    return (time.perf_counter() - start) / reps


def render_speed(size: int = 64, batch: int = 256, seconds: float = 2.0) -> float:
    """Rendered images per second, averaged over every built-in identity."""
    poses = sample_poses(batch, seed=0)
    per_identity = [batch / timed(lambda i=i: render(i, poses, size=size), seconds / len(IDENTITIES))
                    for i in IDENTITIES.values()]
    return sum(per_identity) / len(per_identity)


def matmul_peak(dtype: torch.dtype, device: torch.device, n: int = 2048, seconds: float = 2.0) -> float:
    """Peak matmul GFLOP/s for square n x n matrices of `dtype`."""
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    return 2 * n ** 3 / timed(lambda: a @ b, seconds) / 1e9


def train_speed(cfg: TrainConfig, device: torch.device, steps: int = 12) -> dict:
    """Training images/s and achieved GFLOP/s for one recipe."""
    cfg = with_identities(cfg)
    check(cfg)
    state, dtype = new_state(cfg, device), autocast_dtype(cfg.precision, device)
    train_step(state, dtype)  # warm-up
    with FlopCounterMode(display=False) as counter:
        train_step(state, dtype)
    flops = counter.get_total_flops()
    start = time.perf_counter()
    for _ in range(steps):
        train_step(state, dtype)
    seconds = (time.perf_counter() - start) / steps
    images = cfg.batch * len(state.identities)
    return {"img_per_s": images / seconds, "gflop_per_step": flops / 1e9, "gflop_per_s": flops / seconds / 1e9}


def default_ground(device: torch.device):
    """A playground on the default model (random weights do the same work as trained ones)."""
    from pathlib import Path

    from .pipeline import build_pipeline
    from .playground import Playground
    from .run import Run
    cfg = with_identities(TrainConfig())
    check(cfg)
    return Playground(Run(Path("untrained"), cfg, build_pipeline(cfg, device), 0))


def play_speed(ground, requests: int) -> dict:
    """Latency of the playground's GET /swap.png over HTTP."""
    from .play import swap_latency
    return swap_latency(ground, requests)


def motion_speed(ground, seconds: float, chromium: str | None = None) -> dict:
    """Frames a second the page shows while the talk button plays, in headless Chromium (if any)."""
    from .browser import motion_fps
    return motion_fps(ground, "talk", seconds, chromium)


def bench(device_name: str = "auto", quick: bool = False, chromium: str | None = None) -> dict:
    """Every figure, measured now on this machine."""
    device = pick_device(device_name)
    seconds = 0.5 if quick else 2.0
    result = {"device": str(device), "threads": torch.get_num_threads(),
              "cpu_capability": torch.backends.cpu.get_cpu_capability(),
              "render_img_per_s_64px": render_speed(seconds=seconds)}
    for label, precision in (("fp32", "fp32"), ("bf16", "bf16")):
        cfg = TrainConfig(precision=precision, device=device_name)
        if precision == "bf16" and autocast_dtype("auto", device) is None:
            result[f"train_{label}"] = None  # not supported fast here
            continue
        dtype = torch.float32 if precision == "fp32" else torch.bfloat16
        peak = matmul_peak(dtype, device, seconds=seconds)
        speed = train_speed(cfg, device, steps=3 if quick else 12)
        result[f"matmul_peak_gflops_{label}"] = peak
        result[f"train_{label}"] = {**speed, "mfu": speed["gflop_per_s"] / peak}
    ground = default_ground(device)
    result["play_swap"] = play_speed(ground, requests=50 if quick else 200)
    result["play_motion"] = motion_speed(ground, seconds=1.5 if quick else 3.0, chromium=chromium)
    return result


def format_bench(r: dict) -> str:
    """The figures as a short readable table."""
    lines = [f"device {r['device']} ({r['threads']} threads, {r['cpu_capability']})",
             f"renderer        {r['render_img_per_s_64px']:>9,.0f} img/s   (64 px, batch 256, mean of all identities)"]
    for label in ("fp32", "bf16"):
        t = r.get(f"train_{label}")
        if t is None:
            lines.append(f"train {label}      not supported at speed on this device")
            continue
        lines.append(f"matmul peak {label} {r[f'matmul_peak_gflops_{label}']:>8,.0f} GFLOP/s")
        lines.append(f"train {label}      {t['img_per_s']:>9,.0f} img/s   {t['gflop_per_s']:,.1f} GFLOP/s  "
                     f"= {100 * t['mfu']:.1f}% of the {label} matmul peak")
    play = r.get("play_swap")
    if play:
        lines.append(f"play /swap.png   {play['p95_ms']:>9.1f} ms p95 (median {play['p50_ms']:.1f} ms; "
                     f"{play['requests']} requests over HTTP, {play['threads']} torch thread)")
    motion = r.get("play_motion")
    if motion:
        lines.append(f"play {motion['motion']} button".ljust(17) + (
            f"{motion['fps']:>9.1f} frames/s shown by the page in headless Chromium ({motion['frames']} in "
            f"{motion['seconds']:.1f} s)" if "fps" in motion else f"  not measured: {motion.get('skipped') or motion.get('failed')}"))
    fp32, bf16 = r.get("train_fp32"), r.get("train_bf16")
    if fp32 and bf16 and fp32["img_per_s"] > bf16["img_per_s"]:
        lines.append("bf16 trained slower than fp32 here (a busy CPU can do this): try aedemo train --precision fp32")
    return "\n".join(lines)
