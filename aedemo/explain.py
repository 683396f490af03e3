"""Look inside a trained run: the layers and their shapes, and what the shared code knows.

    aedemo explain runs/blob-robot                # table to the terminal, files beside the run

    from aedemo.explain import explain, write_explain
    info = explain(run)                           # architecture, parameters, probes (a dict)
    write_explain(run)                            # also RUN/explain.json and RUN/latent_pca.png

The codes of held-out renders of every character (through the run's own extract step) are
projected to two dimensions by PCA and drawn twice: coloured by character (a shared code makes
the clouds overlap) and by a pose factor (the colours run in order). Linear probes, fitted by
least squares on part of the codes and scored on the rest, say the same in numbers: pose
factors can be read from the code (R²), and how well the character can (accuracy).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import torch
from torch import nn

from .data import HELDOUT_SEED, heldout_poses, heldout_renders
from .errors import UsageError
from .files import atomic_write, write_text
from .identities import closest_names
from .metrics import r2_score
from .poses import FACTORS, HEAD_FACTORS

JSON_NAME, FIGURE_NAME = "explain.json", "latent_pca.png"
MEANING = {
    "pose_r2": "High factor R² = the code describes the pose: a straight line through the code reads that "
               "factor back on pictures the probe never saw (1 = perfectly, 0 = not at all).",
    "identity_accuracy": "Identity accuracy = how well a straight line through the code tells the characters "
                         "apart (guessing gets 1 in K right with K characters: 50 % with two). A shared "
                         "encoder is not forced to hide who it is, and often does not; the swap works because "
                         "the expression is written the same way for every character, so any decoder can read it.",
}
SEPARATE_MEANING = ("This run has one encoder per character, so each writes its own code: a probe can read "
                    "them well while B's decoder still cannot read A's code. `aedemo evaluate` shows the swap "
                    "that results.")
HEAD_MEANING = ("In an aligned run the crop is cut around the head, so x, y, scale and roll are taken out "
                "before the encoder: low R² for those four is expected.")


@dataclass
class ExplainConfig:
    """How the codes are gathered and probed."""

    n: int = 256                 # held-out poses per character
    test_share: float = 0.25     # share of the poses kept out of the probes' fit, for scoring
    seed: int = 0                # seeds the train/test split
    ridge: float = 1e-3          # small ridge penalty so least squares stays stable on tiny codes
    color_by: str = "mouth_open" # pose factor that colours the right-hand PCA panel

    def __post_init__(self):
        """Refuse an unknown factor before any work is done."""
        if self.color_by not in FACTORS:
            raise UsageError(f"--color-by: unknown factor {self.color_by!r}{closest_names(self.color_by, FACTORS)} "
                             f"(factors: {', '.join(FACTORS)})")


def describe(module: nn.Module) -> str:
    """A short name for a layer or a block of layers."""
    if isinstance(module, nn.Sequential):
        return " + ".join(describe(m) for m in module)
    if isinstance(module, nn.Conv2d):
        stride = f" stride {module.stride[0]}" if module.stride[0] > 1 else ""
        return f"Conv {module.kernel_size[0]}x{module.kernel_size[1]}{stride}"
    if isinstance(module, nn.Upsample):
        return f"Upsample x{module.scale_factor:g}"
    return type(module).__name__


def layers(module: nn.Module, prefix: str = "") -> list[tuple[str, nn.Module]]:
    """The rows of the table: leaf layers, and blocks of leaves (conv + norm + activation) as one."""
    rows = []
    for name, child in module.named_children():
        inner = list(child.children())
        if any(list(c.children()) for c in inner):
            rows += layers(child, f"{prefix}{name}.")
        else:
            rows.append((f"{prefix}{name}", child))
    return rows


def shape(value) -> list:
    """Per-image shape of a tensor, or a list of them for a tuple of tensors (a picture and its mask)."""
    return [shape(v) for v in value] if isinstance(value, tuple) else list(value.shape[1:])


def show(dims: list) -> str:
    """A shape as 3x24x24 (several joined with +)."""
    return " + ".join(map(show, dims)) if dims and isinstance(dims[0], list) else "x".join(map(str, dims))


def count(module: nn.Module) -> int:
    """Number of parameters."""
    return sum(p.numel() for p in module.parameters())


@torch.no_grad()
def layer_table(module: nn.Module, example: torch.Tensor) -> dict:
    """Each layer's name, kind, output shape (per image) and parameters, from one dummy batch."""
    rows, hooks = [], []
    for name, layer in layers(module):
        def hook(_module, _inputs, output, name=name, layer=layer):
            rows.append({"name": name, "kind": describe(layer), "output": shape(output),
                         "params": count(layer)})
        hooks.append(layer.register_forward_hook(hook))
    try:
        output = module(example)
    finally:
        for h in hooks:
            h.remove()
    return {"input": shape(example), "layers": rows, "output": shape(output),
            "params": count(module)}


