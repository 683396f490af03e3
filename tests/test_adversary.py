"""The GAN loss (train --gan): a tiny run trains its critics, resumes exactly, and a bad weight is refused."""
import json

import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner

from aedemo.config import TrainConfig
from aedemo.train import train

TINY = {"size": 32, "crop": 24, "batch": 4, "width": 8, "latent": 8, "save_every": 5, "time": None,
        "gan": True, "gan_start": 2}


def tiny(**kw):
    return TrainConfig(**{**TINY, **kw})


def saved(path):
    return torch.load(path / "checkpoint.pt", weights_only=True)


def test_gan_run_trains_its_critics_and_says_so(tmp_path):
    train(tiny(steps=10), out=tmp_path / "run", progress=False)  # log rows at steps 5 and 10
    checkpoint = saved(tmp_path / "run")
    assert set(checkpoint["adversary"]["critics"]) >= {"blob.layers.0.weight", "robot.layers.0.weight"}
    assert checkpoint["adversary"]["optimizer"]["state"]  # Adam's statistics travel with the critics
    header, first, last = (tmp_path / "run" / "log.csv").read_text().splitlines()
    column = header.split(",").index("loss_critic")
    assert float(last.split(",")[column]) > 0  # the critics judged from step 2 on
    reproduce = json.loads((tmp_path / "run" / "config.json").read_text())["reproduce"]
    assert "--gan --gan-weight 0.01 --gan-start 2" in reproduce


def test_gan_changes_training_only_from_its_start(tmp_path):
    train(tiny(steps=2, gan=False), out=tmp_path / "plain", progress=False)
    train(tiny(steps=2), out=tmp_path / "gan", progress=False)
    plain, gan = saved(tmp_path / "plain")["model"], saved(tmp_path / "gan")["model"]
    assert all(torch.equal(plain[k], gan[k]) for k in plain)
    assert saved(tmp_path / "plain")["adversary"] == {}


def test_gan_resume_is_exact(tmp_path):
    train(tiny(steps=8), out=tmp_path / "straight", progress=False)
    train(tiny(steps=4), out=tmp_path / "split", progress=False)
    train(tiny(steps=8), out=tmp_path / "split", resume=True, progress=False)
    a, b = saved(tmp_path / "straight"), saved(tmp_path / "split")
    for part in (a["model"], a["adversary"]["critics"]):
        other = b["model"] if part is a["model"] else b["adversary"]["critics"]
        assert part.keys() == other.keys() and all(torch.equal(part[k], other[k]) for k in part)
    moments = [(s["exp_avg"], t["exp_avg"]) for s, t in zip(a["adversary"]["optimizer"]["state"].values(),
                                                             b["adversary"]["optimizer"]["state"].values())]
    assert moments and all(torch.equal(x, y) for x, y in moments)


@pytest.mark.parametrize("weight", ["-1", "nan", "inf"])
def test_bad_gan_weight_is_one_line(tmp_path, weight):
    result = CliRunner().invoke(cli, ["train", "--gan", "--gan-weight", weight, "--out", str(tmp_path / "r")])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and "--gan-weight" in lines[0], result.output
    assert not (tmp_path / "r").exists()
