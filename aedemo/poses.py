"""Pose factors: what changes from frame to frame, shared by every identity.

    from aedemo import FACTORS, sample_poses, motion
    poses = sample_poses(8, seed=0)        # dict factor -> tensor of shape (8,)
    talking = motion("talk", frames=24)    # the same kind of dict, one entry per frame

Head pose (x, y, scale, roll) says where the head is; expression (gaze, eyes, mouth, smile)
is what the swap has to transfer.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import torch

from .errors import UsageError
from .identities import closest_names


@dataclass(frozen=True)
class Factor:
    """One named pose factor with its valid range, neutral value and meaning."""

    name: str
    low: float
    high: float
    neutral: float
    help: str


FACTORS: dict[str, Factor] = {
    f.name: f
    for f in [
        Factor("x", -0.22, 0.22, 0.0, "head position, left (-) to right (+), fraction of half the frame"),
        Factor("y", -0.22, 0.22, 0.0, "head position, up (-) to down (+), fraction of half the frame"),
        Factor("scale", 0.8, 1.2, 1.0, "head size relative to the default"),
        Factor("roll", -30.0, 30.0, 0.0, "head tilt in degrees, clockwise (+)"),
        Factor("gaze_x", -1.0, 1.0, 0.0, "pupils look left (-) or right (+)"),
        Factor("gaze_y", -1.0, 1.0, 0.0, "pupils look up (-) or down (+)"),
        Factor("eye_open", 0.0, 1.0, 1.0, "0 = eyes shut, 1 = wide open"),
        Factor("mouth_open", 0.0, 1.0, 0.0, "0 = closed, 1 = wide open"),
        Factor("smile", -1.0, 1.0, 0.3, "-1 = frown, 0 = flat, 1 = big smile"),
    ]
}
HEAD_FACTORS = ("x", "y", "scale", "roll")
EXPRESSION_FACTORS = ("gaze_x", "gaze_y", "eye_open", "mouth_open", "smile")
MOTIONS = ("talk", "nod", "blink", "look", "tour")

Poses = dict[str, torch.Tensor]


def make_generator(seed: int | None = None) -> torch.Generator:
    """A CPU generator seeded with `seed`, or from OS entropy when seed is None."""
    gen = torch.Generator()
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(int(seed))
    return gen


def sample_poses(n: int, seed: int | None = None, rng: torch.Generator | None = None,
                 fixed: dict[str, float] | None = None) -> Poses:
    """Draw n poses uniformly within each factor's range; `fixed` pins some factors."""
    n = check_count(n)
    fixed = {} if fixed is None else fixed
    check_values(fixed)
    gen = rng if rng is not None else make_generator(seed)
    poses = {}
    for name, f in FACTORS.items():  # always the same draw order, so a seed means one thing
        u = torch.rand(n, generator=gen)
        poses[name] = torch.full((n,), float(fixed[name])) if name in fixed else f.low + (f.high - f.low) * u
    return poses


def neutral_poses(n: int, **values: float) -> Poses:
    """n copies of the neutral pose, with some factors set to given values."""
    n = check_count(n)
    check_values(values)
    return {name: torch.full((n,), float(values.get(name, f.neutral))) for name, f in FACTORS.items()}


