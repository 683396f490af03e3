"""The GAN loss (train --gan): a tiny run trains its critics, resumes exactly, a bad weight is refused;
the ablation's gan variant and the lesson page's words about it."""
import json

import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner

import aedemo.ablate
from aedemo.ablate import ablate_run, format_ablation
from aedemo.config import TrainConfig
from aedemo.evaluate import EvalConfig
from aedemo.lesson.report import write_report
from aedemo.lesson.sharpen import GAN_PICTURE, gan_html
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
    assert "--gan --gan-weight 0.003 --gan-start 2" in reproduce


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


@pytest.mark.parametrize("option, value", [("--gan-weight", "-1"), ("--gan-weight", "nan"), ("--gan-weight", "inf"),
                                           ("--edge-weight", "-0.5"), ("--gan-start", "-1")])
def test_bad_sharpening_settings_are_one_line(tmp_path, option, value):
    result = CliRunner().invoke(cli, ["train", "--gan", option, value, "--out", str(tmp_path / "r")])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and option in lines[0], result.output
    assert not (tmp_path / "r").exists()


def test_ablate_gan_variant_and_its_lesson(tmp_path, monkeypatch):
    """The gan variant trains beside the plain recipe; the page then says in words what the critic did."""
    monkeypatch.setattr(aedemo.ablate, "QUICK_EVAL", EvalConfig(n=8, blur_samples=2, mean_samples=4, readouts=False))
    run = tmp_path / "run"
    train(tiny(steps=2, gan=False, gan_start=1), out=run, progress=False)
    table = ablate_run(run, seconds=1, variants=("shared", "gan"))
    assert table["variants"]["gan"]["settings"] == {"gan": True} and table["variants"]["gan"]["steps"] > 1
    assert 0 < table["variants"]["gan"]["sharpness"] and "edges" in format_ablation(table)
    assert (run / GAN_PICTURE).read_bytes() == (run / "ablation" / GAN_PICTURE).read_bytes()
    page = write_report(run).read_text(encoding="utf-8")
    assert "Pixel loss alone, or a critic beside it?" in page
    assert "The detector has not scored these swaps" in page
    for variant, auc in (("shared", 1.0), ("gan", 0.6)):
        (run / "ablation" / variant / "detect.json").write_text(json.dumps({"heldout": {"auc": auc}}))
    page = write_report(run).read_text(encoding="utf-8")
    assert "The detector is fooled, on the whole: it catches these swaps less easily (AUC 0.600 against 1.000)" in page


def test_gan_words_follow_the_numbers(tmp_path):
    numbers = {"steps": 100, "sharpness": 0.7, "frame_margin_db": 0.7, "margin_db": 2.0, "output_spread": 0.8}
    sharper = {**numbers, "steps": 80, "sharpness": 1.1, "frame_margin_db": 0.1}
    html = gan_html(tmp_path, {"seconds_each": 60, "variants": {"shared": numbers, "gan": sharper}})
    assert "Its edges are sharper: 1.10 of the truth's against 0.70." in html
    assert "more edges than the truth has" in html and "The whole frame is further from the truth" in html
    assert "the eyes and mouth are as right" in html
    assert gan_html(tmp_path, {"variants": {"shared": numbers}}) == ""
