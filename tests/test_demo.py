"""`aedemo demo` and `aedemo ablate` end to end, on a tiny budget."""
import json
import shutil
from pathlib import Path

import pytest
from aedemo.cli.main import cli
from click.testing import CliRunner
from PIL import Image

import aedemo.readouts
from aedemo.ablate import ablate, format_ablation
from aedemo.demo import demo, free_folder
from aedemo.lesson.animate import LESSON_FRAMES, swap_frames

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "blob-robot"


@pytest.fixture
def quick_readouts(monkeypatch):
    """Readouts trained for a handful of steps: this test checks plumbing, not accuracy."""
    real = aedemo.readouts.ReadoutConfig
    monkeypatch.setattr(aedemo.readouts, "ReadoutConfig", lambda **kw: real(**{"steps": 5, **kw}))


def test_demo_writes_the_lesson(tmp_path, quick_readouts):
    lines = []
    result = demo(tmp_path / "demo", seconds=2, ablation_seconds=1, log=lines.append)
    folder = result["report"].parent
    for name in ("report.html", "metrics.json", "swap.gif", "explain.json", "latent_pca.png", "ablation.json",
                 "ablation.png", "timelapse.gif", "loss.png", "config.json"):
        assert (folder / name).is_file(), name
    assert len(result["summary"]) == 4 and "dB" in result["summary"][0]
    assert "more --time" in result["summary"][3]  # two seconds are far too few steps, and the demo says so
    assert any("6/6" in line for line in lines)
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
