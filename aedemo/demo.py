"""The whole lesson in one command: train, evaluate, animate, explain, ablate, detect, report.

    aedemo demo                       # about 2 minutes on a laptop CPU -> runs/demo/report.html
    aedemo demo --time 120 --a cat --b ghost --out runs/cats
    aedemo demo --out runs/cats --resume      # after Ctrl-C: finish what is missing
    demo("runs/quick", seconds=60, ablation_seconds=5, detect_seconds=3)    # a shorter lesson
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from . import detect as detection
from .ablate import DEMO_SECONDS, DEMO_VARIANTS, IN_RUN, ablate_run
from .checkpoint import load_checkpoint
from .config import TrainConfig, check, with_identities
from .errors import Interrupted
from .evaluate import evaluate
from .explain import write_explain
from .lesson.animate import LESSON_FRAMES, LESSON_MOTION, write_swap
from .lesson.report import write_report
from .run import Run, load_run
from .train import train

STEPS_NEEDED = 800  # the default recipe transfers expression after about this many steps (four seeds, 60 s)
DETECT_SECONDS = 6.0  # the demo's plain detector trains this long (the robust one half as long again); detect: 20
STAGES = 7


def free_folder(path: Path) -> Path:
    """`path`, or path-2, path-3... if a run is already there."""
    candidate, n = path, 1
    while candidate.exists() and any(candidate.iterdir()):
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def demo(out: str | Path = "runs/demo", seconds: float = 60.0, a: str = "blob", b: str = "robot",
         ablation_seconds: float = DEMO_SECONDS, log=print, resume: bool = False,
         detect_seconds: float = DETECT_SECONDS) -> dict:
    """Run the lesson end to end; returns paths and the three-line summary. With resume=True the
    lesson in `out` is finished: stages already done are kept, training goes on where it stopped."""
    start = time.monotonic()
    cfg = with_identities(TrainConfig(a=a, b=b, time=seconds))
    check(cfg)
    wanted = Path(out)
    out = wanted if resume else free_folder(wanted)
    stage = "training"
    try:
        run = train_stage(cfg, out, resume and (out / "config.json").exists(), log,
                          note=f" ({wanted} already holds a run)" if out != wanted else "")
        stage = "scoring"
        log(f"2/{STAGES} scoring the swaps against the true swaps")
        metrics = read_json(out / "metrics.json") if resume else None
        metrics = metrics or evaluate(run, log=log)
        stage = "the animation"
        log(f"3/{STAGES} drawing swap.gif")
        if not (resume and (out / "swap.gif").exists()):
            write_swap(run, out / "swap.gif", *run.config.names()[:2], LESSON_MOTION, LESSON_FRAMES, both_ways=True)
        stage = "the look inside the code"
        log(f"4/{STAGES} looking inside the shared code")
        if not (resume and (out / "explain.json").exists()):
            write_explain(run)
        stage = "the ablation"
        log(f"5/{STAGES} ablation: {', '.join(DEMO_VARIANTS)} for {ablation_seconds:g} s each")
        table = read_json(out / "ablation.json") if resume and (out / "ablation.png").exists() else None
        table = table or ablation_stage(run, out, ablation_seconds, log)
        stage = "the detectors"
        detect_cfg = detection.DetectConfig(time=detect_seconds)
        log(f"6/{STAGES} catching the swap: a detector trained for {detect_cfg.time:g} s, a robust one "
            f"{detect_cfg.time * detect_cfg.robust_share:g} s more")
        found = read_json(out / detection.JSON_NAME) if resume and (out / detection.PICTURE_NAME).exists() else None
        found = found or detection.detect(run, detect_cfg, log=log)
        stage = "the lesson page"
        log(f"7/{STAGES} writing the lesson page")
        report = write_report(out, pipeline=run.pipeline, animation=(out / "swap.gif").read_bytes())
    except (KeyboardInterrupt, Interrupted):
        raise Interrupted(f"interrupted during {stage}; what is done is saved. Finish the lesson with: "
                          f"aedemo demo --out {out} --resume") from None
    return {"report": report, "seconds": time.monotonic() - start,
            "summary": summary(metrics, table, found, run.step, run.config.time or seconds)}


def train_stage(cfg: TrainConfig, out: Path, resume: bool, log, note: str = "") -> Run:
    """Stage 1: train (or, resuming, load the finished training, or train for the time still left)."""
    info = read_json(out / "config.json") if resume else None
    if info and info.get("finished", info.get("steps_done", 0) > 0):  # older runs: finished if they say steps
        run = load_run(out)
        log(f"1/{STAGES} training: done before ({run.step} steps)")
        return run
    if info and (out / "checkpoint.pt").exists():
        saved = load_run(out)
        left = max(1.0, saved.config.time - load_checkpoint(out / "checkpoint.pt")["elapsed"])
        log(f"1/{STAGES} training into {out}: going on from step {saved.step} for the {left:.0f} s left")
        run = train(TrainConfig(time=left), out=out, resume=True, log=log)
    else:
        log(f"1/{STAGES} training into {out}{note}")
        run = train(cfg, out=out, log=log)
    log(f"    trained {run.step} steps")
    return run


def ablation_stage(run: Run, out: Path, seconds: float, log) -> dict:
    """Stage 5: the demo's ablation variants, trained in out/ablation; their table copied into `out`."""
    shutil.rmtree(out / IN_RUN, ignore_errors=True)  # a half-done ablation is done again
    return ablate_run(out, seconds, DEMO_VARIANTS, base=run.config, log=log)


def read_json(path: Path) -> dict | None:
    """A JSON file written by an earlier stage, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def summary(metrics: dict, table: dict, found: dict, steps: int, seconds: float) -> list[str]:
    """Four lines: the swap against its baseline, expression transfer, the ablation's verdict, the
    detectors; a fifth when training made too few steps to expect a swap that transfers expression."""
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
    lines.append(detection_line(found))
    if steps < 0.75 * STEPS_NEEDED:
        lines.append(f"only {steps} training step{'s' if steps != 1 else ''} in {seconds:g} s; expression needs about {STEPS_NEEDED}. Give it "
                     "more --time, or close programs that keep the CPU busy (aedemo bench measures this machine)")
    return lines


def detection_line(found: dict) -> str:
    """One line: the plain detector's held-out AUC, the laundering that hurt it most, the robust one's worst."""
    laundered = found["laundered"]
    worst = min(laundered, key=lambda kind: laundered[kind]["auc"])
    robust = min(v["auc"] for v in found["robust"]["laundered"].values())
    return (f"swap detector: held-out AUC {found['heldout']['auc']:.3f}, {laundered[worst]['auc']:.3f} after "
            f"{found['launderings'][worst]}; trained on laundered pictures, {robust:.3f} or more after every laundering")
