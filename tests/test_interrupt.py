"""Ctrl-C in the long commands (demo, ablate, evaluate): exit 130, one line, no traceback, and no
half-written file: what was saved loads, and what was not finished (metrics.json, the ablation,
the lesson page) is not there.

The interrupt comes at a known point, not on a timer: in-process, a known function raises
KeyboardInterrupt on its n-th call, as Ctrl-C would; once, a real process gets SIGINT right
after it announces a known step on stderr.
"""
import json
import os
import pkgutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from aedemo.cli.main import cli
from click.testing import CliRunner

import aedemo
from aedemo.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]
TINY = {"size": 32, "crop": 24, "batch": 4, "width": 8, "latent": 8, "save_every": 2}
TRAIN_STEP = "aedemo.train.train_step"        # one step of the swap model's training
READOUT_STEP = "aedemo.readouts.train_step"           # one step of the readouts evaluate trains first
SWAP = "aedemo.run.Run.swap_all"                      # a trained run's swaps to every character: what scoring calls


def ctrl_c_at(monkeypatch, target: str, n: int) -> list:
    """Make `target` raise KeyboardInterrupt on its n-th call, as Ctrl-C would; returns the calls."""
    real, calls = pkgutil.resolve_name(target), []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(target, interrupted)
    return calls


def interrupted(result) -> str:
    """Exit 130, no traceback, no error: the last line says it was interrupted (progress lines come first)."""
    assert result.exit_code == 130, result.output
    lines = result.output.strip().splitlines()
    assert "Traceback" not in result.output and not any(line.startswith("error") for line in lines), result.output
    assert lines[-1].startswith("interrupted"), result.output
    return lines[-1]


def no_temp_files(folder: Path) -> None:
    assert sorted(folder.rglob("*.tmp")) == []


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, one_thread):
    """A tiny trained run (2 steps) for evaluate to score."""
    out = tmp_path_factory.mktemp("interrupt") / "run"
    train(TrainConfig(**TINY, steps=2, time=None), out=out, progress=False)
    return out


def test_ctrl_c_while_demo_trains(tmp_path, monkeypatch, one_thread):
    ctrl_c_at(monkeypatch, TRAIN_STEP, 3)
    out = tmp_path / "demo"
    line = interrupted(invoke("demo", "--time", "30", "--out", out))
    assert line == f"interrupted during training; what is done is saved. Finish the lesson with: " \
                   f"aedemo demo --out {out} --resume"
    assert aedemo.load_run(out).step == 2   # the steps it made were saved, whole
    assert not (out / "metrics.json").exists() and not (out / "report.html").exists()
    no_temp_files(out)


def test_ctrl_c_while_demo_scores(tmp_path, monkeypatch, one_thread):
    calls = ctrl_c_at(monkeypatch, SWAP, 2)   # the lesson's pair brings its readouts: scoring swaps at once
    out = tmp_path / "demo"
    assert interrupted(invoke("demo", "--time", "1", "--out", out)).startswith("interrupted during scoring;")
    assert len(calls) == 2 and aedemo.load_run(out).step >= 1
    for name in ("metrics.json", "swap.gif", "report.html"):
        assert not (out / name).exists(), name
    no_temp_files(out)


@pytest.mark.parametrize("where, n", [(TRAIN_STEP, 3), (SWAP, 1)])
def test_ctrl_c_in_ablate(tmp_path, monkeypatch, one_thread, where, n):
    """While the first variant trains, and while it is scored."""
    ctrl_c_at(monkeypatch, where, n)
    out = tmp_path / "ablation"
    interrupted(invoke("ablate", "--time", "30" if where == TRAIN_STEP else "1", "--variant", "shared",
                       "--variant", "separate", "--out", out))
    assert not (out / "ablation.json").exists() and not (out / "ablation.png").exists()
    assert not (out / "separate").exists()
    assert aedemo.load_run(out / "shared").step >= 1
    no_temp_files(out)


@pytest.mark.parametrize("where, n", [(READOUT_STEP, 2), (SWAP, 2)])
def test_ctrl_c_in_evaluate_leaves_no_new_metrics(tmp_path, monkeypatch, tiny_run, where, n):
    """While the readouts train, and while the swaps are scored: metrics.json is the one from before."""
    import aedemo.readouts
    quick = aedemo.readouts.ReadoutConfig   # a few steps: here the readouts only have to finish
    monkeypatch.setattr(aedemo.readouts, "ReadoutConfig", lambda **kw: quick(**{"steps": 4, **kw}))
    run = tmp_path / "run"
    run.mkdir()
    for name in ("config.json", "checkpoint.pt"):
        (run / name).write_bytes((tiny_run / name).read_bytes())
    (run / "metrics.json").write_text('{"from": "before"}\n')
    ctrl_c_at(monkeypatch, where, n)
    assert interrupted(invoke("evaluate", run)) == "interrupted"
    assert json.loads((run / "metrics.json").read_text()) == {"from": "before"}
    assert (run / "readouts.pt").exists() == (where == SWAP)   # written only once the readouts are trained
    no_temp_files(run)


def test_sigint_in_a_real_process(tmp_path, tiny_run):
    """SIGINT right after evaluate says it is training the readouts (that takes seconds): exit 130,
    one line, and nothing written."""
    run = tmp_path / "run"
    run.mkdir()
    for name in ("config.json", "checkpoint.pt"):
        (run / name).write_bytes((tiny_run / name).read_bytes())
    command = [sys.executable, "-m", "aedemo.cli", "evaluate", str(run)]
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    # a shell without job control starts background jobs with SIGINT ignored, and children inherit that;
    # a handled (not ignored) SIGINT in this process gives the child a normal Ctrl-C
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        seen = []
        while not seen or not seen[-1].startswith("training the readouts"):
            seen.append(proc.stderr.readline())
            assert seen[-1], f"evaluate ended without training the readouts: {seen}"
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, rest
    assert rest.strip().splitlines() == ["interrupted"], rest   # after the newline click ends a ^C line with
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.pt", "config.json"]
