"""The whole lesson in one command: train, evaluate, animate, explain, ablate, report.

    aedemo demo                       # about 2.5 minutes on a laptop CPU -> runs/demo/report.html
    aedemo demo --time 120 --a cat --b ghost --out runs/cats
"""
from __future__ import annotations

import time
from pathlib import Path

from .ablate import DEMO_SECONDS, DEMO_VARIANTS, ablate_run
from .config import TrainConfig, check, with_identities
from .evaluate import evaluate
from .explain import write_explain
from .lesson.animate import LESSON_FRAMES, LESSON_MOTION, write_swap
from .lesson.report import write_report
from .train import train

STEPS_NEEDED = 800  # the default recipe transfers expression after about this many steps (four seeds, 60 s)


def free_folder(path: Path) -> Path:
    """`path`, or path-2, path-3... if a run is already there."""
    candidate, n = path, 1
    while candidate.exists() and any(candidate.iterdir()):
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def demo(out: str | Path = "runs/demo", seconds: float = 60.0, a: str = "blob", b: str = "robot",
         ablation_seconds: float = DEMO_SECONDS, log=print) -> dict:
    """Run the lesson end to end; returns paths and the three-line summary."""
    start = time.monotonic()
    cfg = with_identities(TrainConfig(a=a, b=b, time=seconds))
    check(cfg)
    wanted, out = Path(out), free_folder(Path(out))
    log(f"1/6 training into {out}" + (f" ({wanted} already holds a run)" if out != wanted else ""))
    run = train(cfg, out=out, log=log)
    log(f"    trained {run.step} steps")
    log("2/6 scoring the swaps against the true swaps")
    metrics = evaluate(run, log=log)
    log("3/6 drawing swap.gif")
    write_swap(run, out / "swap.gif", *run.config.names()[:2], LESSON_MOTION, LESSON_FRAMES, both_ways=True)
    log("4/6 looking inside the shared code")
    write_explain(run)
    log(f"5/6 ablation: {', '.join(DEMO_VARIANTS)} for {ablation_seconds:g} s each")
    table = ablate_run(out, ablation_seconds, DEMO_VARIANTS, base=run.config, log=log)
    log("6/6 writing the lesson page")
    report = write_report(out, pipeline=run.pipeline)
    return {"report": report, "seconds": time.monotonic() - start,
            "summary": summary(metrics, table, run.step, seconds)}


def summary(metrics: dict, table: dict, steps: int, seconds: float) -> list[str]:
    """Three lines: the swap against its baseline, expression transfer, the ablation's verdict; a
    fourth when training made too few steps to expect a swap that transfers expression."""
    swaps = list(metrics["swaps"].values())
    first = swaps[0]
    out = first["outputs"]
    variants = table["variants"]
    lines = [
        (f"swap {first['source']}->{first['target']}: {out['swap']['psnr_features']:.1f} dB in eyes+mouth vs "
         f"{out[first['best_blind']]['psnr_features']:.1f} dB for the best expression-blind baseline "
         f"({first['margin_db']:+.1f} dB)"),
        ("expression transferred in every direction: " + ("yes" if metrics["expression_transferred"] else "no")
         + f" (output spread {min(s['outputs']['swap']['output_spread'] for s in swaps):.2f}, truth = 1)"),
    ]
    scores = ", ".join(f"{name} {v['margin_db']:+.1f} dB (spread {v['output_spread']:.2f})"
                       for name, v in variants.items())
    lines.append(f"ablation ({table['seconds_each']:g} s each), eyes+mouth vs the blind baseline: {scores}")
    if steps < 0.75 * STEPS_NEEDED:
        lines.append(f"only {steps} training steps in {seconds:g} s; expression needs about {STEPS_NEEDED}. Give it "
                     "more --time, or close programs that keep the CPU busy (aedemo bench measures this machine)")
    return lines
