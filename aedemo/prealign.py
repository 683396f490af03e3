"""The pretrained aligner: trained once on many characters, shipped with aedemo, fine-tuned by runs.

    from aedemo.prealign import load_pretrained_aligner, write_pretrained_aligner
    load_pretrained_aligner(pipeline.aligner)   # a new run's aligner starts from the shipped weights
    write_pretrained_aligner()                  # `make samples`: train the shipped one again

Real face-swap tools do not train their face aligner: they use a landmark network trained once on
many faces, and the user trains only the autoencoder. aedemo does the same. Its aligner (aedemo.align)
is trained here on the built-in characters and on random ones, in every pose, and shipped in
aedemo/pretrained/aligner.pt. A run starts from it and goes on training it on its own characters
(`--aligner scratch` starts from random weights instead). An aligner that has to be learnt inside
the run is what held the first swaps back: their crops were cut in the wrong place.
"""
from __future__ import annotations

import pickle
import warnings
from dataclasses import dataclass

import torch

from .align import Aligner, aligner_loss, landmarks_in_frame
from .cache import SHIPPED
from .errors import RunError
from .files import atomic_write
from .identities import EXTRAS, EYE_SHAPES, HEADS, IDENTITIES, MOUTH_STYLES, Identity
from .poses import HEAD_FACTORS, make_generator, sample_poses
from .renderer import render

PRETRAINED_ALIGNER = SHIPPED / "aligner.pt"


@dataclass
class PretrainConfig:
    """How the shipped aligner is trained."""

    steps: int = 1500          # Adam steps, each on every built-in character and the new random ones
    random_characters: int = 8  # new random characters each step, beside the built-in ones
    poses: int = 8             # poses per character per step
    size: int = 64             # frame size of the renders (the aligner reads every size at 48 px)
    lr: float = 4e-3           # Adam's learning rate, twice a run's default like the aligner's in training
    decay_share: float = 0.7   # after this share of the steps the learning rate falls to a tenth
    seed: int = 0              # the weights, the random characters and their poses all follow from it


def random_identity(gen: torch.Generator, name: str) -> Identity:
    """A random character: every head, colour, eye, mouth and extra may come up."""
    def pick(options):
        return options[int(torch.randint(len(options), (1,), generator=gen))]

    def color(low=0, high=256):
        return tuple(int(c) for c in torch.randint(low, high, (3,), generator=gen))

    extras = [e for e in EXTRAS if torch.rand(1, generator=gen) < 0.2]
    return Identity(name=name, head=pick(HEADS), skin=color(60), outline=color(0, 90), accent=color(),
                    eye_color=color(0, 200), mouth_color=color(0, 200), eye_shape=pick(EYE_SHAPES),
                    eye_size=round(0.22 + 0.16 * float(torch.rand(1, generator=gen)), 3),
                    mouth_style=pick(MOUTH_STYLES), extras=tuple(extras))


def landmark_batch(characters: list[Identity], cfg: PretrainConfig, gen: torch.Generator):
    """Frames of every character in random poses, and where their landmarks truly are."""
    frames, points = [], []
    for character in characters:
        poses = sample_poses(cfg.poses, rng=gen)
        frames.append(render(character, poses, size=cfg.size))
        points.append(landmarks_in_frame({k: poses[k] for k in HEAD_FACTORS}))
    return torch.cat(frames), torch.cat(points)


def pretrain_aligner(cfg: PretrainConfig = PretrainConfig(), log=None) -> Aligner:
    """An aligner trained on the built-in characters and on new random ones every step."""
    gen = make_generator(cfg.seed)
    with torch.random.fork_rng(devices=[]):  # weight init: seeded, global state left as it was
        torch.manual_seed(cfg.seed)
        aligner = Aligner()
    optimizer = torch.optim.Adam(aligner.parameters(), lr=cfg.lr)
    for step in range(cfg.steps):
        characters = list(IDENTITIES.values()) + [random_identity(gen, f"r{i}") for i in range(cfg.random_characters)]
        frames, points = landmark_batch(characters, cfg, gen)
        for group in optimizer.param_groups:
            group["lr"] = cfg.lr * (1.0 if step < cfg.decay_share * cfg.steps else 0.1)
        loss = aligner_loss(aligner.heatmaps(frames), points)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if log and (step + 1) % 100 == 0:
            log(f"aligner step {step + 1}/{cfg.steps}: loss {loss.item():.3f}")
    return aligner.eval()


def write_pretrained_aligner(cfg: PretrainConfig = PretrainConfig(), log=print) -> None:
    """Train the shipped aligner again and write it atomically into aedemo/pretrained."""
    aligner = pretrain_aligner(cfg, log)
    with atomic_write(PRETRAINED_ALIGNER) as f:
        torch.save(aligner.state_dict(), f)


def load_pretrained_aligner(aligner: Aligner) -> None:
    """Put the shipped aligner's weights into `aligner` (weights_only: the file cannot run code)."""
    try:
        with warnings.catch_warnings():  # torch warns about unusual pickle protocols: our line says enough
            warnings.simplefilter("ignore")
            state = torch.load(PRETRAINED_ALIGNER, map_location="cpu", weights_only=True)
        aligner.load_state_dict(state)
    except (OSError, RuntimeError, EOFError, KeyError, AttributeError, pickle.UnpicklingError):
        raise RunError(f"the pretrained aligner {PRETRAINED_ALIGNER} is missing or damaged; reinstall aedemo, "
                       "or train with --aligner scratch") from None
