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


def test_encode_then_decode_is_the_swap(sample, frames):
    """The lesson's two steps, by name: the shared codes, then another character's decoder."""
    codes, heads = sample.encode(frames)
    assert codes.shape == (len(frames), sample.config.latent) and set(heads) == {"x", "y", "scale", "roll"}
    assert torch.equal(sample.decode(codes, to="robot", frames=frames, heads=heads), sample.swap(frames, to="robot"))
    crops = sample.decode(codes, to="robot")
    assert crops.shape == (len(frames), 3, sample.config.crop, sample.config.crop)
    picture = aedemo.grid([("blob", frames), ("as robot", sample.swap(frames, to="robot"))], synthetic={1})
    assert picture.width > 2 * 64 and aedemo.to_pil(frames[0]).size == (64, 64)


@pytest.mark.parametrize("call, words", [
    (lambda run, f, c, h: run.decode(c[:, :5], "robot"), "expected codes of shape (n, 32)"),
    (lambda run, f, c, h: run.decode(c.tolist(), "robot"), "expected codes of shape"),
    (lambda run, f, c, h: run.decode(c, "robot", heads=h), "give both frames= and heads="),
    (lambda run, f, c, h: run.decode(c, "robot", frames=f[:2], heads=h), "one frame per code"),
    (lambda run, f, c, h: run.decode(c, "ghost"), "'ghost' is not in this run"),
    (lambda run, f, c, h: run.encode(f[0]), "expected frames of shape (n, 3, 64, 64)"),
])
def test_encode_and_decode_name_wrong_shapes(sample, frames, call, words):
    codes, heads = sample.encode(frames)
    with pytest.raises(UsageError) as info:
        call(sample, frames, codes, heads)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_the_model_says_it_reads_crops_not_frames(sample, frames):
    with pytest.raises(ValueError, match=r"aligned crops .* use run.encode"):
        sample.model.encode(frames)
