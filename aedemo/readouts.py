"""Readouts: small CNNs that read the identity and all 9 pose factors back from a picture.

    from aedemo.readouts import accuracy, read, train
    readouts = train(run.identities, size=64) # about 300 steps; aedemo.cache keeps them

    out = read(readouts, images)              # {"identity": index per image, "factors": {name: values}}
    accuracy(readouts, run.identities)        # how well they read clean held-out renders

Face-swap papers score swaps with networks trained for other jobs (identity retrieval, pose and
expression estimators). We do the same with networks trained on clean renders of the run's own
characters only, so they never saw a swap. One reads identity and head pose from the frame; the
other reads the expression from the face cut out at that head pose (as aedemo.align does).
Their numbers only mean something if they read clean renders well, so `accuracy` measures that
on the held-out poses.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .align import Geometry, crop
from .data import heldout_poses, heldout_renders, jitter_head
from .identities import Identity
from .metrics import r2_score
from .poses import FACTORS, HEAD_FACTORS, cat_poses, index_poses, make_generator, sample_poses
from .renderer import render
from .speed import one_thread

VISIBLE_EYE = 0.5   # gaze is only scored where the eyes are at least half open (shut eyes hide it)
IDENTITY_BAR = 0.99  # readouts are trusted if they name the character of clean renders this often...
FACTOR_BAR = 0.95    # ...and read every pose factor of clean renders with at least this R^2
CAST_IMAGES = 128    # renders a training step reads at most: a cast of 8 gets 16 each, so its readouts train in
                     # the time a cast of 4's do (the readout settings, and so the cache key, of 2 to 4 stay as they were)


@dataclass
class ReadoutConfig:
    """How the readout networks are built and trained."""

    width: int = 16          # channels of the first conv layer of each network
    crop: int = 32           # side of the aligned face crop the expression network reads
    steps: int = 300         # optimisation steps
    batch: int = 32          # fresh renders per identity per step
    jitter: float = 1.0      # head-pose noise on training crops, like the head network's errors
    lr: float = 3e-3         # peak Adam learning rate (one-cycle schedule)
    seed: int = 0            # seeds weights, training poses and jitter


HEAD = [k for k in FACTORS if k in HEAD_FACTORS]
FACE = [k for k in FACTORS if k not in HEAD_FACTORS]
FACE_BOX = Geometry(center_v=0.15, half=0.8)  # eyes and mouth, in head units (see aedemo.align)
LOW = torch.tensor([f.low for f in FACTORS.values()])
SPAN = torch.tensor([f.high - f.low for f in FACTORS.values()])


def convnet(size: int, width: int, outputs: int) -> nn.Sequential:
    """Four stride-2 conv layers, then a small MLP: (n, 3, size, size) -> (n, outputs)."""
    layers, cin = [], 3
    for cout in (width, 2 * width, 2 * width, 4 * width):
        layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
        cin = cout
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * (-(-size // 16)) ** 2, 256), nn.ReLU(),
                         nn.Linear(256, outputs))


class Readouts(nn.Module):
    """Read identity and head pose from the frame, then expression from the aligned face."""

    def __init__(self, names: list[str], size: int, width: int = 16, crop: int = 32):
        super().__init__()
        self.names, self.size, self.crop = list(names), size, crop
        self.head = convnet(size, width, len(self.names) + len(HEAD))
        self.face = convnet(crop, 2 * width, len(FACE))

    def read_head(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Identity logits (n, K) and head factors scaled to [0, 1] (n, 4)."""
        out = self.head(images)
        return out[:, :len(self.names)], out[:, len(self.names):]

    def read_face(self, images: torch.Tensor, head: dict) -> torch.Tensor:
        """Expression factors scaled to [0, 1] (n, 5), from the face cut out at `head`."""
        return self.face(crop(images, head, FACE_BOX, self.crop))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Identity logits (n, K) and all factors scaled to [0, 1] (n, 9), in FACTORS order."""
        logits, head = self.read_head(images)
        face = self.read_face(images, unscaled(head, HEAD))
        return logits, torch.cat([head, face], 1)


def scaled(poses: dict, names=tuple(FACTORS)) -> torch.Tensor:
    """Pose factors as an (n, len(names)) tensor mapped to [0, 1] by each factor's range."""
    index = [list(FACTORS).index(k) for k in names]
    return (torch.stack([poses[k] for k in names], 1) - LOW[index]) / SPAN[index]


def unscaled(values: torch.Tensor, names=tuple(FACTORS)) -> dict:
    """The inverse of `scaled`: a dict of factors in their own units."""
    index = [list(FACTORS).index(k) for k in names]
    values = values * SPAN[index].to(values.device) + LOW[index].to(values.device)
    return {k: values[:, j] for j, k in enumerate(names)}


