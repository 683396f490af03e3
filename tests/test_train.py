"""Training: a tiny run writes the whole run folder, resumes exactly, stops cleanly."""
import json
import math
import re
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner

import aedemo.train
from aedemo.config import TrainConfig
from aedemo.errors import RunError, UsageError
from aedemo.run import load_run
from aedemo.train import lr_factor, train

TINY = {"size": 32, "crop": 24, "batch": 4, "width": 8, "latent": 8, "save_every": 5, "time": None}


def tiny(**kw):
    return TrainConfig(**{**TINY, **kw})


def test_tiny_run_writes_every_file(tmp_path):
    run = train(tiny(steps=10), out=tmp_path / "run", progress=False)
    folder = tmp_path / "run"
    for name in ("config.json", "checkpoint.pt", "checkpoint.best.pt", "log.csv", "timelapse.gif", "loss.png",
                 "preview/000005.png", "preview/000010.png"):
        assert (folder / name).is_file(), name
    info = json.loads((folder / "config.json").read_text())
    assert info["reproduce"].startswith("aedemo train --a blob --b robot --steps 10")
    assert info["versions"]["torch"] == torch.__version__
    header, *rows = (folder / "log.csv").read_text().splitlines()
    assert "swap_psnr" in header and len(rows) == 2
    assert not list(folder.glob("**/*.tmp"))
    out = run.swap(torch.rand(3, 3, 32, 32), to="robot")
    assert out.shape == (3, 3, 32, 32) and 0 <= out.min() and out.max() <= 1


def test_preview_header_leads_with_eyes_and_mouth(tmp_path, monkeypatch):
    titles = []
    real = aedemo.train.preview_grid
    monkeypatch.setattr(aedemo.train, "preview_grid", lambda *a, title="": titles.append(title) or real(*a, title=title))
    train(tiny(steps=5), out=tmp_path / "run", progress=False)
    header = re.fullmatch(r"step 5   swap vs truth: eyes\+mouth [\d.]+ dB, whole frame [\d.]+ dB", titles[0])
    assert len(titles) == 1 and header, titles


def weights(path):
    return torch.load(path / "checkpoint.pt", weights_only=True)["model"]


@pytest.mark.parametrize("pipeline", ["aligned", "frame"])
def test_resume_is_exact(tmp_path, pipeline):
    aligned = pipeline == "aligned"
    train(tiny(steps=20, aligned=aligned), out=tmp_path / "straight", progress=False)
    train(tiny(steps=10, aligned=aligned), out=tmp_path / "split", progress=False)
    train(tiny(steps=20, aligned=aligned), out=tmp_path / "split", resume=True, progress=False)
    a, b = weights(tmp_path / "straight"), weights(tmp_path / "split")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert load_run(tmp_path / "split").step == 20


def test_same_seed_same_weights(tmp_path):
    train(tiny(steps=3), out=tmp_path / "one", progress=False)
    train(tiny(steps=3), out=tmp_path / "two", progress=False)
    a, b = weights(tmp_path / "one"), weights(tmp_path / "two")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_non_finite_loss_stops_and_keeps_checkpoint(tmp_path, monkeypatch):
    train(tiny(steps=5), out=tmp_path / "run", progress=False)
    before = (tmp_path / "run" / "checkpoint.pt").read_bytes()
    real_step = aedemo.train.train_step

    def poisoned(state, dtype):
        losses = real_step(state, dtype)
        return {**losses, "loss_blob": math.nan} if state.step >= 7 else losses

    monkeypatch.setattr(aedemo.train, "train_step", poisoned)
    with pytest.raises(RunError, match="lower learning rate"):
        train(tiny(steps=20, save_every=100), out=tmp_path / "run", resume=True, progress=False)
    assert (tmp_path / "run" / "checkpoint.pt").read_bytes() == before


def test_separate_encoders_and_three_identities(tmp_path):
    run = train(tiny(steps=2, encoders="separate", more=("cat",)), out=tmp_path / "run", progress=False)
    assert list(run.identities) == ["blob", "robot", "cat"]
    assert set(run.model.encoders) == {"blob", "robot", "cat"}


