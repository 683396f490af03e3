"""Every setting of a training run, each defined once: its default, its option and its check.

    cfg = TrainConfig(a="blob", b="robot", time=60)
    check(cfg)                                   # UsageError naming the option, if a setting cannot work
    cfg = with_identities(cfg)                   # the characters' full specs, so config.json travels
    command_line(cfg, steps=1000, out="runs/x")  # the command that trains this run again

The click options of `aedemo train` and the reproduce line in config.json are both made from
the fields below, so a default or a help text is written in one place only. This module does
not import torch: `aedemo --help` reads it.
"""
from __future__ import annotations

import dataclasses
import math
import shlex
from dataclasses import asdict, dataclass, field, fields

from .errors import RunError, UsageError
from .identities import get_identity, identity_from_dict, identity_to_dict

DEFAULT_SECONDS = 60.0   # the training budget when neither --time nor --steps is given
SIZES = (32, 128)        # smallest and largest frame size the renderer draws


def setting(default, help: str = "", option: str | None = None, resumable: bool = False, **click_args):
    """A config field with its command-line option: `option` False = not on the command line."""
    meta = {"help": help, "option": option, "resumable": resumable, "click": click_args}
    if isinstance(default, (dict, tuple)):
        return field(default_factory=type(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class TrainConfig:
    """Every setting of a run; saved to config.json so the run can be reproduced."""

    a: str = setting("blob", "First identity (name or spec.json).", metavar="NAME")
    b: str = setting("robot", "Second identity.", metavar="NAME")
    more: tuple[str, ...] = setting((), "A further identity (repeatable).", option="--identity", metavar="NAME")
    steps: int | None = setting(None, "Total steps of the run (with --resume: continue up to this).", resumable=True)
    time: float | None = setting(None, "Training budget in seconds [default: 60 unless --steps]; with both, "
                                 "whichever ends first.", resumable=True)
    size: int = setting(64, "Frame size in pixels (32-128).")
    crop: int = setting(32, "Aligned crop size the autoencoder sees.")
    latent: int = setting(32, "Size of the shared code (bottleneck).")
    width: int = setting(24, "Channels of the first conv layer (multiple of 8).")
    norm: bool = setting(True, option=False)            # GroupNorm in encoder and decoders
    batch: int = setting(24, "Images per identity per step.")
    lr: float = setting(2e-3, "Adam learning rate.")
    decay_at: int = setting(800, "From this step the learning rate falls to a tenth over 200 steps (0: never).",
                            metavar="STEP")
    warp: bool = setting(False, "faceswap-style random warp on the encoder's input.", option="--warp/--no-warp")
    encoders: str = setting("shared", "One shared encoder (the real thing) or one per identity (the ablation).",
                            choices=("shared", "separate"))
    aligned: bool = setting(True, "aligned: extract, align, swap, paste back. frame: the autoencoder sees raw "
                            "frames.", option="--pipeline", choices=("aligned", "frame"))
    aligner_start: str = setting("pretrained", "Start the aligner from the one aedemo ships (trained on many "
                                 "characters, as real tools ship theirs) or from scratch.", option="--aligner",
                                 choices=("pretrained", "scratch"))
    jitter: float = setting(0.5, option=False)          # alignment noise on training crops, like an aligner's errors
    feature_weight: float = setting(20.0, "Extra loss weight on eyes and mouth.")
    edge_weight: float = setting(0.0, "Weight of a loss on image gradients beside the pixel loss: sharper edges?")
    gan: bool = setting(False, "Add a patch critic per character whose judgement sharpens the decoders (a GAN loss).",
                        option="--gan/--no-gan")
    gan_weight: float = setting(0.003, "Weight of the critic's judgement beside the pixel loss (with --gan).")
    gan_start: int = setting(300, "Step the critics start at (with --gan): by then the decoders have left the mean "
                             "face that every code first gets.", metavar="STEP")
    precision: str = setting("auto", "bf16 autocast where the CPU/GPU supports it.", choices=("auto", "bf16", "fp32"))
    seed: int = setting(0, "Same seed, same run.")
    device: str = setting("auto", "Where to train.", choices=("auto", "cpu", "cuda", "mps"))
    threads: str = setting("auto", "CPU threads: a number, or the schedule a run's reproduce line gives (2,1@40: two "
                           "threads, one from step 40). auto: all cores; a timed run drops to one on a busy CPU.")
    save_every: int = setting(50, "Steps between previews and checkpoints.", resumable=True)
    identities: dict = setting({}, option=False)        # filled in: name -> full spec, for portability

    def __post_init__(self):
        """With no budget at all, train for the default minute."""
        if self.steps is None and self.time is None:
            self.time = DEFAULT_SECONDS

    def names(self) -> list[str]:
        """Identity names in order."""
        return list(self.identities)

    def to_dict(self) -> dict:
        """Plain dict for JSON."""
        d = asdict(self)
        d["more"] = list(self.more)
        return d


def option_name(f: dataclasses.Field) -> str | None:
    """The command-line option of a config field (None: it has none)."""
    option = f.metadata["option"]
    return None if option is False else option or "--" + f.name.replace("_", "-")


RESUMABLE = tuple(f.name for f in fields(TrainConfig) if f.metadata["resumable"])  # what --resume may change


def with_identities(cfg: TrainConfig) -> TrainConfig:
    """The config with every character's full spec filled in (names must be of different characters)."""
    if cfg.identities:
        return cfg
    ids = [get_identity(x) for x in (cfg.a, cfg.b, *cfg.more)]
    names = [i.name for i in ids]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup and len({ids[i] for i, n in enumerate(names) if n == dup[0]}) > 1:
        raise UsageError(f"two different characters are both named {dup[0]!r}; change the \"name\" in one spec file")
    if dup:
        raise UsageError(f"identity {dup[0]!r} is given twice; a swap needs different characters")
    return dataclasses.replace(cfg, identities={i.name: identity_to_dict(i) for i in ids})


def check(cfg: TrainConfig) -> None:
    """Refuse settings that cannot work, with one line naming the option."""
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
        (cfg.aligner_start in ("pretrained", "scratch"), "--aligner must be pretrained or scratch"),
        (cfg.precision in ("auto", "bf16", "fp32"), "--precision must be auto, bf16 or fp32"),
        (0 <= cfg.feature_weight <= 1000, "--feature-weight must be from 0 to 1000"),
        (math.isfinite(cfg.edge_weight) and 0 <= cfg.edge_weight <= 100, "--edge-weight must be from 0 to 100"),
        (math.isfinite(cfg.gan_weight) and 0 <= cfg.gan_weight <= 100, "--gan-weight must be a number from 0 to 100"),
        (cfg.gan_start >= 0, "--gan-start must be a step number, 0 or more"),
        (0 <= cfg.jitter <= 10, "jitter must be from 0 to 10"),
        (0 <= cfg.seed < 2 ** 63, "--seed must be from 0 to 2**63-1"),
        (cfg.threads == "auto" or thread_schedule(cfg.threads) is not None,
         "--threads must be auto, a number of threads, or a schedule like 2,1@40"),
    ]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)