def architecture(run) -> tuple[dict, dict]:
    """Layer tables of the encoder and of one decoder, and the parameters of every part."""
    model, first = run.model, run.model.names[0]
    device, cfg = run.device, run.model.cfg
    shared = cfg.encoders == "shared"
    tables = {
        "encoder" if shared else f"encoder ({first})":
            layer_table(model.encoder_for(first), torch.zeros(2, 3, cfg.crop, cfg.crop, device=device)),
        f"decoder ({first})": layer_table(model.decoders[first], torch.zeros(2, cfg.latent, device=device)),
    }
    params = {"encoder": count(model.encoder)} if shared else {
        f"encoder ({n})": count(e) for n, e in model.encoders.items()}
    params |= {f"decoder ({n})": count(d) for n, d in model.decoders.items()}
    if run.pipeline.aligner is not None:
        params["aligner"] = count(run.pipeline.aligner)
    params["total"] = sum(params.values())
    return tables, params


@torch.no_grad()
def gather_codes(run, n: int) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """Codes of n held-out poses per character, their character index, and the poses (repeated)."""
    poses = heldout_poses(n)
    codes = []
    for name, identity in run.identities.items():
        frames = heldout_renders(identity, n, run.config.size)[0].to(run.device)
        crops, _ = run.pipeline.extract(frames)
        codes.append(run.model.encode(crops, name).float().cpu())
    labels = torch.arange(len(codes)).repeat_interleave(n)
    return torch.cat(codes), labels, {k: v.repeat(len(codes)) for k, v in poses.items()}


