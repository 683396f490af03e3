"""The Python API on the pretrained sample: what a learner calls, and the mistakes it names."""
import pytest
import torch

import aedemo
from aedemo.errors import UsageError


@pytest.fixture(scope="module")
def sample():
    return aedemo.load_run("samples/blob-robot")


@pytest.fixture(scope="module")
def frames():
    return aedemo.render("blob", aedemo.sample_poses(3, seed=0))


def test_sample_swaps_and_says_what_it_is(sample, frames):
    out = sample.swap(frames, to="robot")
    assert out.shape == frames.shape and 0 <= out.min() and out.max() <= 1
    assert torch.equal(sample.swap(frames.numpy(), to="robot"), out)
    assert repr(sample) == "Run('samples/blob-robot': blob, robot, step 1265)"


@pytest.mark.parametrize("bad, words", [
    (lambda f: (f * 255).to(torch.uint8), "floats in [0, 1], not torch.uint8"),
    (lambda f: f * 255, "divide 0-255 pictures by 255"),
    (lambda f: f[..., :32, :], "(n, 3, 64, 64) with n >= 1, got (3, 3, 32, 64)"),
    (lambda f: f[0], "got (3, 64, 64)"),
    (lambda f: f[:0], "got (0, 3, 64, 64)"),
    (lambda f: list(f), "not a list"),
    (lambda f: f * float("nan"), "NaN or infinite"),
    (lambda f: f - 0.4, "(clamp them to [0, 1])"),
])
def test_bad_frames_are_named(sample, frames, bad, words):
    with pytest.raises(UsageError) as error:
        sample.swap(bad(frames), to="robot")
    assert words in str(error.value)


def test_bad_targets_and_devices_are_named(sample, frames):
    with pytest.raises(UsageError, match="did you mean robot"):
        sample.swap(frames, to="robo")
    with pytest.raises(UsageError, match="as text, e.g. 'blob'"):
        sample.swap(frames, to=aedemo.IDENTITIES["robot"])
    with pytest.raises(UsageError, match="no spec file at nowhere.json"):
        sample.swap(frames, to="nowhere.json")
    with pytest.raises(UsageError, match="auto, cpu, cuda or mps"):
        aedemo.load_run("samples/blob-robot", device="gpu")
