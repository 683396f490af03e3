"""The whole swap on frames: extract (align) -> encode -> decode as the target -> convert (paste).

    pipe = build_pipeline(cfg, device)               # untrained: model, aligner and crop geometry of a run
    out = pipe.swap(frames, to="robot")              # whole frames in, whole frames out
    crops, head = pipe.extract(frames)               # the aligned crops the autoencoder sees

With `aligner=None` (a run trained with `--pipeline naive`) the autoencoder sees and returns
whole frames: the naive pipeline, kept because its failure (it learns where the head is, not
the expression) is part of the lesson.
"""
from __future__ import annotations

import torch

from .align import Aligner, Geometry, crop, crop_geometry, paste
from .config import TrainConfig
from .identities import identity_from_dict
from .model import ModelConfig, SwapAutoencoder
from .speed import fast_layout


class Pipeline:
    """A trained autoencoder plus the aligner that feeds it."""

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
    def swap(self, frames: torch.Tensor, to: str, source: str | None = None) -> torch.Tensor:
        """Frames of any identity -> the same frames with `to` drawn in each pose."""
        was_training = self.model.training
        self.model.eval()
        try:
            frames = frames.to(self.device, torch.float32)
            out = []
            for part in frames.split(256):
                crops, head = self.extract(part)
                code = self.model.encode(crops, source)
                swapped, mask = self.model.decode_with_mask(code, to)
                if not self.aligned:
                    out.append(swapped.float())
                    continue
                for other in self.model.names:  # cover every character's outline, the source's too
                    if other != to:
                        mask = torch.maximum(mask, self.model.decode_with_mask(code, other)[1])
                out.append(paste(part, swapped.float(), head, self.geometry, mask.float()))
            return torch.cat(out)
        finally:
            self.model.train(was_training)


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
        model = fast_layout(SwapAutoencoder(model_config(cfg), cfg.names()).to(device))
        aligner = fast_layout(Aligner().to(device)) if cfg.aligned else None
    geometry = crop_geometry(identities) if cfg.aligned else None
    return Pipeline(model, aligner, geometry, cfg.size)