def new_readouts(names: list[str], size: int, cfg: ReadoutConfig) -> Readouts:
    """Freshly initialised readouts, seeded without touching the global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        return Readouts(names, size, cfg.width, cfg.crop)


def train(identities: dict[str, Identity], size: int, cfg: ReadoutConfig | None = None,
          device: torch.device | str = "cpu") -> Readouts:
    """Train the readouts on fresh clean renders of `identities` at `size` pixels."""
    cfg, device = cfg or ReadoutConfig(), torch.device(device)
    gen = make_generator(cfg.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        net = Readouts(list(identities), size, cfg.width, cfg.crop).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.15)
    with one_thread():
        net.train()
        for _ in range(cfg.steps):
            train_step(net, opt, identities, size, cfg, gen, device)
            sched.step()
    return net.eval()


def train_step(net: Readouts, opt, identities: dict, size: int, cfg: ReadoutConfig, gen, device) -> None:
    """One step on fresh renders: identity and head pose from frames, expression from jittered crops."""
    poses = cat_poses([sample_poses(cfg.batch, rng=gen) for _ in identities])
    images = torch.cat([render(i, index_poses(poses, slice(k * cfg.batch, (k + 1) * cfg.batch)), size=size,
                               device=device) for k, i in enumerate(identities.values())])
    labels = torch.arange(len(identities)).repeat_interleave(cfg.batch).to(device)
    logits, head = net.read_head(images)
    jittered = jitter_head({k: poses[k] for k in HEAD}, gen, cfg.jitter)
    face = net.read_face(images, {k: v.to(device) for k, v in jittered.items()})
    loss = (F.cross_entropy(logits, labels) + 10 * F.mse_loss(head, scaled(poses, HEAD).to(device))
            + 10 * F.mse_loss(face, scaled(poses, FACE).to(device)))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


@torch.no_grad()
def read(net: Readouts, images: torch.Tensor) -> dict:
    """Identity index per image and each factor in its own units."""
    device = next(net.parameters()).device
    logits, factors = [], []
    for part in images.split(256):
        lg, fs = net(part.to(device, torch.float32))
        logits.append(lg.cpu())
        factors.append(fs.cpu())
    return {"identity": torch.cat(logits).argmax(1), "factors": unscaled(torch.cat(factors))}


def factor_scores(read_factors: dict, poses: dict) -> dict:
    """Per factor R^2 and mean absolute error of read values against the true ones; gaze only
    where the eyes are at least half open."""
    visible = poses["eye_open"] >= VISIBLE_EYE
    scores = {}
    for k in FACTORS:
        keep = visible if k.startswith("gaze") else torch.ones_like(visible)
        pred, true = read_factors[k][keep].float(), poses[k][keep].float()
        scores[k] = {"r2": r2_score(pred, true), "mae": float((pred - true).abs().mean())}
    return scores


def accuracy(net: Readouts, identities: dict[str, Identity], n: int = 256) -> dict:
    """How well the readouts read clean renders at the held-out poses (never trained on)."""
    poses = heldout_poses(n)
    correct, factors = [], []
    for k, identity in enumerate(identities.values()):
        out = read(net, heldout_renders(identity, n, net.size)[0])
        correct.append((out["identity"] == k).float())
        factors.append(out["factors"])
    both = {k: torch.cat([f[k] for f in factors]) for k in FACTORS}
    repeated = {k: v.repeat(len(identities)) for k, v in poses.items()}
    return {"identity_accuracy": float(torch.cat(correct).mean()), "factors": factor_scores(both, repeated)}


def below_bar(acc: dict) -> list[str]:
    """The readouts that miss their bar on clean renders: "identity" and/or pose factor names."""
    low = [k for k, v in acc["factors"].items() if v["r2"] < FACTOR_BAR]
    return (["identity"] if acc["identity_accuracy"] < IDENTITY_BAR else []) + low


def good_enough(acc: dict) -> bool:
    """The bar for trusting readouts: identity >= IDENTITY_BAR and every factor R^2 >= FACTOR_BAR."""
    return not below_bar(acc)


def readout_config(steps: int | None = None, characters: int = 2) -> ReadoutConfig:
    """The readouts' settings, trained for `steps` steps instead of the default if given; a cast of
    more than CAST_IMAGES // batch characters shares that many renders a step out among them."""
    cfg = ReadoutConfig(steps=steps) if steps else ReadoutConfig()
    return dataclasses.replace(cfg, batch=min(cfg.batch, max(1, CAST_IMAGES // characters)))
