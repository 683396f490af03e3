"""Catching the swap: train detectors on a run's swaps, then see what fools them.

    from aedemo.detect import DetectConfig, detect, format_table
    result = detect(run, DetectConfig(time=20), log=print)   # writes RUN/detect.json, detect.png, detector.pt
    result = detect(run, against=other_run)                   # also scores another run's swaps
    print(format_table(result))

Only synthetic data gives every swap its perfect counterpart: the true render of the target
character in the same pose. So a detector here learns from pairs that differ in one way only,
swapped or not. For every ordered pair of the run's characters (A, B), the swap A->B of A in a
pose is labelled 1 and B truly rendered in that pose 0. The detectors learn on poses of their
own and are scored on the run's held-out poses, which neither they nor the run ever trained on.

result / detect.json keys:
  run, identities, heldout_poses   the run scored and how many held-out poses per ordered pair
  heldout                          the plain detector on clean held-out pictures: auc, accuracy
  laundered[KIND]                  the plain detector on the same pictures laundered (aedemo.launder)
  robust                           {"heldout", "laundered"}: the plain detector trained on, on laundered pairs
  against                          null, or another run's held-out swaps against its true renders:
                                   run, identities, same_characters, auc, accuracy, robust {auc, accuracy}
  where                            area / error / saliency: the share of the pictures' area, of the
                                   swaps' |swap - truth| and of the plain detector's saliency that falls
                                   on each region of the true render (aedemo.saliency): eyes and mouth,
                                   outline, rest of the head, background
  training                         plain / robust {steps, seconds}; reused: loaded from detector.pt
  seconds                          wall time of this call: swaps (the training pairs), training, scores
                                   (held-out pairs, tables, picture), against, total; stages skipped are absent
"""
from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from .data import heldout_poses, heldout_renders
from .detector import DetectorConfig, fit, load_detectors, new_detector, save_detectors, score
from .errors import RunError, UsageError
from .files import write_text
from .launder import DESCRIPTIONS, KINDS, launder
from .poses import make_generator, sample_poses
from .renderer import render
from .saliency import write_saliency
from .speed import one_thread

FORMAT = "aedemo-detect-1"
JSON_NAME, PICTURE_NAME, WEIGHTS_NAME = "detect.json", "detect.png", "detector.pt"


@dataclass
class DetectConfig:
    """What the detectors learn from and for how long."""

    time: float = 20.0          # seconds to train the plain detector
    robust_share: float = 0.5   # the robust one goes on from it on laundered pictures for this share of `time`
    steps: int | None = None    # instead of `time`: steps for the plain detector (exactly reproducible)
    poses: int = 1024           # training poses per ordered pair of characters
    heldout: int = 256          # held-out poses per ordered pair
    seed: int = 19              # seeds poses, batches, launderings (not the runs' seed 0: other poses)
    detector: DetectorConfig = field(default_factory=DetectorConfig)


def pairs(run) -> list[tuple[str, str]]:
    """Every ordered pair (source, target) of the run's characters."""
    return [(a, b) for a in run.identities for b in run.identities if a != b]


def swap_set(run, poses: dict, heldout: bool = False) -> dict[tuple[str, str], tuple[torch.Tensor, torch.Tensor]]:
    """For each ordered pair (A, B): B truly rendered at `poses`, and A at `poses` swapped to B;
    heldout=True says `poses` are heldout_poses(n), whose renders evaluation has already drawn."""
    size, blocks, n = run.config.size, {}, len(poses["x"])

    def draw(name: str) -> torch.Tensor:
        """The character `name` at `poses`."""
        identity = run.identities[name]
        return heldout_renders(identity, n, size)[0] if heldout else render(identity, poses, size=size)

    with one_thread():  # small batches: one thread is about as fast, and far faster on a busy CPU
        for a, b in pairs(run):
            truth, source = draw(b), draw(a)
            swapped = run.swap(source, to=b, source=a).detach().float().cpu().clamp(0, 1)
            blocks[(a, b)] = (truth, swapped)
    return blocks


