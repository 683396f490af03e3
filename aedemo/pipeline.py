"""The whole swap on frames: extract (align) -> encode -> decode as the target -> convert (paste).

    pipe = build_pipeline(cfg, device)               # untrained: model, aligner and crop geometry of a run
    out = pipe.swap(frames, to="robot")              # whole frames in, whole frames out
    codes, head = pipe.encode(frames)                # the same in two steps: codes and head poses...
    out = pipe.decode(codes, "robot", frames, head)  # ...drawn by robot's decoder, pasted back
    crops, head = pipe.extract(frames)               # the aligned crops the autoencoder sees

With `aligner=None` (a run trained with `--pipeline frame`) the autoencoder sees and returns
whole frames: the naive pipeline, kept because its failure (it learns where the head is, not
the expression) is part of the lesson.
"""
from __future__ import annotations

import contextlib
import functools

import torch

from .align import Aligner, Geometry, crop, crop_geometry, paste
from .config import TrainConfig
from .identities import identity_from_dict
from .model import ModelConfig, SwapAutoencoder
from .speed import channels_last

CHUNK = 256  # frames per forward pass: bounds the memory a long animation needs


class Pipeline:
    """An autoencoder (trained or not) plus the aligner that feeds it."""

    def __init__(self, model: SwapAutoencoder, aligner: Aligner | None, geometry: Geometry | None, size: int):
        self.model, self.aligner, self.geometry = model, aligner, geometry
        self.size = size  # frame size in pixels

    @property
    def aligned(self) -> bool:
        """True when the autoencoder works on aligned crops."""
        return self.aligner is not None

    @property
    def device(self) -> torch.device:
        """Where the model's weights live."""
        return next(self.model.parameters()).device

    @torch.no_grad()
    def extract(self, frames: torch.Tensor) -> tuple[torch.Tensor, dict | None]:
        """Aligned crops and the head pose the aligner read from each frame."""
        if not self.aligned:
            return frames, None
        head = self.aligner.estimate(frames)
        return crop(frames, head, self.geometry, self.model.cfg.crop), head

    @torch.no_grad()
    def encode(self, frames: torch.Tensor, source: str | None = None) -> tuple[torch.Tensor, dict | None]:
        """Frames -> their codes, and the head pose the aligner read from each (None without alignment)."""
        crops, head = self.extract(frames)
        return self.model.encode(crops, source), head

    @torch.no_grad()
    def decode(self, codes: torch.Tensor, to: str, frames: torch.Tensor | None = None,
               head: dict | None = None) -> torch.Tensor:
        """Codes drawn by `to`'s decoder: aligned crops, or pasted back into `frames` at `head`."""
        drawn, mask = self.model.decode_with_mask(codes, to)
        if frames is None or not self.aligned:
            return drawn.float()
        for other in self.model.names:  # cover every character's outline, the source's too
            if other != to:
                mask = torch.maximum(mask, self.model.decode_with_mask(codes, other)[1])
        return paste(frames, drawn.float(), head, self.geometry, mask.float())

    @torch.no_grad()
    def swap(self, frames: torch.Tensor, to: str, source: str | None = None) -> torch.Tensor:
        """Frames of any identity -> the same frames with `to` drawn in each pose: encode, then decode
        with the other character's decoder, then paste back."""
        with evaluating(self.model):
            frames = frames.to(self.device, torch.float32)
            out = []
            for part in frames.split(CHUNK):
                codes, head = self.encode(part, source)
                out.append(self.decode(codes, to, part, head))
            return torch.cat(out)

    @torch.no_grad()
    def swap_all(self, frames: torch.Tensor, source: str | None = None) -> dict[str, torch.Tensor]:
        """The frames swapped to every character, as swap() gives them one by one, but encoded once
        and each decoder run once (swap() runs every decoder for the outline each time)."""
        out = {name: [] for name in self.model.names}
        with evaluating(self.model):
            for part in frames.to(self.device, torch.float32).split(CHUNK):
                codes, head = self.encode(part, source)
                drawn = {name: self.model.decode_with_mask(codes, name) for name in out}
                outline = functools.reduce(torch.maximum, (mask for _, mask in drawn.values())).float()
                for name, (picture, _) in drawn.items():
                    out[name].append(paste(part, picture.float(), head, self.geometry, outline)
                                     if self.aligned else picture.float())
        return {name: torch.cat(parts) for name, parts in out.items()}


@contextlib.contextmanager
def evaluating(model: torch.nn.Module):
    """The model in eval mode for the block, then back in the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def model_config(cfg: TrainConfig) -> ModelConfig:
    """The architecture part of a run's settings."""
    return ModelConfig(crop=cfg.crop if cfg.aligned else cfg.size, latent=cfg.latent, width=cfg.width,
                       encoders=cfg.encoders, norm=cfg.norm)


def build_pipeline(cfg: TrainConfig, device: torch.device) -> Pipeline:
    """A run's model, aligner and crop geometry, freshly initialised from its seed (training starts
    here; loading a run builds the same and then loads the weights)."""
    identities = [identity_from_dict(spec) for spec in cfg.identities.values()]
    with torch.random.fork_rng(devices=[]):  # weight init: seeded, global state left as it was
        torch.manual_seed(cfg.seed)
        model = channels_last(SwapAutoencoder(model_config(cfg), cfg.names()).to(device))
        aligner = channels_last(Aligner().to(device)) if cfg.aligned else None
    geometry = crop_geometry(identities) if cfg.aligned else None
    return Pipeline(model, aligner, geometry, cfg.size)
