"""`aedemo demo` and `aedemo ablate` end to end, on a tiny budget."""
import html
import json
import re
import shlex
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from aedemo.cli.main import cli
from click.testing import CliRunner
from PIL import Image

import aedemo.ablate
import aedemo.readouts
from aedemo.ablate import ablate, format_ablation
from aedemo.config import TrainConfig
from aedemo.demo import demo, free_folder
from aedemo.evaluate import EvalConfig
from aedemo.lesson.animate import LESSON_FRAMES, swap_frames
from aedemo.lesson.report import write_report
from aedemo.train import train

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "blob-robot"
TINY = {"size": 32, "crop": 24, "batch": 4, "width": 8, "latent": 8, "save_every": 2}


@pytest.fixture
def quick_readouts(monkeypatch):
    """Readouts trained for a handful of steps: this test checks plumbing, not accuracy."""
    real = aedemo.readouts.ReadoutConfig
    monkeypatch.setattr(aedemo.readouts, "ReadoutConfig", lambda **kw: real(**{"steps": 5, **kw}))


def test_demo_writes_the_lesson(tmp_path, quick_readouts, quick_detect):
    lines = []
    result = demo(tmp_path / "demo", seconds=2, ablation_seconds=1, log=lines.append, detect_seconds=3)
    folder = result["report"].parent
    for name in ("report.html", "metrics.json", "swap.gif", "explain.json", "latent_pca.png", "ablation.json",
                 "ablation.png", "timelapse.gif", "loss.png", "config.json", "detect.json", "detect.png"):
        assert (folder / name).is_file(), name
    assert len(result["summary"]) == 5 and "dB" in result["summary"][0]
    assert result["summary"][3].startswith("swap detector: held-out AUC ")
    assert "more --time" in result["summary"][4]  # two seconds are far too few steps, and the demo says so
    assert [line[:4] for line in lines if line[:1].isdigit() and line[1:2] == "/"] == [f"{i}/7 " for i in range(1, 8)]
    assert "6/7 catching the swap: a detector trained for 3 s, a robust one 1.5 s more" in lines
    assert "8. Catching the swap" in (folder / "report.html").read_text(encoding="utf-8")
    variants = json.loads((folder / "ablation.json").read_text())["variants"]
    assert set(variants) == {"shared", "separate", "no-align"}
    one_way = swap_frames(aedemo.load_run(folder), "blob", "robot", "tour", 2)[0]
    gif = Image.open(folder / "swap.gif")   # blob -> robot above robot -> blob
    assert gif.size == (one_way.width, 2 * one_way.height) and gif.n_frames == LESSON_FRAMES


def test_free_folder(tmp_path):
    (tmp_path / "demo").mkdir()
    assert free_folder(tmp_path / "demo") == tmp_path / "demo"
    (tmp_path / "demo" / "x").write_text("")
    assert free_folder(tmp_path / "demo") == tmp_path / "demo-2"


def test_ablate_table(tmp_path):
    table = ablate(1, tmp_path / "ab", variants=("shared", "latent-4"))
    assert set(table["variants"]) == {"shared", "latent-4"}
    assert "latent-4" in format_ablation(table)
    assert (tmp_path / "ab" / "ablation.png").is_file()


def test_the_pages_ablation_hint_makes_the_demos_layout(tmp_path, monkeypatch):
    """A run without an ablation: the command its page suggests trains the variants in RUN/ablation/ and copies
    ablation.json and ablation.png into RUN, as the demo does; the page then answers its question."""
    run = tmp_path / "my run"
    train(TrainConfig(**TINY, steps=2, time=None), out=run, progress=False)
    page = write_report(run).read_text(encoding="utf-8")
    hint = html.unescape(re.search(r"<code>(aedemo ablate [^<]*)</code> makes it as", page)[1])
    real = aedemo.ablate.train   # a few steps of the real training: this checks the layout, not the numbers
    monkeypatch.setattr(aedemo.ablate, "train", lambda cfg, out, progress, log=None: real(
        replace(cfg, time=None, steps=2, save_every=2), out=out, progress=False))
    monkeypatch.setattr(aedemo.ablate, "QUICK_EVAL", EvalConfig(n=8, blur_samples=2, mean_samples=4, readouts=False))
    result = CliRunner().invoke(cli, shlex.split(hint)[1:])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (run / "ablation").iterdir()) == [
        "ablation.json", "ablation.png", "no-align", "separate", "shared"]
    for name in ("ablation.json", "ablation.png"):
        assert (run / name).read_bytes() == (run / "ablation" / name).read_bytes(), name
    assert "<b>Shared or separate encoders?</b>" in write_report(run).read_text(encoding="utf-8")
    again = CliRunner().invoke(cli, shlex.split(hint)[1:])
    assert again.exit_code == 2 and "already holds an ablation" in again.output


def test_ablate_refuses_other_characters_for_a_run(tmp_path):
    for name in ("config.json", "checkpoint.pt"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    result = CliRunner().invoke(cli, ["ablate", "--out", str(tmp_path), "--a", "cat"])
    assert result.exit_code == 2 and "holds a run of blob and robot; leave out --a and --b" in result.output


def test_ablate_bad_variant(tmp_path):
    result = CliRunner().invoke(cli, ["ablate", "--variant", "separat", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "did you mean separate" in result.output


def test_demo_bad_time(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--time", "-1", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and result.output.startswith("error:")
