"""The adversarial loss (`aedemo train --gan`): a patch critic per character that tells its real
aligned crops from its decoder's drawings, and pushes the decoder to draw crisper ones.

    aedemo train --gan --time 60                         # the default recipe plus the critic
    aedemo train --gan --gan-weight 0.03 --gan-start 300

    adversary = new_adversary(cfg, names, device)        # None unless cfg.gan
    if adversary.active(step):
        total = total + adversary.decoder_loss(drawn, name)   # in the training step, for each character...
    adversary.step({name: (real, drawn.detach())})       # ...and the critics' own step after it

A decoder trained on pixel error alone draws the average of every picture its code could mean:
soft eyes, soft edges. A critic looks at small patches (about 10 pixels across) of a crop and
scores how real each looks; the decoder gains by drawing patches it cannot tell from a render.
The two learn in turns, each step: the decoder against the critic as it is, then the critic on
the real crops and the decoder's new drawings. The loss is the hinge loss (Lim & Ye 2017):
the critic wants real scores above +1 and drawn ones below -1; the decoder raises the score of
its drawings. Before `gan_start` steps the decoders still draw one mean face for every code,
and a critic would only learn to spot that, so the critics wait.

The critics' weights and their Adam state are saved in the checkpoint, so a resumed run goes
on exactly as one that never stopped.
"""
from __future__ import annotations

import torch
from torch import nn

CRITIC_WIDTH = 16             # channels of the critic's first layer: far smaller than the decoder it judges
CRITIC_LR = 1e-3              # the critics' Adam learning rate (constant: they must keep up as the decoder improves)
CRITIC_BETAS = (0.5, 0.999)   # little momentum, as GANs usually train: the target moves every step


class PatchCritic(nn.Module):
    """Aligned crop (n, 3, crop, crop) -> a realness score per patch (n, 1, crop / 4, crop / 4)."""

    def __init__(self, width: int = CRITIC_WIDTH):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(3, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 1, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score every patch of pictures in [0, 1]: high = looks like a render."""
        return self.layers(2 * x - 1)  # centred on zero: it learns to tell soft from crisp several times faster


class Adversary:
    """One patch critic per character (the condition on identity), their optimiser and the schedule."""

    def __init__(self, critics: nn.ModuleDict, weight: float, start: int):
        self.critics, self.weight, self.start = critics, weight, start
        self.optimizer = torch.optim.Adam(critics.parameters(), lr=CRITIC_LR, betas=CRITIC_BETAS)

    def active(self, step: int) -> bool:
        """True once the decoders have left the mean face."""
        return step >= self.start

    def decoder_loss(self, drawn: torch.Tensor, name: str) -> torch.Tensor:
        """The decoder's adversarial loss for its drawings, times the weight (hinge: raise their score)."""
        self.critics.requires_grad_(False)  # this loss trains the decoder only
        try:
            return -self.weight * self.critics[name](drawn.float()).mean()
        finally:
            self.critics.requires_grad_(True)

    def step(self, pairs: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """One critic update on each character's (real crops, drawn crops); returns their mean hinge loss."""
        loss = 0.0
        for name, (real, drawn) in pairs.items():
            critic = self.critics[name]
            loss = loss + torch.relu(1 - critic(real.float())).mean() + torch.relu(1 + critic(drawn.float())).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach() / len(pairs)

    def state_dict(self) -> dict:
        """The critics' weights and Adam state, for the checkpoint."""
        return {"critics": self.critics.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, saved: dict) -> None:
        """Put saved critics and their Adam state back."""
        self.critics.load_state_dict(saved["critics"], strict=True)
        self.optimizer.load_state_dict(saved["optimizer"])


def new_adversary(cfg, names: list[str], device: torch.device) -> Adversary | None:
    """The critics of a run with --gan, freshly initialised from its seed; None without --gan."""
    if not cfg.gan:
        return None
    with torch.random.fork_rng(devices=[]):  # seeded, and the global random state left as it was
        torch.manual_seed(cfg.seed + 1)       # not the model's seed: the critics' first layer is not the encoder's
        critics = nn.ModuleDict({name: PatchCritic() for name in names}).to(device)
    return Adversary(critics, cfg.gan_weight, cfg.gan_start)
