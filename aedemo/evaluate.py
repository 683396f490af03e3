"""Evaluation: every swap scored against the true swap, beside baselines that cannot transfer expression.

    from aedemo.evaluate import evaluate, format_table
    metrics = evaluate(run, log=print)   # also writes RUN/metrics.json; log: where progress lines go
    print(format_table(metrics))

For each ordered pair (A, B) of the run's identities, A is drawn at the fixed held-out poses
(never trained on), swapped to B, and compared with the truth: B rendered at the same poses.
"Eyes+mouth" means the renderer's `features` mask of the truth (where eyes and mouth can be).

Outputs compared with the truth (keys of `swaps[pair]["outputs"]`):
  swap    the run's swap A->B
  copy    the input A unchanged
  mean    the mean image of B over random poses
  sharp   B at A's head pose (x, y, scale, roll) with the average expression
  blur    B at A's head pose averaged over many random expressions: the best output under MSE that ignores
          expression. The swap transfers expression only if it beats the better of sharp and blur in eyes+mouth.
  truth   the true swap itself (readouts only: the ceiling for the readout numbers)

metrics.json keys:
  identities, size            the run's characters and frame size in pixels
  heldout                     {"n": poses per identity, "seed": the held-out pose seed}
  reconstructions[A]          psnr, psnr_features, ssim, ssim_features of A->A
  swaps["A->B"]               source, target, outputs, best_blind, beats_blind, margin_db, frame_margin_db
  swaps[..].outputs[kind]     psnr, psnr_features (dB), ssim, ssim_features (mean per image),
                              sharpness (mean |image gradient| over the truth's: 1 = as crisp, < 1 = softer),
                              output_spread (sqrt of the variance across sources in eyes+mouth over the truth's,
                              head held still: 0 = one face for every expression, 1 = as varied as the truth),
                              target_share (fraction read as B by the identity readout), factors[f] = {r2, mae}
                              between the factors read from the output and the source pose
  swaps[..].best_blind        "sharp" or "blur", whichever scores higher PSNR in eyes+mouth
  swaps[..].beats_blind       swap psnr_features > best blind psnr_features
  swaps[..].margin_db         swap psnr_features - best blind psnr_features
  swaps[..].frame_margin_db   swap psnr - blur psnr: the whole frame against the blurred baseline
  readouts                    the readouts on clean held-out renders: identity_accuracy, factors[f] = {r2, mae},
                              trustworthy (>= 99 % and every R^2 >= 0.95), steps (how long they trained),
                              gaze_min_eye_open (gaze is scored only where eyes are this open)
  expression_transferred      every swap beats its best expression-blind baseline
  crop                        side (px), px_per_head_radius, sized_for (the character whose extras set the crop's
                              height), px_per_head_radius_without (that character), region_px[name] (its
                              eyes+mouth pixels in the crop); null if unaligned
  aligner                     mean error of the head pose the aligner reads from held-out frames:
                              x_px, y_px (pixels), scale_pct (%), roll_deg (degrees); null if unaligned
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import torch

from .align import crop, crop_geometry
from .cache import load_or_train
from .data import HELDOUT_SEED, heldout_poses, heldout_renders
from .files import write_text
from .metrics import mean_ssim, psnr, sharpness_ratio, ssim_map
from .poses import EXPRESSION_FACTORS, FACTORS, HEAD_FACTORS, make_generator, sample_poses
from .readouts import VISIBLE_EYE, accuracy, below_bar, factor_scores, good_enough, read, readout_config
from .renderer import render
from .speed import one_thread

BASELINES = ("copy", "mean", "sharp", "blur")


@dataclass
class EvalConfig:
    """How much evaluation to do; the defaults are what metrics.json reports."""

    n: int = 256              # held-out poses per source identity (64 left gaze R² on ~26 open-eyed poses: too noisy)
    blur_samples: int = 32    # random expressions averaged per pose for the "blur" baseline
    mean_samples: int = 256   # random poses averaged for the "mean" baseline
    seed: int = 0             # seeds the baselines' random poses (never the held-out poses)
    readouts: bool = True     # also read identity and pose factors from every output
    readout_steps: int | None = None  # train the readouts this long (None: their default); longer reads better


def pixel_scores(out: torch.Tensor, truth: torch.Tensor, features: torch.Tensor) -> dict:
    """PSNR and SSIM against the truth, whole image and eyes+mouth, averaged over images; sharpness ratio."""
    smap = ssim_map(out, truth)  # once for both the whole image and the eyes+mouth
    return {"psnr": float(psnr(out, truth).mean()), "psnr_features": float(psnr(out, truth, features).mean()),
            "ssim": float(mean_ssim(smap).mean()), "ssim_features": float(mean_ssim(smap, features).mean()),
            "sharpness": sharpness_ratio(out, truth)}


def still_poses(n: int) -> dict:
    """The held-out expressions with the head held still (neutral x, y, scale, roll)."""
    poses = heldout_poses(n)
    return {**poses, **{k: torch.full((n,), FACTORS[k].neutral) for k in HEAD_FACTORS}}


def output_spread(out: torch.Tensor, truth: torch.Tensor, features: torch.Tensor) -> float:
    """sqrt(variance across sources of `out` over that of the truth) inside the eyes+mouth
    region, for sources whose head is held still: 0 = one face for every expression."""
    w = features.mean(0)
    return float(((out.var(0) * w).sum() / (truth.var(0) * w).sum().clamp(min=1e-12)).sqrt())


def expression_blind(identity, poses: dict, size: int, samples: int, gen: torch.Generator) -> tuple:
    """B at each pose's head position with the average expression (sharp), and averaged over
    the same `samples` random expressions for every pose (blur). The blur depends on the head
    alone, so each distinct head is drawn once (a still head: once for all poses)."""
    n = len(poses["x"])
    average = {k: torch.full((n,), (FACTORS[k].low + FACTORS[k].high) / 2) for k in EXPRESSION_FACTORS}
    sharp = render(identity, {**{k: poses[k] for k in HEAD_FACTORS}, **average}, size=size)
    expressions = sample_poses(samples, rng=gen)
    heads, which = torch.unique(torch.stack([poses[k] for k in HEAD_FACTORS], 1), dim=0, return_inverse=True)
    blur = []
    for i in range(0, len(heads), 8):
        head = {k: heads[i:i + 8, j].repeat_interleave(samples) for j, k in enumerate(HEAD_FACTORS)}
        tiled = {k: expressions[k].repeat(len(head["x"]) // samples) for k in EXPRESSION_FACTORS}
        images = render(identity, {**tiled, **head}, size=size)
        blur.append(images.view(-1, samples, *images.shape[1:]).mean(1))
    return sharp, torch.cat(blur)[which]


def swapped_to_all(run, frames: torch.Tensor, source: str) -> dict[str, torch.Tensor]:
    """The run's swaps of `frames` to every character (its own: the reconstruction), on the CPU in [0, 1]."""
    return {name: out.detach().float().cpu().clamp(0, 1) for name, out in run.swap_all(frames, source=source).items()}


