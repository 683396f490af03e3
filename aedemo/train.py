"""Training: new renders every step, one loss per decoder on its own identity.

    aedemo train --a blob --b robot --time 60           # the default recipe, about a minute
    aedemo train --a blob --b robot --steps 400 --out runs/x
    aedemo train --out runs/x --steps 800 --resume       # continue the same run to step 800

    from aedemo.train import TrainConfig, train
    run = train(TrainConfig(a="blob", b="robot", time=60), out="runs/blob-robot")
    run = train(TrainConfig(steps=200), out="runs/short", log=print)   # log: where its messages go
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields

import torch

from .align import Aligner, aligner_loss, crop_geometry
from .data import FramePool, make_batch
from .errors import RunError, UsageError
from .identities import get_identity
from .model import ModelConfig, SwapAutoencoder
from .pipeline import Pipeline
from .poses import make_generator

ALIGNER_LR_FACTOR = 2.0  # the aligner's learning rate relative to --lr (it learns best a little faster)
ALIGNER_FRAMES = 16      # frames per identity the aligner learns from each step (more: slower, no better)
DECAY_STEPS = 200        # steps over which the learning rate falls to DECAY_FLOOR of itself, from cfg.decay_at on
DECAY_FLOOR = 0.1
DEFAULT_SECONDS = 60.0   # the training budget when neither --time nor --steps is given
AUTOENCODER_BETAS = (0.5, 0.999)  # Adam momentum as faceswap sets it: leaves the early mean-face plateau sooner


@dataclass
class TrainConfig:
    """Every setting of a run; saved to config.json so the run can be reproduced."""

    a: str = "blob"                  # first identity (name or spec.json)
    b: str = "robot"                 # second identity
    more: tuple[str, ...] = ()       # further identities (K > 2)
    size: int = 64                   # frame size in pixels
    crop: int = 32                   # aligned crop size the autoencoder sees (32 beat 40 in a minute)
    latent: int = 32                 # shared code size (bottleneck)
    width: int = 24                  # channels of the first conv layer (24: 12 % quicker steps than 32)
    norm: bool = True                # GroupNorm in encoder and decoders
    encoders: str = "shared"         # "shared" or "separate" (the ablation)
    aligned: bool = True             # extract/align/paste pipeline; False = raw frames (naive)
    batch: int = 24                  # images per identity per step (24 beat 32: more steps a minute)
    lr: float = 2e-3                 # Adam learning rate (2e-3 beat 1e-3 and 3e-3 in a minute)
    decay_at: int = 800              # from this step the lr falls linearly to a tenth over DECAY_STEPS (0: never)
    warp: bool = False               # random warp on the encoder's input (faceswap; slower to learn)
    jitter: float = 0.5              # alignment noise during training (0.5 beat 0 and 1 in a minute)
    feature_weight: float = 20.0     # extra loss weight on the eyes+mouth region (20 beat 10)
    precision: str = "auto"          # "bf16", "fp32", or "auto" (bf16 on CPUs that support it)
    seed: int = 0                    # seeds weights, poses, warps: same seed, same run
    device: str = "auto"             # auto, cpu, cuda or mps
    steps: int | None = None         # total steps (with --resume: continue up to this)
    time: float | None = None        # wall-clock budget in seconds (with neither budget: DEFAULT_SECONDS)
    save_every: int = 50             # steps between previews, log rows and checkpoints
    identities: dict = field(default_factory=dict)   # filled in: name -> full spec, for portability

    def __post_init__(self):
        """With no budget at all, train for the default minute."""
        if self.steps is None and self.time is None:
            self.time = DEFAULT_SECONDS

    def names(self) -> list[str]:
        """Identity names in order."""
        return list(self.identities)

    def model_config(self) -> ModelConfig:
        """The architecture part of the settings."""
        return ModelConfig(crop=self.crop if self.aligned else self.size, latent=self.latent,
                           width=self.width, encoders=self.encoders, norm=self.norm)

    def to_dict(self) -> dict:
        """Plain dict for JSON."""
        d = asdict(self)
        d["more"] = list(self.more)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Rebuild from config.json, refusing unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise RunError(f"config has unknown settings: {', '.join(sorted(unknown))}")
        d = dict(d)
        d["more"] = tuple(d.get("more", ()))
        return cls(**d)


def check_config(cfg: TrainConfig) -> None:
    """Refuse settings that cannot work, with one line naming the option."""
    from .identities import identity_from_dict, identity_to_dict
    from .renderer import SIZES
    if not cfg.identities:
        ids = [get_identity(x) for x in (cfg.a, cfg.b, *cfg.more)]
        names = [i.name for i in ids]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup and len({ids[i] for i, n in enumerate(names) if n == dup[0]}) > 1:
            raise UsageError(f"two different characters are both named {dup[0]!r}; "
                             "change the \"name\" in one spec file")
        if dup:
            raise UsageError(f"identity {dup[0]!r} is given twice; a swap needs different characters")
        cfg.identities = {i.name: identity_to_dict(i) for i in ids}
    else:
        for spec in cfg.identities.values():
            identity_from_dict(spec)
    checks = [
        (SIZES[0] <= cfg.size <= SIZES[1], f"--size must be from {SIZES[0]} to {SIZES[1]}"),
        (16 <= cfg.crop <= 128, "--crop must be from 16 to 128"),
        (cfg.crop <= cfg.size or not cfg.aligned, "--crop must be at most --size: the crop is cut from the frame"),
        (1 <= cfg.latent <= 1024, "--latent must be from 1 to 1024"),
        (8 <= cfg.width <= 256 and cfg.width % 8 == 0, "--width must be a multiple of 8 from 8 to 256"),
        (1 <= cfg.batch <= 4096, "--batch must be from 1 to 4096"),
        (math.isfinite(cfg.lr) and 0 < cfg.lr <= 1.0, "--lr must be above 0 and at most 1"),
        (cfg.steps is None or cfg.steps >= 1, "--steps must be at least 1"),
        (cfg.decay_at >= 0, "--decay-at must be a step number, or 0 for a constant learning rate"),
        (cfg.time is None or (math.isfinite(cfg.time) and cfg.time > 0), "--time must be a positive number of seconds"),
        (cfg.save_every >= 1, "--save-every must be at least 1"),
        (cfg.encoders in ("shared", "separate"), "--encoders must be shared or separate"),
        (cfg.precision in ("auto", "bf16", "fp32"), "--precision must be auto, bf16 or fp32"),
        (0 <= cfg.feature_weight <= 1000, "--feature-weight must be from 0 to 1000"),
        (0 <= cfg.jitter <= 10, "jitter must be from 0 to 10"),
        (0 <= cfg.seed < 2 ** 63, "--seed must be from 0 to 2**63-1"),
    ]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)


def pick_device(name: str) -> torch.device:
    """auto -> cuda if present, else mps, else cpu; an explicit choice must exist."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA GPU is available here (try --device cpu)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UsageError("--device mps: Apple's Metal backend is not available here (try --device cpu)")
    if name not in ("cpu", "cuda", "mps"):
        raise UsageError(f"--device must be auto, cpu, cuda or mps, not {name!r}")
    return torch.device(name)