@pytest.mark.parametrize("args, words", [
    (["--batch", "0"], "--batch"),
    (["--time", "-5"], "--time"),
    (["--lr", "1000"], "--lr"),
    (["--a", "blob", "--b", "blob"], "twice"),
    (["--a", "blbo"], "did you mean blob"),
    (["--size", "300"], "--size"),
    (["--steps", "0"], "--steps"),
    (["--decay-at", "-5"], "--decay-at"),
    (["--a", "{tmp}/pip.json", "--b", "{tmp}/pip2.json"], "two different characters are both named 'pip'"),
    (["--a", "{tmp}/cat.json", "--b", "robot"], "the name of a built-in character"),
])
def test_bad_options_exit_2(tmp_path, args, words):
    (tmp_path / "cat.json").write_text(json.dumps({"name": "cat", "head": "box", "skin": [9, 9, 9]}))
    (tmp_path / "pip.json").write_text(json.dumps({"name": "pip", "head": "box", "skin": [9, 9, 9]}))
    (tmp_path / "pip2.json").write_text(json.dumps({"name": "pip", "head": "round", "skin": [9, 90, 9]}))
    args = [a.format(tmp=tmp_path) for a in args]
    result = CliRunner().invoke(cli, ["train", *args, "--out", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.output


def test_cli_defaults_are_the_library_defaults(monkeypatch, tmp_path):
    """`aedemo train` with no options trains TrainConfig() exactly: its options are made from the fields."""
    asked = []

    def recorder(cfg, **kwargs):
        asked.append(cfg)
        return SimpleNamespace(step=0, path=tmp_path, identities={})

    monkeypatch.setattr("aedemo.train.train", recorder)
    assert CliRunner().invoke(cli, ["train"]).exit_code == 0
    assert asked == [TrainConfig()]
    options = {p.name for p in cli.commands["train"].params}
    assert {"a", "b", "more", "steps", "time", "lr", "aligned", "seed", "save_every"} <= options


def test_train_ends_by_naming_the_lesson_page(monkeypatch, tmp_path):
    run = tmp_path / "my run"
    monkeypatch.setattr("aedemo.train.train", lambda cfg, **kwargs: SimpleNamespace(step=5, path=run, identities={}))
    result = CliRunner().invoke(cli, ["train", "--steps", "5"])
    quoted = f"'{run}'"
    assert f"next: aedemo swap {quoted}   or   aedemo evaluate {quoted}; then aedemo report {quoted} makes its " \
           "lesson page" in result.output


def test_budget_is_a_minute_unless_steps_are_given():
    """From Python as from the CLI: steps alone set no time limit (and keep threads fixed)."""
    assert (TrainConfig().time, TrainConfig().steps) == (60.0, None)
    assert (TrainConfig(steps=200).time, TrainConfig(steps=200, time=30).time) == (None, 30)


def test_learning_rate_falls_to_a_tenth_after_decay_at():
    cfg = TrainConfig(decay_at=600)
    factors = [lr_factor(cfg, step) for step in (0, 599, 600, 700, 800, 5000)]
    assert factors == pytest.approx([1.0, 1.0, 1.0, 0.55, 0.1, 0.1])
    assert lr_factor(TrainConfig(decay_at=0), 5000) == 1.0


def test_existing_run_needs_resume(tmp_path):
    train(tiny(steps=1), out=tmp_path / "r", progress=False)
    with pytest.raises(UsageError, match="--resume"):
        train(tiny(steps=2), out=tmp_path / "r", progress=False)


def test_ctrl_c_saves_and_exits_130(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "aedemo.cli", "train", "--time", "120", "--size", "32", "--crop", "24",
           "--batch", "4", "--latent", "8", "--save-every", "3", "--out", str(out)]
    # a shell without job control starts background jobs with SIGINT ignored, and children inherit that;
    # a handled (not ignored) SIGINT in this process gives the child a normal Ctrl-C
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.time() + 90
    while not (out / "checkpoint.pt").exists() and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert "saved" in err and "Traceback" not in err
    assert "--resume --time " in err and "error" not in err  # a concrete command; Ctrl-C is not an error
    assert load_run(out).step >= 3


def test_any_character_name_gives_a_safe_folder(tmp_path, monkeypatch):
    import json as _json
    spec = tmp_path / "odd.json"
    spec.write_text(_json.dumps({"name": "<odd> name/x", "head": "round", "skin": [1, 2, 3]}))
    monkeypatch.chdir(tmp_path)
    run = train(tiny(a=str(spec), steps=1), progress=False)
    assert run.path.resolve().parent == (tmp_path / "runs").resolve()
    assert run.path.name == "odd_name_x-robot"


def test_ctrl_c_in_the_first_step_says_no_checkpoint_was_saved(tmp_path, monkeypatch):
    from aedemo.errors import Interrupted

    def interrupted(state, dtype):
        raise KeyboardInterrupt

    monkeypatch.setattr(aedemo.train, "train_step", interrupted)
    with pytest.raises(Interrupted, match="no checkpoint was saved") as caught:
        train(tiny(steps=5), out=tmp_path / "run", progress=False)
    assert "--resume" not in str(caught.value)
    assert not (tmp_path / "run" / "checkpoint.pt").exists()
    assert "reproduce" not in json.loads((tmp_path / "run" / "config.json").read_text())
    monkeypatch.undo()
    assert train(tiny(steps=2), out=tmp_path / "run", progress=False).step == 2  # the same command starts again
