"""A trained run, loaded from its folder and ready to swap.

    import aedemo
    run = aedemo.load_run("samples/blob-robot")
    frames = aedemo.render("blob", aedemo.sample_poses(8, seed=0))
    robot_frames = run.swap(frames, to="robot")       # whole frames in, whole frames out
"""
from __future__ import annotations

from pathlib import Path

import torch

from .align import Aligner, crop_geometry
from .checkpoint import load_checkpoint, load_weights
from .errors import UsageError
from .identities import Identity, closest_names, identity_from_dict
from .model import SwapAutoencoder
from .pipeline import Pipeline
from .runfolder import read_config


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

    def identity(self, name: str) -> str:
        """Check that `name` is one of this run's identities (UsageError with a hint if not)."""
        if name not in self.identities:
            raise UsageError(f"{name!r} is not in this run{closest_names(name, self.identities)} "
                             f"(its identities: {', '.join(self.identities)})")
        return name

    def swap(self, frames: torch.Tensor, to: str, source: str | None = None) -> torch.Tensor:
        """Frames (n, 3, S, S) in [0, 1] -> the same poses drawn as `to` (on the run's device)."""
        if frames.ndim != 4 or frames.shape[1] != 3 or frames.shape[-1] != self.config.size:
            raise UsageError(f"expected frames of shape (n, 3, {self.config.size}, {self.config.size}), "
                             f"got {tuple(frames.shape)}")
        if source is not None:
            self.identity(source)
        return self.pipeline.swap(frames, to=self.identity(to), source=source)

    def reconstruct(self, frames: torch.Tensor, identity: str) -> torch.Tensor:
        """Frames of `identity` passed through its own decoder."""
        return self.swap(frames, to=identity, source=identity)


def load_run(path: str | Path, device: str | torch.device = "cpu", best: bool = False) -> Run:
    """Load a run folder (config.json + checkpoint.pt, or checkpoint.best.pt with best=True)."""
    path = Path(path)
    config = read_config(path)
    file = path / ("checkpoint.best.pt" if best else "checkpoint.pt")
    state = load_checkpoint(file)
    identities = [identity_from_dict(s) for s in config.identities.values()]
    model = SwapAutoencoder(config.model_config(), [i.name for i in identities])
    load_weights(model, state["model"], "model", file)
    aligner = None
    if config.aligned:
        aligner = Aligner()
        load_weights(aligner, state["aligner"], "aligner", file)
        aligner.to(device).eval()
    model.to(device).eval()
    geometry = crop_geometry(identities) if config.aligned else None
    return Run(path, config, Pipeline(model, aligner, geometry, config.size), int(state["step"]))