def lr_factor(cfg: TrainConfig, step: int) -> float:
    """How much of its learning rate step `step` uses: 1, then falling linearly to DECAY_FLOOR."""
    if not cfg.decay_at or step < cfg.decay_at:
        return 1.0
    return max(DECAY_FLOOR, 1.0 - (1.0 - DECAY_FLOOR) * (step - cfg.decay_at) / DECAY_STEPS)


def autocast_dtype(cfg: TrainConfig, device: torch.device) -> torch.dtype | None:
    """bf16 autocast where the hardware runs it fast, else None (fp32)."""
    if cfg.precision == "fp32":
        return None
    if cfg.precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        caps = torch.backends.cpu.get_cpu_capability().lower()
        return torch.bfloat16 if "avx512" in caps or "amx" in caps else None
    return None


class Trainer:
    """Model, aligner, optimizers and the data generator for one run."""

    def __init__(self, cfg: TrainConfig, device: torch.device):
        from .identities import identity_from_dict
        self.cfg, self.device = cfg, device
        self.identities = {n: identity_from_dict(s) for n, s in cfg.identities.items()}
        with torch.random.fork_rng(devices=[]):  # weight init: seeded, global state left as it was
            torch.manual_seed(cfg.seed)
            self.model = SwapAutoencoder(cfg.model_config(), cfg.names()).to(device)
            self.aligner = Aligner().to(device) if cfg.aligned else None
        self.geometry = crop_geometry(list(self.identities.values())) if cfg.aligned else None
        groups = [{"params": list(self.model.parameters()), "lr": cfg.lr, "betas": AUTOENCODER_BETAS}]
        if self.aligner is not None:  # landmarks learn best a little faster, with Adam's usual momentum (0.9)
            groups.append({"params": list(self.aligner.parameters()), "lr": ALIGNER_LR_FACTOR * cfg.lr})
        self.base_lrs = [group["lr"] for group in groups]
        fused = device.type in ("cpu", "cuda")  # one kernel for all parameters: a quarter of the time on CPU
        self.optimizer = torch.optim.Adam(groups, fused=fused)
        self.gen = make_generator(cfg.seed)
        self.pools = None  # rendered on the first step (or redrawn from a checkpoint's poses)
        self.dtype = autocast_dtype(cfg, device)
        self.step = 0

    def pipeline(self) -> Pipeline:
        """The current model as a frames-in, frames-out swap pipeline."""
        return Pipeline(self.model, self.aligner, self.geometry, self.cfg.size)

    def redraw_pools(self, saved: dict) -> None:
        """Render the frame pools again from the poses a checkpoint saved: a resumed run is exact."""
        if set(saved) != set(self.identities) or not all(isinstance(p, torch.Tensor) for p in saved.values()):
            raise ValueError("the frame pool does not match this run")
        self.pools = {n: FramePool(i, self.cfg, self.device, saved[n].float()) for n, i in self.identities.items()}

    def train_step(self) -> dict:
        """One optimisation step on a new batch; returns the losses."""
        if self.pools is None:
            self.pools = {n: FramePool.new(i, self.cfg, self.device, self.gen) for n, i in self.identities.items()}
        batch = make_batch(self.pools, self.cfg, self.gen, self.geometry, self.step)
        losses = {}
        with torch.autocast(self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None):
            total = 0.0
            for name, b in batch.items():
                out, mask = self.model(b["input"], name)
                loss = (b["weight"] * (out.float() - b["target"]).pow(2)).mean() / b["weight"].mean()
                loss = loss + 0.1 * (mask.float() - b["mask"]).pow(2).mean()
                losses[f"loss_{name}"] = loss
                total = total + loss
            if self.aligner is not None:
                frames = torch.cat([b["frames"][:ALIGNER_FRAMES] for b in batch.values()])
                truth = torch.cat([b["landmarks"][:ALIGNER_FRAMES] for b in batch.values()])
                losses["loss_align"] = aligner_loss(self.aligner.heatmaps(frames), truth)
                total = total + losses["loss_align"]
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        factor = lr_factor(self.cfg, self.step)
        for group, lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = lr * factor
        self.optimizer.step()
        self.step += 1
        return {k: float(v.detach()) for k, v in losses.items()}


def train(cfg: TrainConfig, out: str | None = None, resume: bool = False, progress: bool = True, log=None):
    """Train a run into the folder `out` and return it loaded (see aedemo.run.Run)."""
    from .runfolder import RunWriter
    check_config(cfg)
    writer = RunWriter.open(cfg, out, resume=resume)
    device = pick_device(cfg.device)
    trainer = Trainer(writer.cfg, device)
    writer.restore(trainer)
    return writer.loop(trainer, progress=progress, clock=time.monotonic, log=log)
