"""A swap detector: a small CNN that tells a true render from a swap of the same pose.

    net = new_detector(DetectorConfig(seed=0))
    fit(net, truths, swaps, gen, seconds=10)             # truths[i] and swaps[i] show the same pose
    fit(net, truths, swaps, gen, steps=5, launder=True)  # each pair laundered at random (aedemo.launder)
    score(net, images, labels)                           # {"auc": ..., "accuracy": ...}
    input_gradients(net, swaps)                          # where a small change moves the score most
    save_detectors("runs/x/detector.pt", {"plain": net}, fingerprint="...")
    nets = load_detectors("runs/x/detector.pt")          # weights_only=True: a file can hold data, never code

Scores are logits: above 0 the detector says "swap". ROC AUC is the chance that a random swap
scores above a random true render (1 = always, 0.5 = a coin toss); it does not depend on
where the threshold sits, while accuracy (at 0) does.
"""
from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .checkpoint import safe_load
from .errors import RunError
from .files import atomic_write
from .launder import augment
from .speed import ThreadGuard

FORMAT = "aedemo-detector-1"


@dataclass
class DetectorConfig:
    """How a detector is built and trained."""

    width: int = 16        # channels of the first conv layer; later layers have 2x and 4x
    batch: int = 64        # pictures per step: half of them true renders, half the swaps of the same poses
    lr: float = 2e-3       # Adam learning rate
    seed: int = 0          # seeds the weights (batches and launderings use the generator given to fit)


class Detector(nn.Module):
    """Four 3x3 conv layers, each halving the picture and normalising its output over the batch
    (without that, the robust detector learned too slowly), averaged over the picture: one logit."""

    def __init__(self, cfg: DetectorConfig):
        super().__init__()
        self.cfg = cfg
        layers, cin = [], 3
        for cout in (cfg.width, 2 * cfg.width, 4 * cfg.width, 4 * cfg.width):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
            cin = cout
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(cin, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Pictures (n, 3, H, W) in [0, 1] -> logits (n,): above 0 means "swap"."""
        return self.head(self.features(images)).squeeze(1)


def new_detector(cfg: DetectorConfig) -> Detector:
    """A freshly initialised detector, seeded without touching the global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        return Detector(cfg)


def fit(net: Detector, truths: torch.Tensor, swaps: torch.Tensor, gen: torch.Generator,
        seconds: float | None = None, steps: int | None = None, launder: bool = False) -> dict:
    """Train on batches of pairs (a true render and the swap of the same pose, labelled 0 and 1)
    until `seconds` pass or `steps` are done, whichever is given; with `launder`, each pair is
    laundered the same way, chosen at random. Returns steps and seconds."""
    if seconds is None and steps is None:
        raise ValueError("give fit a time budget (seconds) or a number of steps")
    opt = torch.optim.Adam(net.parameters(), lr=net.cfg.lr)
    half = net.cfg.batch // 2
    labels = torch.cat([torch.zeros(half), torch.ones(half)])
    guard = ThreadGuard(enabled=seconds is not None)
    start, done = time.monotonic(), 0
    net.train()
    try:
        while (steps is None or done < steps) and (seconds is None or time.monotonic() - start < seconds):
            began = time.monotonic()
            left = 1 - (done / steps if seconds is None else (began - start) / seconds)
            for group in opt.param_groups:  # falls linearly to 0 over the budget: the last steps settle
                group["lr"] = net.cfg.lr * max(left, 0.0)
            pick = torch.randint(len(truths), (half,), generator=gen)
            batch = torch.cat([truths[pick], swaps[pick]])
            if launder:
                batch = augment(batch, gen, pairs=True)
            loss = F.binary_cross_entropy_with_logits(net(batch), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            done += 1
            guard.step_took(time.monotonic() - began)
    finally:
        guard.restore()
    net.eval()
    return {"steps": done, "seconds": round(time.monotonic() - start, 2)}


@torch.no_grad()
def logits(net: Detector, images: torch.Tensor) -> torch.Tensor:
    """The detector's score for each picture (above 0: "swap")."""
    net.eval()
    return torch.cat([net(part) for part in images.split(512)])


def roc_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the ROC curve: the share of (swap, true render) pairs in which the swap
    scores higher, ties counting half."""
    pos, neg = scores[labels == 1].double(), scores[labels == 0].double()
    if not len(pos) or not len(neg):
        raise ValueError("the AUC needs at least one swap and one true render")
    wins = sum(float((p[:, None] > neg).sum() + 0.5 * (p[:, None] == neg).sum()) for p in pos.split(1024))
    return wins / (len(pos) * len(neg))


def score(net: Detector, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """ROC AUC, and accuracy with the threshold at 0."""
    s = logits(net, images)
    return {"auc": round(roc_auc(s, labels), 4), "accuracy": round(float(((s > 0).long() == labels).float().mean()), 4)}


def input_gradients(net: Detector, images: torch.Tensor) -> torch.Tensor:
    """d logit / d pixel for each picture: (n, 3, H, W)."""
    net.eval()
    grads = []
    for part in images.split(256):
        part = part.clone().requires_grad_(True)
        grads.append(torch.autograd.grad(net(part).sum(), part)[0])
    return torch.cat(grads)


def save_detectors(path: str | Path, nets: dict[str, Detector], fingerprint: str, info: dict | None = None) -> Path:
    """Write detectors' weights (plain tensors) and what they were trained on, atomically."""
    state = {"format": FORMAT, "fingerprint": fingerprint, "info": info or {},
             "config": {name: asdict(net.cfg) for name, net in nets.items()},
             "weights": {name: net.state_dict() for name, net in nets.items()}}
    buffer = io.BytesIO()  # in memory first: a full disk then fails as a plain OSError
    torch.save(state, buffer)
    with atomic_write(path) as f:
        f.write(buffer.getbuffer())
    return Path(path)


def load_detectors(path: str | Path) -> tuple[dict[str, Detector], dict]:
    """Detectors saved by save_detectors and the rest of the file, or RunError with one line."""
    path = Path(path)
    state = safe_load(path, "detector")
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise RunError(f"{path} is not an aedemo detector")
    nets = {}
    try:
        for name, weights in state["weights"].items():
            nets[name] = Detector(DetectorConfig(**state["config"][name]))
            nets[name].load_state_dict(weights, strict=True)
            nets[name].eval()
    except (KeyError, TypeError, RuntimeError, AttributeError) as e:
        raise RunError(f"{path} is damaged: its weights do not fit a detector ({str(e).splitlines()[0][:80]})") from None
    return nets, state