SETTING_TYPES = {"int": ((int,), "a whole number"), "float": ((int, float), "a number"),
                 "bool": ((bool,), "true or false"), "str": ((str,), "a string"), "dict": ((dict,), "a JSON object"),
                 "tuple[str, ...]": ((list,), "a list")}


def config_from_dict(settings) -> TrainConfig:
    """Rebuild a config from config.json's settings, refusing unknown keys and wrong JSON types."""
    if not isinstance(settings, dict):
        raise RunError("'settings' must be a JSON object")
    unknown = set(settings) - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise RunError(f"config has unknown settings: {', '.join(sorted(unknown))}")
    for f in fields(TrainConfig):
        value = settings.get(f.name)
        if f.name not in settings or (value is None and "None" in f.type):
            continue
        kinds, label = SETTING_TYPES.get(f.type.replace(" | None", ""), ((object,), "valid"))
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise RunError(f"setting '{f.name}' must be {label}, not {value!r:.60}")
        if isinstance(value, int) and not -2**63 <= value < 2**63:
            raise RunError(f"setting '{f.name}' is too large ({value!r:.30})")
    more, identities = settings.get("more", []), settings.get("identities", {})
    if not all(isinstance(name, str) for name in more):
        raise RunError("setting 'more' must be a list of identity names")
    if identities and (len(identities) < 2 or any(not isinstance(s, dict) or s.get("name") != n
                                                  for n, s in identities.items())):
        raise RunError("setting 'identities' must map two or more names to their specs")
    older = {"aligner_start": "scratch"}  # what runs saved before the setting existed did
    return TrainConfig(**{**older, **settings, "more": tuple(more)})


def thread_schedule(text: str) -> list[tuple[int, int]] | None:
    """'2,1@40' -> [(0, 2), (40, 1)]: from which step on how many threads; None if it is not one."""
    changes = []
    for i, item in enumerate(text.split(",")):
        count, _, step = item.strip().partition("@")
        if not count.isdigit() or int(count) < 1 or (i > 0) != bool(step) or (step and not step.isdigit()):
            return None
        changes.append((int(step or 0), int(count)))
    steps = [step for step, _ in changes]
    return changes if steps == sorted(set(steps)) else None


def schedule_text(changes: list) -> str:
    """[(0, 2), (40, 1)] -> '2,1@40'."""
    return ",".join(f"{count}@{step}" if i else str(count) for i, (step, count) in enumerate(changes))


def command_line(cfg: TrainConfig, steps: int, out, threads: list) -> str:
    """The `aedemo train` command that trains this run again, step for step: its settings, the
    steps it made and the threads each step ran on (one and two threads round differently)."""
    parts = ["aedemo", "train"]
    for f in fields(TrainConfig):
        option, value = option_name(f), getattr(cfg, f.name)
        if option is None or f.name in ("time", "device"):  # a --steps budget replaces the clock; any device
            continue
        if f.name == "steps":
            parts += [option, str(steps)]
        elif f.name == "threads":
            parts += [option, schedule_text(threads) if threads else value]
        elif f.name == "more":
            parts += [x for name in value for x in (option, name)]
        elif f.name == "aligned":
            parts += [option, "aligned" if value else "frame"]
        elif isinstance(value, bool):
            parts.append(option.split("/")[0 if value else 1])
        else:
            parts += [option, repr(value) if isinstance(value, float) else str(value)]
    return shlex.join(parts + ["--out", str(out)])
