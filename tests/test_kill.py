"""A training process killed outright (SIGKILL, a power cut) loses at most one save interval, and
`--resume` then continues exactly: the finished run is the run that was never killed.

The kill comes at a known point, not on a timer: a small driver runs the real command line with
os.replace wrapped, and calls os._exit(137) (no cleanup, no flush: what SIGKILL does to a process)
just after the k-th checkpoint.pt was moved into place, or just before it, when its temp file is
written but not yet moved.
"""
import os
import subprocess
import sys
from pathlib import Path

import torch

import aedemo
from aedemo.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]
TINY = {"size": 32, "crop": 24, "batch": 4, "width": 8, "latent": 8, "save_every": 2}
TINY_CLI = [f"--{key.replace('_', '-')}={value}" for key, value in TINY.items()]
ONE_THREAD = dict(os.environ, OMP_NUM_THREADS="1")   # a tiny model: a second thread only spins
KILLED = 137

DRIVER = """
import os, sys
from aedemo.cli.main import main

when, k = sys.argv[1], int(sys.argv[2])
real_replace, saves = os.replace, []

def replace(src, dst, *args, **kwargs):
    checkpoint = os.path.basename(dst) == "checkpoint.pt"
    saves.extend([dst] if checkpoint else [])
    if checkpoint and len(saves) == k and when == "before":
        os._exit(137)
    real_replace(src, dst, *args, **kwargs)
    if checkpoint and len(saves) == k and when == "after":
        os._exit(137)

os.replace = replace
sys.argv = ["aedemo", *sys.argv[3:]]
main()
"""


def aedemo_train(out: Path, *args: str, kill: tuple[str, int] | None = None) -> subprocess.CompletedProcess:
    """`aedemo train` in its own process; with kill=("after" or "before", k), killed at the k-th checkpoint."""
    command = ["-c", DRIVER, *map(str, kill)] if kill else ["-m", "aedemo.cli"]
    return subprocess.run([sys.executable, *command, "train", *TINY_CLI, "--out", str(out), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=ONE_THREAD, check=False)


def logged_steps(run: Path) -> list[int]:
    return [int(line.split(",")[0]) for line in (run / "log.csv").read_text().splitlines()[1:]]


def checkpoint_temps(run: Path) -> set[str]:
    """Temp files of a checkpoint being written (atomic_write names them .NAME.*.tmp)."""
    return {p.name for p in run.glob(".checkpoint*.tmp")}


def state(run: Path) -> dict:
    return torch.load(run / "checkpoint.pt", weights_only=True)


def test_resume_after_sigkill_is_bit_exact(tmp_path, one_thread):
    """Killed just after its step-4 checkpoint, resumed to step 8: the same weights, bit for bit, as
    a run that trained 8 steps straight."""
    straight = tmp_path / "straight"
    train(TrainConfig(**TINY, steps=8), out=straight, progress=False)
    run = tmp_path / "killed"
    killed = aedemo_train(run, "--steps", "8", kill=("after", 2))
    assert killed.returncode == KILLED, killed.stderr
    assert state(run)["step"] == 4 and logged_steps(run) == [2, 4]
    resumed = aedemo_train(run, "--resume", "--steps", "8")
    assert resumed.returncode == 0, resumed.stderr
    a, b = state(straight), state(run)
    assert a["step"] == b["step"] == 8
    for part in ("model", "aligner"):
        assert a[part].keys() == b[part].keys() and a[part], part
        different = [k for k in a[part] if not torch.equal(a[part][k], b[part][k])]
        assert different == [], (part, different)
    moments = [(x, y) for s, t in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values())
               for x, y in zip(s.values(), t.values())]
    assert moments and all(torch.equal(x, y) for x, y in moments), "Adam's running averages differ"
    assert torch.equal(a["rng"], b["rng"])
    losses = [line.split(",")[2] for line in (straight / "log.csv").read_text().splitlines()]
    assert losses == [line.split(",")[2] for line in (run / "log.csv").read_text().splitlines()]


PLAN = [("after", 2), ("before", 1), ("after", 1), ("before", 2), ("after", 1)]


def test_sigkill_at_known_points_then_resume(tmp_path):
    """Killed again and again, after a checkpoint and in the middle of writing one: every time the
    run resumes, losing at most one save interval, and the finished run is whole (no temp files,
    no gaps or repeats in log.csv)."""
    run, every, step, left = tmp_path / "run", TINY["save_every"], 0, set()
    for when, k in PLAN:
        killed = aedemo_train(run, "--time", "300", *(["--resume"] if step else []), kill=(when, k))
        assert killed.returncode == KILLED, killed.stderr
        assert not left & checkpoint_temps(run), "the resumed run did not remove the temp files left before"
        left = checkpoint_temps(run)
        assert bool(left) == (when == "before"), (when, left)   # a half-written checkpoint is left as a temp file
        step += (k if when == "after" else k - 1) * every
        assert state(run)["step"] == aedemo.load_run(run).step == step, (when, k)
        lost = every if when == "before" else 0   # log.csv gets its row just before the checkpoint is saved
        assert logged_steps(run) == list(range(every, step + lost + 1, every)), (when, k)
    finished = aedemo_train(run, "--resume", "--steps", str(step + every))
    assert finished.returncode == 0, finished.stderr
    assert sorted(run.rglob("*.tmp")) == []
    assert aedemo.load_run(run).step == step + every
    assert logged_steps(run) == list(range(every, step + every + 1, every))   # no gap, no repeat

