"""The shipped aligner: it finds landmarks on characters it has never seen, runs start from it,
its pretraining is seeded, and a damaged file is refused in one line."""
from pathlib import Path

import pytest
import torch

from aedemo import IDENTITIES
from aedemo.align import Aligner, aligner_loss
from aedemo.config import TrainConfig, command_line, with_identities
from aedemo.errors import RunError
from aedemo.folder import read_config
from aedemo.poses import make_generator
from aedemo.prealign import (
    PretrainConfig,
    landmark_batch,
    load_pretrained_aligner,
    pretrain_aligner,
    random_identity,
)
from aedemo.train import new_state


def landmark_error(aligner: Aligner, characters: list) -> float:
    """Mean distance of the aligner's landmarks from the true ones, in frame units."""
    frames, points = landmark_batch(characters, PretrainConfig(poses=16), make_generator(5))
    with torch.no_grad():
        return float((aligner(frames) - points).norm(dim=-1).mean())


def test_shipped_aligner_finds_landmarks_on_builtins_and_new_characters():
    shipped = Aligner()
    load_pretrained_aligner(shipped)
    strangers = [random_identity(make_generator(99), f"new{i}") for i in range(4)]
    for characters in (list(IDENTITIES.values()), strangers):
        assert landmark_error(shipped, characters) < 0.05            # a head is about 0.5 frame units wide
        assert landmark_error(shipped, characters) < landmark_error(Aligner(), characters) / 4


def test_a_run_starts_from_the_shipped_aligner_unless_told_otherwise():
    shipped = Aligner()
    load_pretrained_aligner(shipped)
    cpu = torch.device("cpu")
    pretrained = new_state(with_identities(TrainConfig(steps=1)), cpu).pipeline.aligner
    scratch = new_state(with_identities(TrainConfig(steps=1, aligner_start="scratch")), cpu).pipeline.aligner
    for name, weight in shipped.state_dict().items():
        assert torch.equal(pretrained.state_dict()[name], weight)
    assert not torch.equal(scratch.state_dict()["net.0.weight"], shipped.state_dict()["net.0.weight"])


def test_pretraining_is_seeded_and_learns():
    cfg = PretrainConfig(steps=3, random_characters=1, poses=2)
    first, again = pretrain_aligner(cfg), pretrain_aligner(cfg)
    for name, weight in first.state_dict().items():
        assert torch.equal(again.state_dict()[name], weight)
    frames, points = landmark_batch(list(IDENTITIES.values())[:2], cfg, make_generator(1))
    with torch.no_grad():
        assert aligner_loss(first.heatmaps(frames), points) < aligner_loss(Aligner().heatmaps(frames), points)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", b"\x80\x04\x95garbage"])
def test_a_damaged_aligner_file_is_refused_in_one_line(tmp_path, monkeypatch, content):
    damaged = tmp_path / "aligner.pt"
    damaged.write_bytes(content)
    monkeypatch.setattr("aedemo.prealign.PRETRAINED_ALIGNER", damaged)
    with pytest.raises(RunError, match="pretrained aligner .* missing or damaged") as caught:
        load_pretrained_aligner(Aligner())
    assert "\n" not in str(caught.value)


def test_runs_saved_before_the_setting_say_their_aligner_started_from_scratch():
    sample = read_config(Path(__file__).parent.parent / "samples" / "blob-robot")
    assert sample.aligner_start == "scratch"
    assert "--aligner scratch" in command_line(sample, 10, "runs/x", [])
    assert "--aligner pretrained" in command_line(TrainConfig(), 10, "runs/x", [])