def readout_scores(got: dict, poses: dict, target: int) -> dict:
    """Share of outputs read as the target identity; R^2 and MAE of the factors read from them
    (`got`: what aedemo.readouts.read read from the outputs)."""
    return {"target_share": float((got["identity"] == target).float().mean()),
            "factors": factor_scores(got["factors"], poses)}


def evaluate(run, cfg: EvalConfig | None = None, save: bool = True, log=None,
             baselines: dict | None = None) -> dict:
    """Score every ordered pair of the run's identities; write RUN/metrics.json if `save`. Runs of
    the same characters, size and `cfg` may share one `baselines` dict: they are drawn and scored once."""
    with one_thread():
        metrics = score_pairs(run, cfg or EvalConfig(), log, {} if baselines is None else baselines)
    if save:
        write_text(run.path / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    return metrics


class Scorer:
    """One output's scores against a target's truth at the held-out poses (moving and still)."""

    def __init__(self, frames, features, still_frames, still_features, poses, net, names):
        self.frames, self.features, self.poses, self.net, self.names = frames, features, poses, net, names
        self.still_frames, self.still_features = still_frames, still_features

    def score(self, target: str, out: torch.Tensor, still_out: torch.Tensor, got: dict | None = None) -> dict:
        """Pixel scores, output spread and (with readouts) what the readouts read from `out`."""
        scores = {**pixel_scores(out, self.frames[target], self.features[target]),
                  "output_spread": output_spread(still_out, self.still_frames[target], self.still_features[target])}
        if self.net is not None:
            scores.update(readout_scores(got or read(self.net, out), self.poses, self.names.index(target)))
        return scores


def score_pairs(run, cfg: EvalConfig, log, baselines: dict) -> dict:
    """The metrics of every ordered pair (see the module docstring for the keys). Each source is
    encoded once and each decoder run once per source; every output that does not depend on the
    source (mean, sharp, blur, truth) is drawn and scored once per target, as the poses are the same."""
    names, size = list(run.identities), run.config.size
    poses, gen = heldout_poses(cfg.n), make_generator(cfg.seed)
    still = still_poses(cfg.n)
    frames, features, means, still_frames, still_features = {}, {}, {}, {}, {}
    for name, identity in run.identities.items():
        frames[name], features[name] = heldout_renders(identity, cfg.n, size)
        still_frames[name], still_masks = render(identity, still, size=size, masks=True)
        still_features[name] = still_masks["features"]
        if ("mean", name) not in baselines:
            random_poses = sample_poses(cfg.mean_samples, rng=gen)
            baselines["mean", name] = render(identity, random_poses, size=size).mean(0, keepdim=True)
        means[name] = baselines["mean", name]
    net = readouts = None
    if cfg.readouts:
        settings = readout_config(cfg.readout_steps, len(names))
        net = load_or_train(run, settings, log=log)
        clean = accuracy(net, run.identities)
        readouts = {**clean, "trustworthy": good_enough(clean), "gaze_min_eye_open": VISIBLE_EYE,
                    "steps": settings.steps}
    metrics = {"identities": names, "size": size, "heldout": {"n": cfg.n, "seed": HELDOUT_SEED},
               "reconstructions": {}, "swaps": {}, "readouts": readouts}
    scorer = Scorer(frames, features, still_frames, still_features, poses, net, names)
    targets = {}
    for b in names[1:] + names[:1]:  # the order the pairs first name them as target (a->b, ..., b->a)
        if ("scores", b) in baselines:  # they score the same for every run that shares `baselines`
            targets[b] = baselines["scores", b]
            continue
        for kind, at in (("moving", poses), ("still", still)):
            if (kind, b) not in baselines:
                baselines[kind, b] = expression_blind(run.identities[b], at, size, cfg.blur_samples, gen)
        mean = means[b].expand_as(frames[b])
        targets[b] = {kind: scorer.score(b, out, still_out) for kind, out, still_out in (
            ("mean", mean, mean), ("sharp", baselines["moving", b][0], baselines["still", b][0]),
            ("blur", baselines["moving", b][1], baselines["still", b][1]))}
        if net is not None:
            targets[b]["truth"] = readout_scores(read(net, frames[b]), poses, names.index(b))
        baselines["scores", b] = targets[b]
    for a in names:
        if log:
            log(f"evaluating {a} -> every character")
        outs, still_outs = swapped_to_all(run, frames[a], a), swapped_to_all(run, still_frames[a], a)
        metrics["reconstructions"][a] = pixel_scores(outs[a], frames[a], features[a])
        copy = read(net, frames[a]) if net is not None else None  # the copy baseline reads the same for every target
        for b in names:
            if a == b:
                continue
            if ("copy", a, b) not in baselines:  # the copy, too, scores the same for every run
                baselines["copy", a, b] = scorer.score(b, frames[a], still_frames[a], copy)
            scores = {"swap": scorer.score(b, outs[b], still_outs[b]), "copy": baselines["copy", a, b], **targets[b]}
            blind = max(("sharp", "blur"), key=lambda k: scores[k]["psnr_features"])
            margin = scores["swap"]["psnr_features"] - scores[blind]["psnr_features"]
            metrics["swaps"][f"{a}->{b}"] = {"source": a, "target": b, "outputs": scores, "best_blind": blind,
                                             "beats_blind": margin > 0, "margin_db": margin,
                                             "frame_margin_db": scores["swap"]["psnr"] - scores["blur"]["psnr"]}
    metrics["expression_transferred"] = all(s["beats_blind"] for s in metrics["swaps"].values())
    metrics["aligner"] = aligner_errors(run, frames, poses)
    metrics["crop"] = crop_facts(run, features, poses)
    return metrics


def crop_facts(run, features: dict, poses: dict) -> dict | None:
    """What the aligned crop gives each character: its eyes+mouth pixels (mean over the held-out
    poses), and pixels per head radius, with and without the character it is sized for (None: unaligned)."""
    geometry = getattr(getattr(run, "pipeline", None), "geometry", None)
    if geometry is None:
        return None
    side, head = run.config.crop, {k: poses[k] for k in HEAD_FACTORS}
    tallest = max(run.identities, key=lambda name: crop_geometry([run.identities[name]]).half)
    without = crop_geometry([i for name, i in run.identities.items() if name != tallest])
    return {"side": side, "px_per_head_radius": side / (2 * geometry.half), "sized_for": tallest,
            "px_per_head_radius_without": side / (2 * without.half),
            "region_px": {name: float(crop(f, head, geometry, side).sum((1, 2, 3)).mean()) for name, f in features.items()}}


@torch.no_grad()
def aligner_errors(run, frames: dict, poses: dict) -> dict | None:
    """How far the aligner's head pose is from the truth: x, y in pixels, scale in %, roll in degrees."""
    aligner = getattr(getattr(run, "pipeline", None), "aligner", None)
    if aligner is None:
        return None
    errors = {"x_px": [], "y_px": [], "scale_pct": [], "roll_deg": []}
    for images in frames.values():
        head = {k: v.cpu() for k, v in aligner.estimate(images.to(run.device)).items()}
        errors["x_px"].append((head["x"] - poses["x"]).abs().mean() * run.config.size / 2)
        errors["y_px"].append((head["y"] - poses["y"]).abs().mean() * run.config.size / 2)
        errors["scale_pct"].append((head["scale"] / poses["scale"] - 1).abs().mean() * 100)
        errors["roll_deg"].append((head["roll"] - poses["roll"]).abs().mean())
    return {k: float(sum(v) / len(v)) for k, v in errors.items()}


ROWS = [("PSNR, whole image (dB)", "psnr", "{:.1f}"), ("PSNR, eyes+mouth (dB)", "psnr_features", "{:.1f}"),
        ("SSIM, whole image", "ssim", "{:.3f}"), ("SSIM, eyes+mouth", "ssim_features", "{:.3f}"),
        ("output spread (truth = 1)", "output_spread", "{:.2f}"), ("sharpness (truth = 1)", "sharpness", "{:.2f}")]


def format_table(metrics: dict) -> str:
    """A plain-text table: each swap number beside its baselines, then the verdict."""
    kinds = ("swap", *BASELINES, "truth")
    lines = []

    def row(label, values):
        lines.append(f"  {label:<28}" + "".join(f"{v:>8}" for v in values))

    for s in metrics["swaps"].values():
        out = s["outputs"]
        lines.append(f"{s['source']} -> {s['target']}   ({metrics['heldout']['n']} held-out poses)")
        row("", kinds)
        for label, key, fmt in ROWS:
            row(label, [fmt.format(out[k][key]) if key in out.get(k, {}) else "" for k in kinds])
        if "truth" in out:
            row(f"read as {s['target']} (%)", [f"{100 * out[k]['target_share']:.0f}" for k in kinds])
            for f in FACTORS:
                row(f"R^2 {f}", [f"{out[k]['factors'][f]['r2']:.2f}" for k in kinds])
        verdict = "expression transferred" if s["beats_blind"] else "expression NOT transferred"
        lines.append(f"  -> {verdict}: swap {out['swap']['psnr_features']:.1f} dB vs best expression-blind "
                     f"({s['best_blind']}) {out[s['best_blind']]['psnr_features']:.1f} dB in eyes+mouth "
                     f"({s['margin_db']:+.1f} dB)")
        lines.append(f"  -> whole frame: swap {out['swap']['psnr']:.1f} dB vs blur {out['blur']['psnr']:.1f} dB "
                     f"({s['frame_margin_db']:+.1f} dB); the swap's edges are {out['swap']['sharpness']:.2f} of the "
                     "truth's")
        lines.append("")
    lines.append("reconstructions (A -> A)             PSNR  eyes+mouth    SSIM  eyes+mouth")
    for name, r in metrics["reconstructions"].items():
        lines.append(f"  {name:<30}{r['psnr']:>8.1f}{r['psnr_features']:>12.1f}{r['ssim']:>8.3f}"
                     f"{r['ssim_features']:>12.3f}")
    r = metrics["readouts"]
    if r:
        worst = min(r["factors"], key=lambda f: r["factors"][f]["r2"])
        lines.append(f"readouts on clean held-out renders: identity {100 * r['identity_accuracy']:.1f} %, "
                     f"lowest R^2 {r['factors'][worst]['r2']:.3f} ({worst}) -> "
                     + ("trustworthy" if r["trustworthy"] else
                        f"NOT trustworthy: ignore the {', '.join(below_bar(r))} readout rows, or train the "
                        f"readouts longer with --readout-steps {2 * r.get('steps', readout_config().steps)}"))
    lines.append("columns: copy = the input; mean = the target's average picture; sharp / blur = the target at the "
                 "input's head pose with the average expression / blurred over expressions; truth = the true swap. "
                 "R^2 rows: pose factors read back from each output vs the input's (1 = perfect).")
    a = metrics.get("aligner")
    if a:
        lines.append(f"aligner (head pose read from pixels), mean error: x {a['x_px']:.2f} px, y {a['y_px']:.2f} px, "
                     f"scale {a['scale_pct']:.1f} %, roll {a['roll_deg']:.1f} deg")
    lines.append("expression transferred for every pair: " + ("yes" if metrics["expression_transferred"] else "no"))
    return "\n".join(lines)
