"""The swap autoencoder: one shared encoder, one decoder per identity.

    model = SwapAutoencoder(ModelConfig(crop=32, latent=32), ["blob", "robot"])
    code = model.encode(crops)                 # (n, latent): what the identities share
    blob_again = model.decode(code, "blob")    # reconstruction
    robot_doing_it = model.decode(code, "robot")   # the swap: A's code, B's decoder

The encoder sees every identity, and every decoder must draw from its codes, so the code is
worth most where it describes what the characters share: gaze, blinks, mouth, smile (and any
alignment error left in the crop). Each decoder learns to draw its own character from it and
to ignore what it does not need. `encoders="separate"` gives each identity its own
encoder instead: the ablation that shows why sharing matters.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass
class ModelConfig:
    """Architecture settings; saved in every checkpoint."""

    crop: int = 32              # side of the aligned face crop the autoencoder sees, pixels
    latent: int = 32            # size of the shared code (the bottleneck)
    width: int = 24             # channels of the first conv; doubles at each of 3 downsamplings (decoders mirror it)
    encoders: str = "shared"    # "shared" (the real thing) or "separate" (the ablation)
    norm: bool = True           # GroupNorm after each conv

    def to_dict(self) -> dict:
        """Plain dict for JSON and checkpoints."""
        return asdict(self)


def conv_block(cin: int, cout: int, norm: bool, down: bool) -> nn.Sequential:
    """3x3 conv (stride 2 when down), optional GroupNorm, LeakyReLU."""
    layers = [nn.Conv2d(cin, cout, 3, stride=2 if down else 1, padding=1)]
    if norm:
        layers.append(nn.GroupNorm(8, cout))
    layers.append(nn.LeakyReLU(0.1))
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """Aligned crop (n, 3, crop, crop) -> code (n, latent)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        w = cfg.width
        self.features = nn.Sequential(
            conv_block(3, w, cfg.norm, down=True),
            conv_block(w, 2 * w, cfg.norm, down=True),
            conv_block(2 * w, 4 * w, cfg.norm, down=True),
        )
        side = math.ceil(cfg.crop / 8)  # the crop's side after three halvings
        self.to_code = nn.Linear(4 * w * side * side, cfg.latent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encode a batch of crops."""
        return self.to_code(self.features(x).flatten(1))


class Decoder(nn.Module):
    """Code (n, latent) -> one identity's aligned crop (n, 3, crop, crop) in [0, 1] and its mask
    (n, 1, crop, crop): where the character is (the swap pastes wherever any decoder's mask says so)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        w, self.crop = cfg.width, cfg.crop
        last = 8 * max(1, w // 16)  # the full-size layer is the costliest: half the width, in groups of 8
        self.side = math.ceil(cfg.crop / 8)  # the code is drawn at this side first, then doubled three times
        self.from_code = nn.Linear(cfg.latent, 4 * w * self.side * self.side)
        self.up = nn.Sequential(
            nn.LeakyReLU(0.1),
            nn.Upsample(scale_factor=2), conv_block(4 * w, 2 * w, cfg.norm, down=False),
            nn.Upsample(scale_factor=2), conv_block(2 * w, w, cfg.norm, down=False),
            nn.Upsample(scale_factor=2), conv_block(w, last, cfg.norm, down=False),
        )
        self.to_rgb = nn.Conv2d(last, 3, 3, padding=1)
        self.to_mask = nn.Conv2d(last, 1, 3, padding=1)  # learns from the features, never changes them

    def forward(self, code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Decode a batch of codes into pictures and masks."""
        x = self.from_code(code).view(len(code), -1, self.side, self.side)
        x = self.up(x)[:, :, : self.crop, : self.crop]
        return torch.sigmoid(self.to_rgb(x)), torch.sigmoid(self.to_mask(x.detach()))


class SwapAutoencoder(nn.Module):
    """Shared encoder (or one per identity), a ModuleDict of decoders keyed by identity name."""

    def __init__(self, cfg: ModelConfig, names: list[str]):
        super().__init__()
        if len(names) < 2 or len(set(names)) != len(names):
            raise ValueError("a swap model needs at least two different identities")
        self.cfg, self.names = cfg, list(names)
        if cfg.encoders == "shared":
            self.encoder = Encoder(cfg)
        else:
            self.encoders = nn.ModuleDict({n: Encoder(cfg) for n in names})
        self.decoders = nn.ModuleDict({n: Decoder(cfg) for n in names})

    def encoder_for(self, identity: str) -> Encoder:
        """The encoder that reads images of `identity`."""
        return self.encoder if self.cfg.encoders == "shared" else self.encoders[identity]

    def encode(self, x: torch.Tensor, identity: str | None = None) -> torch.Tensor:
        """Code of aligned crops (`identity` picks the encoder when they are separate)."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (3, self.cfg.crop, self.cfg.crop):
            raise ValueError(f"the encoder reads aligned crops of shape (n, 3, {self.cfg.crop}, {self.cfg.crop}), "
                             f"not {tuple(x.shape)}; for whole frames use run.encode(frames)")
        if self.cfg.encoders != "shared" and identity is None:
            raise ValueError("separate encoders need to know whose images these are")
        return self.encoder_for(identity)(x)

    def decode(self, code: torch.Tensor, identity: str) -> torch.Tensor:
        """Draw `identity` from a code."""
        return self.decoders[identity](code)[0]

    def decode_with_mask(self, code: torch.Tensor, identity: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw `identity` from a code, with the mask of where it drew the character."""
        return self.decoders[identity](code)

    def forward(self, x: torch.Tensor, identity: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstruct crops of `identity` and their masks (what training optimises)."""
        return self.decode_with_mask(self.encode(x, identity), identity)
