"""The renderer's pictures and masks, pinned: a faster renderer must draw the very same pixels.

    python tests/test_render_pins.py --write    # re-pin, only when a change of picture is meant

Every built-in identity (and a few random ones) is drawn at four sizes (one not a power of two) in a
fixed set of poses: seeded random ones (more than one drawing chunk) and the corners of each factor's
range. Each case pins a hash of the raw float32 bytes of images and masks, plus plain and weighted
sums. The hash must match exactly where the pins were recorded (same torch, same CPU kind); on other
builds, where float rounding can differ in the last bit, the sums must agree within 1e-3, far less
than one 8-bit level (0.004) of a single pixel.
"""
import hashlib
import json
import sys
from pathlib import Path

import pytest
import torch

from aedemo import IDENTITIES, render, sample_poses
from aedemo.poses import FACTORS, cat_poses, index_poses, neutral_poses
from aedemo.prealign import random_identity
from aedemo.renderer import MASKS

PINS = Path(__file__).with_name("render_pins.json")
TOLERANCE = 1e-3


def pinned_poses():
    """70 seeded random poses, then every factor alone at its low and high end."""
    corners = [neutral_poses(1, **{name: end}) for name, f in FACTORS.items() for end in (f.low, f.high)]
    return cat_poses([sample_poses(70, seed=17), *corners])


def cases():
    """(case name, identity, size) for every pinned drawing."""
    gen = torch.Generator().manual_seed(4)
    randoms = [random_identity(gen, name=f"random{k}") for k in range(4)]
    out = [(f"{name}-{size}", identity, size) for name, identity in IDENTITIES.items() for size in (32, 64, 100, 128)]
    return out + [(f"{i.name}-64", i, 64) for i in randoms]


def weights(shape) -> torch.Tensor:
    """A fixed float64 weight per element, so moved pixels change the weighted sum."""
    count = torch.Size(shape).numel()
    return torch.sin(torch.arange(count, dtype=torch.float64) * 0.37).view(shape)


def fingerprint(identity, size: int) -> dict:
    """Hash and sums of one identity drawn in the pinned poses, with its masks."""
    images, masks = render(identity, pinned_poses(), size=size, masks=True)
    digest = hashlib.sha256(images.numpy().tobytes())
    result = {"image_sum": images.double().sum().item(),
              "image_weighted": (images.double() * weights(images.shape)).sum().item()}
    for key in MASKS:
        digest.update(masks[key].numpy().tobytes())
        result[f"{key}_sum"] = masks[key].double().sum().item()
        result[f"{key}_weighted"] = (masks[key].double() * weights(masks[key].shape)).sum().item()
    return {"sha256": digest.hexdigest(), **result}


def build() -> str:
    """Where the pins come from (torch version and CPU kind): there the hashes must match exactly."""
    return f"torch {torch.__version__}, {torch.backends.cpu.get_cpu_capability()}"


@pytest.fixture(scope="module")
def pins():
    """The recorded pins."""
    return json.loads(PINS.read_text())


@pytest.mark.parametrize("name, identity, size", cases(), ids=[c[0] for c in cases()])
def test_pixels_and_masks_are_pinned(pins, name, identity, size):
    got, want = fingerprint(identity, size), pins["cases"][name]
    for key, value in want.items():
        if key != "sha256":
            assert got[key] == pytest.approx(value, abs=TOLERANCE, rel=0), key
    if build() == pins["build"]:
        assert got["sha256"] == want["sha256"], "same build, but not the same bits"


def test_masks_do_not_change_the_picture():
    poses = pinned_poses()
    for identity in IDENTITIES.values():
        images, _ = render(identity, poses, masks=True)
        assert torch.equal(images, render(identity, poses))


def test_a_picture_does_not_depend_on_the_rest_of_its_batch():
    # parts of the drawing are skipped where a whole batch cannot reach: alone, each picture is the same
    poses = pinned_poses()
    for identity in IDENTITIES.values():
        images, masks = render(identity, poses, masks=True)
        for i in (0, 5, 69, 75, 82, 85, 86, 87):  # random; biggest head, eyes shut, mouth open, frown, smile
            alone, alone_masks = render(identity, index_poses(poses, slice(i, i + 1)), masks=True)
            assert torch.equal(alone[0], images[i]), (identity.name, i)
            assert all(torch.equal(alone_masks[k][0], masks[k][i]) for k in MASKS), (identity.name, i)


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    PINS.write_text(json.dumps({"build": build(),
                                "cases": {name: fingerprint(i, size) for name, i, size in cases()}}, indent=1) + "\n")