def split(n: int, test_share: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of a random train/test split of n items."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_test = max(1, round(n * test_share))
    return order[n_test:], order[:n_test]


def fit_linear(x: torch.Tensor, y: torch.Tensor, ridge: float):
    """Least-squares linear map (with bias, on standardised inputs); returns a predict function."""
    x, y = x.double(), y.double()
    mean, std = x.mean(0), x.std(0).clamp_min(1e-8)

    def design(v: torch.Tensor) -> torch.Tensor:
        """Standardised inputs plus a column of ones."""
        return torch.cat([(v.double() - mean) / std, torch.ones(len(v), 1, dtype=torch.float64)], 1)

    a = design(x)
    penalty = ridge * len(x) * torch.eye(a.shape[1], dtype=torch.float64)
    penalty[-1, -1] = 0  # the bias is not penalised
    weights = torch.linalg.solve(a.T @ a + penalty, a.T @ y)
    return lambda v: design(v) @ weights


def probe_factors(codes: torch.Tensor, factors: dict, train: torch.Tensor, test: torch.Tensor,
                  ridge: float = 1e-3) -> dict[str, float]:
    """Test R² of each factor read from the code by one linear regression shared by all characters."""
    names = list(factors)
    y = torch.stack([factors[k].double() for k in names], 1)
    pred = fit_linear(codes[train], y[train], ridge)(codes[test])
    return {k: r2_score(pred[:, i], y[test, i]) for i, k in enumerate(names)}


def probe_identity(codes: torch.Tensor, labels: torch.Tensor, train: torch.Tensor, test: torch.Tensor,
                   ridge: float = 1e-3) -> float:
    """Test accuracy of a least-squares classifier (one-hot targets, argmax) reading the character."""
    onehot = nn.functional.one_hot(labels, int(labels.max()) + 1)
    scores = fit_linear(codes[train], onehot[train], ridge)(codes[test])
    return float((scores.argmax(1) == labels[test]).double().mean())


def pca(codes: torch.Tensor) -> tuple[torch.Tensor, list[float]]:
    """The codes projected on their two main directions, and the share of variance each explains."""
    centred = codes.double() - codes.double().mean(0)
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    variance = s.pow(2) / s.pow(2).sum()
    return centred @ vh[:2].T, [float(v) for v in variance[:2]]


def study(run, cfg: ExplainConfig) -> tuple[dict, dict]:
    """Everything `explain` reports, plus the points the figure draws."""
    tables, params = architecture(run)
    codes, labels, poses = gather_codes(run, cfg.n)
    train, test = split(cfg.n, cfg.test_share, cfg.seed)
    k = len(run.identities)
    rows_train = torch.cat([train + i * cfg.n for i in range(k)])   # a pose is in one part for every character
    rows_test = torch.cat([test + i * cfg.n for i in range(k)])
    points, explained = pca(codes)
    meaning = (MEANING | ({"head_factors": HEAD_MEANING} if run.config.aligned else {})
               | ({"separate_encoders": SEPARATE_MEANING} if run.config.encoders == "separate" else {}))
    info = {
        "architecture": tables,
        "params": params,
        "probes": {"pose_r2": probe_factors(codes, poses, rows_train, rows_test, cfg.ridge),
                   "identity_accuracy": probe_identity(codes, labels, rows_train, rows_test, cfg.ridge),
                   "identity_chance": 1 / k},
        "meaning": meaning,
        "pca": {"explained_variance": explained, "color_by": cfg.color_by},
        "codes": {"identities": list(run.identities), "poses_per_identity": cfg.n, "heldout_seed": HELDOUT_SEED,
                  "test_poses": len(test), "split_seed": cfg.seed, "aligned": run.config.aligned,
                  "encoders": run.model.cfg.encoders},
    }
    return info, {"points": points, "labels": labels, "values": poses[cfg.color_by]}


def explain(run, cfg: ExplainConfig | None = None) -> dict:
    """Architecture, parameter counts and linear probes of a loaded run (see aedemo.run.load_run)."""
    return study(run, cfg or ExplainConfig())[0]


def draw_pca(info: dict, drawn: dict, path) -> None:
    """Two scatter plots of the same codes: coloured by character, and by a pose factor."""
    from matplotlib.figure import Figure
    names, factor = info["codes"]["identities"], info["pca"]["color_by"]
    x, y = drawn["points"][:, 0].numpy(), drawn["points"][:, 1].numpy()
    labels = drawn["labels"].numpy()
    fig = Figure(figsize=(10, 4.4), dpi=100)
    left, right = fig.subplots(1, 2)
    markers = "osD^v<>p*h"
    for i, name in enumerate(names):
        at = labels == i
        left.scatter(x[at], y[at], s=12, alpha=0.6, marker=markers[i % 10], label=name)
        dots = right.scatter(x[at], y[at], s=12, marker=markers[i % 10], c=drawn["values"].numpy()[at],
                             cmap="viridis", vmin=FACTORS[factor].low, vmax=FACTORS[factor].high)
    left.legend(title="character", fontsize=9)
    left.set_title("coloured by character", fontsize=10)
    right.set_title(f"coloured by {factor} (a linear probe reads it: see R²)", fontsize=10)
    fig.colorbar(dots, ax=right, label=f"{factor} ({FACTORS[factor].low:g} to {FACTORS[factor].high:g}); "
                                       "marker = character")
    for ax in (left, right):
        ax.set_xlabel(f"PC1 ({100 * info['pca']['explained_variance'][0]:.0f} % of the variance)")
        ax.set_ylabel(f"PC2 ({100 * info['pca']['explained_variance'][1]:.0f} %)")
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format="png")


def write_explain(run, cfg: ExplainConfig | None = None) -> dict:
    """Write RUN/latent_pca.png and RUN/explain.json atomically; return what explain.json holds."""
    info, drawn = study(run, cfg or ExplainConfig())
    draw_pca(info, drawn, run.path / FIGURE_NAME)
    write_text(run.path / JSON_NAME, json.dumps(info, indent=2) + "\n")
    return info


def format_explain(info: dict) -> str:
    """The architecture, parameters and probes as plain-text tables."""
    out = []
    for part, table in info["architecture"].items():
        out.append(f"{part}: input {show(table['input'])}, output {show(table['output'])}")
        out.append(f"  {'layer':<12} {'kind':<40} {'output':>10} {'params':>9}")
        for row in table["layers"]:
            out.append(f"  {row['name']:<12} {row['kind']:<40} {show(row['output']):>10} "
                       f"{row['params']:>9,}")
        out.append("")
    out.append("parameters")
    out += [f"  {part:<24} {n:>10,}" for part, n in info["params"].items()]
    codes, probes = info["codes"], info["probes"]
    out.append(f"\nlinear probes on the codes of {codes['poses_per_identity']} held-out poses per character "
               f"({codes['test_poses']} poses kept out for scoring)")
    out.append(f"  {'pose factor':<24} {'R² (test)':>10}")
    out += [f"  {k:<24} {v:>10.3f}" + ("   (head pose)" if k in HEAD_FACTORS else "")
            for k, v in probes["pose_r2"].items()]
    out.append(f"  {'identity accuracy':<24} {probes['identity_accuracy']:>10.3f}   "
               f"(chance {probes['identity_chance']:.3f})")
    out += ["", *info["meaning"].values()]
    return "\n".join(out)