def stacked(blocks: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """All pictures of a swap set and their labels (0 = true render, 1 = swap)."""
    images = torch.cat([torch.cat(pair) for pair in blocks.values()])
    labels = torch.cat([torch.cat([torch.zeros(len(t)), torch.ones(len(s))]) for t, s in blocks.values()])
    return images, labels.long()


def fingerprint(run, cfg: DetectConfig) -> str:
    """A short hash of the run's checkpoint and every setting: a saved detector is reused only
    if it was trained on this very model in this very way."""
    digest = hashlib.sha256(FORMAT.encode())
    digest.update((run.path / "checkpoint.pt").read_bytes())
    digest.update(json.dumps(asdict(cfg), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def saved_detectors(run, key: str, log) -> dict | None:
    """The detectors in RUN/detector.pt if they were trained for `key`; a damaged or refused
    file is said in one line and trained again."""
    path = run.path / WEIGHTS_NAME
    if not path.exists():
        return None
    try:
        nets, state = load_detectors(path)
    except RunError as e:
        log(f"{e}; training new detectors")
        return None
    training = state.get("info")
    usable = (state.get("fingerprint") == key and set(nets) == {"plain", "robust"} and isinstance(training, dict)
              and all(isinstance(training.get(n), dict) and {"steps", "seconds"} <= set(training[n]) for n in nets))
    if not usable:
        return None
    log(f"using the detectors trained earlier ({path}; delete it to train them again)")
    return {"nets": nets, "training": training}


def train_detectors(cfg: DetectConfig, truths: torch.Tensor, swaps: torch.Tensor, log) -> dict:
    """The plain detector on clean pairs; then the robust one, which starts as a copy of it and
    goes on learning from pairs laundered at random."""
    gen = make_generator(cfg.seed)
    plain = new_detector(cfg.detector)
    budget = f"{cfg.steps} steps" if cfg.steps else f"{cfg.time:g} s"
    log(f"training the plain detector for {budget}")
    training = {"plain": fit(plain, truths, swaps, gen, seconds=None if cfg.steps else cfg.time, steps=cfg.steps)}
    robust = copy.deepcopy(plain)
    steps = max(1, round(cfg.steps * cfg.robust_share)) if cfg.steps else None
    log(f"training it on for {f'{steps} steps' if steps else f'{cfg.time * cfg.robust_share:g} s'} on laundered "
        f"pictures: the robust detector")
    training["robust"] = fit(robust, truths, swaps, gen, seconds=None if steps else cfg.time * cfg.robust_share,
                             steps=steps, launder=True)
    return {"nets": {"plain": plain, "robust": robust}, "training": training}


def laundered_sets(images: torch.Tensor, seed: int) -> dict[str, torch.Tensor]:
    """The pictures after each laundering (noise from its own seed)."""
    return {kind: launder(images, kind, make_generator(seed)) for kind in KINDS}


def against_scores(nets: dict, run, other, cfg: DetectConfig) -> dict:
    """Both detectors on another run's held-out swaps against its true renders."""
    images, labels = stacked(swap_set(other, heldout_poses(cfg.heldout), heldout=True))
    plain, robust = score(nets["plain"], images, labels), score(nets["robust"], images, labels)
    return {"run": str(other.path), "identities": list(other.identities),
            "same_characters": sorted(other.identities) == sorted(run.identities), **plain, "robust": robust}


def detect(run, cfg: DetectConfig | None = None, against=None, log=None) -> dict:
    """Train (or reuse) the detectors, score them, draw where they look; write the run's files."""
    cfg, log = cfg or DetectConfig(), log or (lambda message: None)
    if against is not None and against.config.size != run.config.size:
        raise UsageError(f"{against.path} draws {against.config.size} px frames, but the detectors of {run.path} "
                         f"read {run.config.size} px frames; compare runs of one frame size")
    seconds, clock = {}, [time.monotonic()]

    def lap(name: str) -> None:
        """Record the seconds since the last lap under `name`."""
        now = time.monotonic()
        seconds[name], clock[0] = round(now - clock[0], 2), now

    key = fingerprint(run, cfg)
    found = saved_detectors(run, key, log)
    if found is None:
        log(f"swapping {cfg.poses} training poses for each of {len(pairs(run))} ordered pairs of characters")
        blocks = swap_set(run, sample_poses(cfg.poses, rng=make_generator(cfg.seed)))
        lap("swaps")
        found = train_detectors(cfg, torch.cat([t for t, _ in blocks.values()]),
                                torch.cat([s for _, s in blocks.values()]), log)
        save_detectors(run.path / WEIGHTS_NAME, found["nets"], key, found["training"])
        lap("training")
    nets, training = found["nets"], {**found["training"], "reused": "swaps" not in seconds}
    log(f"scoring on {cfg.heldout} held-out poses for each ordered pair, clean and laundered")
    poses = heldout_poses(cfg.heldout)
    blocks = swap_set(run, poses, heldout=True)
    images, labels = stacked(blocks)
    with one_thread():
        laundered = laundered_sets(images, cfg.seed)
        tables = {name: {"heldout": score(net, images, labels),
                         "laundered": {kind: score(net, x, labels) for kind, x in laundered.items()}}
                  for name, net in nets.items()}
        result = {"format": FORMAT, "run": str(run.path), "identities": list(run.identities),
                  "heldout_poses": cfg.heldout, "launderings": dict(DESCRIPTIONS), **tables["plain"],
                  "robust": tables["robust"]}
        result["where"] = write_saliency(nets["plain"], blocks, poses, run, run.path / PICTURE_NAME)
    lap("scores")
    if against is not None:
        log(f"scoring both detectors on the swaps of {against.path}")
        result["against"] = against_scores(nets, run, against, cfg)
        lap("against")
    else:
        result["against"] = None
    result["training"] = training
    result["seconds"] = {**seconds, "total": round(sum(seconds.values()), 2)}
    write_text(run.path / JSON_NAME, json.dumps(result, indent=2) + "\n")
    return result


def format_table(result: dict) -> str:
    """A plain-text table: each detector's AUC and accuracy, clean and laundered."""
    def cells(s: dict) -> str:
        return f"{s['auc']:>7.3f}{100 * s['accuracy']:>8.1f} %"

    title = (f"swap detectors for {result['run']} ({', '.join(result['identities'])}), "
             f"{result['heldout_poses']} held-out poses per ordered pair")
    lines = [title, f"  {'pictures':<34}{'plain: AUC':>10}{'accuracy':>10}   {'robust: AUC':>11}{'accuracy':>10}"]
    rows = [("clean", result["heldout"], result["robust"]["heldout"])]
    rows += [(result["launderings"][k], result["laundered"][k], result["robust"]["laundered"][k])
             for k in result["laundered"]]
    if result["against"]:
        a = result["against"]
        rows.append((f"another run: {Path(a['run']).name}", a, a["robust"]))
    for label, plain, robust in rows:
        lines.append(f"  {label[:34]:<34}{cells(plain)}   {cells(robust)}")
    t = result["training"]
    lines.append(f"training: plain {t['plain']['steps']} steps in {t['plain']['seconds']:.1f} s, robust "
                 f"{t['robust']['steps']} steps in {t['robust']['seconds']:.1f} s"
                 + (" (reused from detector.pt)" if t["reused"] else ""))
    w = result["where"]
    lines.append("where the plain detector finds the swap (share of its evidence): "
                 + ", ".join(f"{k} {100 * v:.0f} %" for k, v in w["evidence"].items()))
    lines.append("a swap pasted into its true render in one region only, AUC: "
                 + ", ".join(f"{k} {v:.3f}" for k, v in w["region_only_auc"].items()))
    lines.append("AUC: the chance a random swap scores above a random true render (0.5 = a coin toss). "
                 "Accuracy: with the threshold the detector learned on clean pictures.")
    return "\n".join(lines)
