"""A trained run, loaded from its folder and ready to swap.

    import aedemo
    run = aedemo.load_run("samples/blob-robot")
    frames = aedemo.render("blob", aedemo.sample_poses(8, seed=0))
    robot_frames = run.swap(frames, to="robot")       # whole frames in, whole frames out
    codes, heads = run.encode(frames)                 # the swap in two steps: the shared codes...
    robot_frames = run.decode(codes, to="robot", frames=frames, heads=heads)   # ...drawn by robot
    aedemo.grid([("blob", frames), ("as robot", robot_frames)], synthetic={1})  # a picture to save or show
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .checkpoint import load_checkpoint, load_weights
from .errors import UsageError
from .folder import read_config
from .identities import Identity, closest_names, identity_from_dict, load_spec
from .model import SwapAutoencoder
from .pipeline import Pipeline, build_pipeline
from .speed import pick_device


class Run:
    """A run folder's config, identities and trained pipeline."""

    def __init__(self, path: Path, config, pipeline: Pipeline, step: int):
        self.path, self.config, self.pipeline, self.step = path, config, pipeline, step
        self.identities: dict[str, Identity] = {n: identity_from_dict(s) for n, s in config.identities.items()}

    @property
    def model(self) -> SwapAutoencoder:
        """The swap autoencoder."""
        return self.pipeline.model

    @property
    def device(self) -> torch.device:
        """Where the weights live."""
        return self.pipeline.device

    def __repr__(self) -> str:
        """Where the run is, its identities and how far it trained."""
        return f"Run({str(self.path)!r}: {', '.join(self.identities)}, step {self.step})"

    def identity(self, name: str, option: str = "") -> str:
        """This run's name for `name`, given exactly, in any case, or as the path of its spec file
        (UsageError with a hint if it is none of them; `option` names the option in the message)."""
        if not isinstance(name, str):
            raise UsageError(f"name an identity as text, e.g. {next(iter(self.identities))!r} "
                             f"(got {type(name).__name__})")
        by_case = {n.lower(): n for n in self.identities}
        if name.endswith(".json"):  # the spec file a character came from; a missing file says so
            name = load_spec(name).name
        if name.lower() in by_case:
            return by_case[name.lower()]
        raise UsageError(f"{option + ' ' if option else ''}{name!r} is not in this run"
                         f"{closest_names(name, self.identities)} (its identities: {', '.join(self.identities)})")

    def check_frames(self, frames) -> torch.Tensor:
        """`frames` as a tensor (n, 3, S, S) of floats in [0, 1], or a UsageError saying what is wrong."""
        if isinstance(frames, np.ndarray):
            frames = torch.from_numpy(frames)
        if not isinstance(frames, torch.Tensor):
            raise UsageError(f"frames must be a tensor (n, 3, S, S), e.g. from aedemo.render, "
                             f"not a {type(frames).__name__}")
        s = self.config.size
        if frames.ndim != 4 or tuple(frames.shape[1:]) != (3, s, s) or len(frames) == 0:
            raise UsageError(f"expected frames of shape (n, 3, {s}, {s}) with n >= 1, got {tuple(frames.shape)}")
        if not frames.is_floating_point():
            raise UsageError(f"frames must be floats in [0, 1], not {frames.dtype} (divide 0-255 pictures by 255)")
        if not torch.isfinite(frames).all():
            raise UsageError("frames hold NaN or infinite values")
        low, high = float(frames.min()), float(frames.max())
        if low < -0.01 or high > 1.01:
            raise UsageError(f"frames must be in [0, 1], these go from {low:.3g} to {high:.3g} "
                             + ("(divide 0-255 pictures by 255)" if high > 2 else "(clamp them to [0, 1])"))
        return frames

    def swap(self, frames: torch.Tensor, to: str, source: str | None = None) -> torch.Tensor:
        """Frames (n, 3, S, S) in [0, 1] -> the same poses drawn as `to` (on the run's device).
        `source` names whose frames these are; only separate encoders need it."""
        frames = self.check_frames(frames)
        source = None if source is None else self.identity(source)
        return self.pipeline.swap(frames, to=self.identity(to), source=source)

    def swap_all(self, frames: torch.Tensor, source: str | None = None) -> dict[str, torch.Tensor]:
        """Frames (n, 3, S, S) in [0, 1] -> {name: the same poses drawn as that character} for every
        character of the run, encoded once (what swap() gives for each, at a fraction of the cost)."""
        frames = self.check_frames(frames)
        return self.pipeline.swap_all(frames, source=None if source is None else self.identity(source))


    def encode(self, frames: torch.Tensor, source: str | None = None) -> tuple[torch.Tensor, dict | None]:
        """Frames (n, 3, S, S) in [0, 1] -> their shared codes (n, latent) and the head poses the
        aligner read (None for a run without alignment). `source`: only separate encoders need it."""
        frames = self.check_frames(frames).to(self.device)
        source = None if source is None else self.identity(source)
        if self.config.encoders != "shared" and source is None:
            raise UsageError("this run has one encoder per character: say whose frames these are with source=")
        return self.pipeline.encode(frames, source)

    def decode(self, codes: torch.Tensor, to: str, frames: torch.Tensor | None = None,
               heads: dict | None = None) -> torch.Tensor:
        """Codes drawn by `to`'s decoder: the aligned crops (n, 3, crop, crop), or, given the frames
        and head poses they were encoded from, whole frames with the new face pasted in."""
        latent = self.config.latent
        if not isinstance(codes, torch.Tensor) or codes.ndim != 2 or codes.shape[1] != latent or len(codes) == 0:
            shape = tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes).__name__
            raise UsageError(f"expected codes of shape (n, {latent}) as run.encode returns them, got {shape}")
        if (frames is None) != (heads is None) and self.config.aligned:
            raise UsageError("give both frames= and heads= (as run.encode returned them) to paste into frames, "
                             "or neither for the crops")
        if frames is not None:
            frames = self.check_frames(frames).to(self.device)
            if len(frames) != len(codes):
                raise UsageError(f"{len(codes)} codes but {len(frames)} frames: give one frame per code")
        return self.pipeline.decode(codes.to(self.device, torch.float32), self.identity(to), frames, heads)


def load_run(path: str | Path, device: str | torch.device = "cpu", best: bool = False) -> Run:
    """Load a run folder (config.json + checkpoint.pt, or checkpoint.best.pt with best=True)."""
    path = Path(path)
    device = pick_device(device) if isinstance(device, str) else device
    config = read_config(path)
    file = path / ("checkpoint.best.pt" if best else "checkpoint.pt")
    state = load_checkpoint(file)
    pipeline = build_pipeline(config, device)
    load_weights(pipeline.model, state["model"], "model", file)
    if pipeline.aligner is not None:
        load_weights(pipeline.aligner, state["aligner"], "aligner", file)
        pipeline.aligner.eval()
    pipeline.model.eval()
    return Run(path, config, pipeline, int(state["step"]))
