"""The renderer: deterministic, every factor does what it says, edges are anti-aliased."""
import pytest
import torch

from aedemo import FACTORS, IDENTITIES, render, sample_poses
from aedemo.errors import UsageError
from aedemo.poses import MOTIONS, motion, neutral_poses
from aedemo.prealign import random_identity


def centroid_x(mask):
    """Horizontal centre of mass of each (n, 1, H, W) mask."""
    w = mask.shape[-1]
    xs = torch.arange(w, dtype=torch.float32)
    return (mask.sum(2).squeeze(1) * xs).sum(1) / mask.sum((1, 2, 3))


def test_same_seed_same_pixels():
    a = render("cat", sample_poses(16, seed=7))
    b = render("cat", sample_poses(16, seed=7))
    c = render("cat", sample_poses(16, seed=8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_shapes_and_range_for_every_identity():
    poses = sample_poses(5, seed=1)
    for identity in IDENTITIES.values():
        images, masks = render(identity, poses, size=48, masks=True)
        assert images.shape == (5, 3, 48, 48)
        assert 0.0 <= images.min() and images.max() <= 1.0
        assert set(masks) >= {"face", "eyes", "mouth", "features"}
        assert all(m.shape == (5, 1, 48, 48) for m in masks.values())


def test_identities_are_distinct():
    poses = neutral_poses(1)
    images = torch.cat([render(i, poses) for i in IDENTITIES.values()])
    distances = torch.cdist(images.flatten(1), images.flatten(1))
    off_diagonal = distances[~torch.eye(len(images), dtype=torch.bool)]
    assert len(IDENTITIES) >= 6 and off_diagonal.min() > 5.0


def test_x_moves_the_face_right():
    _, masks = render("blob", neutral_poses(3, x=0.0) | {"x": torch.tensor([-0.2, 0.0, 0.2])}, masks=True)
    cx = centroid_x(masks["face"])
    assert cx[0] < cx[1] < cx[2]


def test_mouth_open_grows_the_mouth():
    poses = neutral_poses(3) | {"mouth_open": torch.tensor([0.0, 0.5, 1.0])}
    _, masks = render("robot", poses, masks=True)
    area = masks["mouth"].sum((1, 2, 3))
    assert area[0] < area[1] < area[2]


def test_eye_open_zero_closes_the_eyes():
    poses = neutral_poses(2) | {"eye_open": torch.tensor([1.0, 0.0])}
    images, masks = render("frog", poses, masks=True)
    open_area, shut_area = masks["eyes"].sum((1, 2, 3))
    assert shut_area < 0.4 * open_area
    white = (images.min(1).values > 0.97).sum((1, 2))  # pure white pixels: the eye whites
    assert white[1] == 0 and white[0] > 20


def test_roll_rotates():
    poses = neutral_poses(3) | {"roll": torch.tensor([0.0, 30.0, -30.0])}
    images, masks = render("ghost", poses, masks=True)
    upright, clockwise, counter = images
    assert not torch.allclose(upright, clockwise, atol=0.05)
    # clockwise tilt moves the right-hand eye down: its eye mass sits lower on the right
    eyes = masks["eyes"][:, 0]
    right = eyes[:, :, 32:]
    rows = torch.arange(64, dtype=torch.float32).view(1, 64, 1)
    right_y = (right * rows).sum((1, 2)) / right.sum((1, 2))
    assert right_y[1] > right_y[0] > right_y[2]
    # a tilt is not its mirror image: roll is unambiguous
    assert not torch.allclose(clockwise, counter.flip(-1), atol=0.05)


def test_anti_aliased_edges():
    image = render("blob", neutral_poses(1))[0]
    background = torch.tensor([205, 218, 232]) / 255
    outline = torch.tensor([40, 30, 50]) / 255
    pixels = image.permute(1, 2, 0).reshape(-1, 3)
    # pixels strictly between background and outline colours: partial coverage at the edge
    t = ((pixels - background) @ (outline - background)) / (outline - background).pow(2).sum()
    on_line = (pixels - (background + t[:, None] * (outline - background))).norm(dim=1) < 0.02
    partial = on_line & (t > 0.1) & (t < 0.9)
    assert partial.sum() > 20


def test_sizes_are_checked():
    poses = sample_poses(1, seed=0)
    for size in (32, 100, 128):
        assert render("cat", poses, size=size).shape[-1] == size
    for bad in (16, 31, 129, 64.0):
        with pytest.raises(UsageError):
            render("cat", poses, size=bad)


def test_poses_in_range_and_motions():
    poses = sample_poses(500, seed=3)
    assert list(poses) == list(FACTORS)
    for name, f in FACTORS.items():
        assert poses[name].shape == (500,)
        assert f.low <= poses[name].min() and poses[name].max() <= f.high
    for name in MOTIONS:
        frames = motion(name, frames=12)
        assert set(frames) == set(FACTORS) and all(v.shape == (12,) for v in frames.values())
        for k, f in FACTORS.items():
            assert f.low - 1e-6 <= frames[k].min() and frames[k].max() <= f.high + 1e-6
    assert frames["mouth_open"].std() > 0.1  # tour moves the mouth


def test_generator_and_seed_agree():
    gen = torch.Generator().manual_seed(5)
    assert torch.equal(sample_poses(4, rng=gen)["x"], sample_poses(4, seed=5)["x"])


def test_any_valid_character_renders():
    from aedemo.identities import identity_from_dict, identity_to_dict
    gen = torch.Generator().manual_seed(0)
    for k in range(20):
        identity = identity_from_dict(identity_to_dict(random_identity(gen, name=f"r{k}")))
        images, masks = render(identity, sample_poses(4, seed=k), size=32, masks=True)
        assert torch.isfinite(images).all() and 0 <= images.min() and images.max() <= 1
        assert (masks["face"].sum((1, 2, 3)) > 20).all()


def test_every_extra_is_drawn():
    from dataclasses import replace

    from aedemo.identities import EXTRAS
    plain = replace(IDENTITIES["blob"], extras=())
    poses = neutral_poses(1)
    base = render(plain, poses, size=64)
    for extra in EXTRAS:
        changed = (render(replace(plain, extras=(extra,)), poses, size=64) - base).abs().amax(1) > 0.1
        assert changed.sum() > 10, extra


@pytest.mark.parametrize("make, words", [
    (lambda p: {**p, "eyes_open": p["x"]}, "unknown factor 'eyes_open'; did you mean eye_open"),
    (lambda p: {k: v for k, v in p.items() if k != "smile"}, "lack the factors: smile"),
    (lambda p: {k: 0.0 for k in p}, "same shape (n,)"),
    (lambda p: {**p, "x": p["x"][:1]}, "same shape (n,)"),
    (lambda p: {k: v[:0] for k, v in p.items()}, "n >= 1"),
    (lambda p: list(p.values()), "must be a dict"),
])
def test_bad_poses_are_named(make, words):
    with pytest.raises(UsageError, match=words.replace("(", r"\(").replace(")", r"\)")):
        render("cat", make(sample_poses(2, seed=0)))


def test_pose_builders_check_their_arguments():
    with pytest.raises(UsageError, match="did you mean mouth_open"):
        sample_poses(1, fixed={"mouth_opn": 1.0})
    with pytest.raises(UsageError, match="out of range"):
        sample_poses(1, fixed={"mouth_open": 5.0})
    for bad in (0, -1, 2.5, True):
        with pytest.raises(UsageError, match="at least 1"):
            sample_poses(bad)
    assert sample_poses(3, seed=0, fixed={"mouth_open": 1.0})["mouth_open"].eq(1.0).all()
    import numpy as np
    assert sample_poses(np.int64(2), fixed={"x": np.float32(0.1)})["x"].shape == (2,)  # numpy numbers are numbers
    with pytest.raises(UsageError, match="x must be a number"):
        sample_poses(1, fixed={"x": "0.1"})
    with pytest.raises(UsageError, match="must be a dict"):
        sample_poses(1, fixed=["x"])
