"""Random characters for tests: every head, colour, eye, mouth and extra may come up."""
import torch

from aedemo.identities import EXTRAS, EYE_SHAPES, HEADS, MOUTH_STYLES, Identity


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
