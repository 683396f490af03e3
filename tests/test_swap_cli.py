"""`aedemo swap` and `aedemo evaluate`: animations with the right frames and metadata, and one-line
errors. A fake run stands in for training where only the plumbing is tested."""
import functools
import json
import subprocess
import sys
import types
from types import SimpleNamespace

import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner
from PIL import Image

from aedemo.identities import IDENTITIES, identity_to_dict
from aedemo.lesson.animate import swap_frames, write_swap
from aedemo.run import Run


class FakeRun:
    """A run whose "swap" mirrors the input (no training needed); it records what was asked."""

    identity = Run.identity  # the real name lookup

    def __init__(self, path, size=32):
        self.identities = {k: IDENTITIES[k] for k in ("blob", "robot", "cat")}
        self.config, self.path, self.device = SimpleNamespace(size=size), path, torch.device("cpu")
        self.calls = []

    def swap(self, frames, to, source=None):
        self.calls.append((source, to))
        return frames.flip(-1)

    def swap_all(self, frames, source=None):
        return {to: self.swap(frames, to, source) for to in self.identities}


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A fake run folder that `aedemo.run.load_run` returns."""
    run = FakeRun(tmp_path)
    module = types.ModuleType("aedemo.run")
    module.load_run = lambda path: run
    monkeypatch.setitem(sys.modules, "aedemo.run", module)
    return run


pytestmark = pytest.mark.usefixtures("one_thread")


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)))


def test_gif_has_frames_and_metadata(fake, tmp_path):
    path = write_swap(fake, tmp_path / "s.gif", "robot", "cat", "blink", frames=7)
    gif = Image.open(path)
    assert gif.n_frames == 7 and b"ynthetic" in gif.info["comment"]
    assert fake.calls == [("robot", "cat")]


def test_png_still_grid_is_marked_synthetic(fake, tmp_path):
    png = Image.open(write_swap(fake, tmp_path / "s.png", "blob", "robot", "nod", frames=5))
    assert png.info["Synthetic"] == "true" and png.height > 5 * 32


def test_both_ways_stacks_the_other_direction_below(fake, tmp_path):
    one_way = swap_frames(fake, "blob", "robot", "tour", frames=3)[0]
    fake.calls.clear()
    gif = Image.open(write_swap(fake, tmp_path / "s.gif", "blob", "robot", "tour", frames=3, both_ways=True))
    assert gif.n_frames == 3 and gif.size == (one_way.width, 2 * one_way.height)
    assert fake.calls == [("blob", "robot"), ("robot", "blob")] and b"ynthetic" in gif.info["comment"]
    png = Image.open(write_swap(fake, tmp_path / "s.png", "blob", "robot", "nod", frames=2, both_ways=True))
    assert png.info["Synthetic"] == "true" and fake.calls[-2:] == [("blob", "robot"), ("robot", "blob")]


def test_swap_frames_for_notebooks(fake):
    frames = swap_frames(fake, "cat", "blob", "tour", frames=3)
    assert len(frames) == 3 and all(isinstance(f, Image.Image) for f in frames)
    assert frames[0].width > 3 * 32


def test_swap_command_defaults_and_directions(fake, tmp_path):
    result = invoke("swap", tmp_path, "--frames", "4")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / "swap.gif") and fake.calls == [("blob", "robot")]
    assert Image.open(tmp_path / "swap.gif").n_frames == 4
    assert invoke("swap", tmp_path, "--to", "blob", "--frames", "2", "-o", tmp_path / "b.gif").exit_code == 0
    assert fake.calls[-1] == ("robot", "blob")
    assert invoke("swap", tmp_path, "--from", "cat", "--frames", "2", "-o", tmp_path / "c.gif").exit_code == 0
    assert fake.calls[-1] == ("cat", "blob")
    same = invoke("swap", tmp_path, "--from", "cat", "--to", "cat", "--frames", "2", "-o", tmp_path / "d.gif")
    assert same.exit_code == 0 and "a reconstruction, not a swap" in same.stderr
    spec = tmp_path / "my-robot.json"
    spec.write_text(json.dumps(identity_to_dict(IDENTITIES["robot"])))  # the built-in robot, saved to a file
    assert invoke("swap", tmp_path, "--from", "Cat", "--to", spec, "--frames", "2", "-o", tmp_path / "e.gif").exit_code == 0
    assert fake.calls[-1] == ("cat", "robot")  # any case, or the spec file a character came from


@pytest.mark.parametrize("args, words", [
    (["--from", "robt"], ["robot", "not in this run"]),
    (["--to", "cta"], ["cat"]),
    (["--frames", "1"], ["--frames"]),
    (["-o", "x.jpg"], [".gif", ".png"]),
    (["--motion", "dance"], ["talk"]),
])
def test_swap_usage_errors_are_one_line(fake, tmp_path, args, words):
    result = invoke("swap", tmp_path, *args)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert all(w in result.stderr for w in words)


def test_evaluate_command_prints_table_or_json(tmp_path, monkeypatch):
    import aedemo.evaluate
    run = FakeRun(tmp_path)
    run.identities = {k: IDENTITIES[k] for k in ("blob", "robot")}
    module = types.ModuleType("aedemo.run")
    module.load_run = lambda path: run
    monkeypatch.setitem(sys.modules, "aedemo.run", module)
    monkeypatch.setattr(aedemo.evaluate, "EvalConfig", functools.partial(aedemo.evaluate.EvalConfig, n=8,
                                                                         blur_samples=2, mean_samples=8,
                                                                         readouts=False))
    result = invoke("evaluate", tmp_path)
    assert result.exit_code == 0, result.output
    assert "blob -> robot" in result.stdout and "sharp" in result.stdout and "wrote" in result.stderr
    result = invoke("evaluate", tmp_path, "--json")
    assert json.loads(result.stdout) == json.loads((tmp_path / "metrics.json").read_text())


def test_commands_on_a_real_run(tmp_path):
    run = tmp_path / "run"
    done = invoke("train", "--a", "cat", "--b", "frog", "--steps", "1", "--size", "32", "--out", run)
    assert done.exit_code == 0, done.output
    done = invoke("swap", run, "--from", "frog", "--motion", "look", "--frames", "3")
    assert done.exit_code == 0, done.output
    gif = Image.open(run / "swap.gif")
    assert gif.n_frames == 3 and b"aedemo" in gif.info["comment"]
    done = invoke("swap", run, "--to", "dog")
    assert done.exit_code == 2 and done.stderr.count("\n") == 1 and "cat" in done.stderr


def test_help_does_not_import_torch():
    code = ("import sys\nfrom aedemo.cli.main import cli\nfor args in (['swap', '--help'], ['evaluate', '--help']):\n"
            "    try:\n        cli.main(args)\n    except SystemExit:\n        pass\nprint('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "aedemo evaluate runs/" in done.stdout and done.stdout.split()[-1] == "False"