def check_count(n) -> int:
    """n as an int, or UsageError unless it is a whole number of poses, at least 1."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise UsageError(f"the number of poses must be a whole number, at least 1, not {n!r}")
    return int(n)


def unknown_factor(name) -> UsageError:
    """The error for a factor name that does not exist, with a did-you-mean hint."""
    return UsageError(f"unknown factor {name!r}{closest_names(str(name), FACTORS)} (factors: {', '.join(FACTORS)})")


def check_values(values: dict[str, float]) -> None:
    """Raise UsageError naming the first unknown factor, non-number or out-of-range value."""
    if not isinstance(values, dict):
        raise UsageError(f"pose values must be a dict of factor -> number, e.g. {{'mouth_open': 1.0}}, "
                         f"not a {type(values).__name__}")
    for name, value in values.items():
        if name not in FACTORS:
            raise unknown_factor(name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise UsageError(f"{name} must be a number, not {value!r}")
        f = FACTORS[name]
        if not (math.isfinite(value) and f.low <= value <= f.high):
            raise UsageError(f"{name}={value} is out of range; {name} goes from {f.low:g} to {f.high:g} ({f.help})")


def check_poses(poses: Poses) -> int:
    """Raise UsageError unless `poses` holds every factor, and only those, as tensors of one
    shape (n,); return n."""
    if not isinstance(poses, dict):
        raise UsageError(f"poses must be a dict of factor -> tensor (see sample_poses), not a {type(poses).__name__}")
    unknown = [k for k in poses if k not in FACTORS]
    if unknown:
        raise unknown_factor(unknown[0])
    missing = [k for k in FACTORS if k not in poses]
    if missing:
        raise UsageError(f"poses lack the factors: {', '.join(missing)}")
    shapes = {tuple(v.shape) if isinstance(v, torch.Tensor) else None for v in poses.values()}
    shape = shapes.pop() if len(shapes) == 1 else None
    if shape is None or len(shape) != 1 or shape[0] == 0:
        raise UsageError("every factor must be a tensor of the same shape (n,), n >= 1; neutral_poses(n, "
                         "mouth_open=1.0) or sample_poses(n, fixed={...}) build one")
    return len(poses["x"])


def index_poses(poses: Poses, index) -> Poses:
    """Select the same rows of every factor."""
    return {k: v[index] for k, v in poses.items()}


def cat_poses(parts: list[Poses]) -> Poses:
    """Concatenate pose dicts along the batch."""
    return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}


def _wave(t: torch.Tensor, cycles: float) -> torch.Tensor:
    """A smooth 0..1..0 wave over t in [0, 1)."""
    return 0.5 - 0.5 * torch.cos(2 * math.pi * cycles * t)


def motion(name: str, frames: int = 24) -> Poses:
    """A pose sequence for animations: talk, nod, blink, look or tour (all of them)."""
    if name not in MOTIONS:
        raise UsageError(f"unknown motion {name!r}; motions are: {', '.join(MOTIONS)}")
    if frames < 2:
        raise UsageError("an animation needs at least 2 frames")
    t = torch.arange(frames) / frames
    poses = neutral_poses(frames)
    if name == "talk":
        poses["mouth_open"] = 0.9 * _wave(t, 3) ** 0.7
        poses["smile"] = 0.2 + 0.4 * torch.sin(2 * math.pi * t)
    elif name == "nod":
        poses["y"] = 0.12 * torch.sin(2 * math.pi * 2 * t)
        poses["roll"] = 12.0 * torch.sin(2 * math.pi * t)
        poses["gaze_y"] = 0.6 * torch.sin(2 * math.pi * 2 * t)
    elif name == "blink":
        poses["eye_open"] = 1.0 - _wave(t, 2) ** 3
    elif name == "look":
        poses["gaze_x"] = torch.sin(2 * math.pi * t)
        poses["gaze_y"] = 0.7 * torch.sin(4 * math.pi * t)
        poses["x"] = 0.08 * torch.sin(2 * math.pi * t)
    else:  # tour: every factor moves, the head drifts, the face talks, blinks and looks
        poses["x"] = 0.15 * torch.sin(2 * math.pi * t)
        poses["y"] = 0.1 * torch.sin(4 * math.pi * t)
        poses["scale"] = 1.0 + 0.15 * torch.sin(2 * math.pi * t + 1.0)
        poses["roll"] = 20.0 * torch.sin(2 * math.pi * t + 2.0)
        poses["gaze_x"] = torch.sin(6 * math.pi * t)
        poses["gaze_y"] = 0.8 * torch.cos(4 * math.pi * t)
        poses["eye_open"] = 1.0 - _wave(t, 3) ** 4
        poses["mouth_open"] = 0.9 * _wave(t, 4) ** 0.7
        poses["smile"] = torch.sin(2 * math.pi * t)
    return {k: v.float() for k, v in poses.items()}


def parse_settings(settings: list[str] | tuple[str, ...]) -> dict[str, float]:
    """Parse FACTOR=VALUE strings (from `--set`) into checked numbers."""
    values = {}
    for item in settings:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set needs FACTOR=VALUE, like mouth_open=0.8; got {item!r}")
        if name not in FACTORS:
            raise UsageError(f"unknown factor {name!r}{closest_names(name, FACTORS)} (factors: {', '.join(FACTORS)})")
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{name}={text!r} is not a number") from None
        check_values({name: value})
        values[name] = value
    return values
