"""Faults and bad input: nothing lost, nothing executed, one clear line.

Temp files a killed run left are removed on resume (tests/test_kill.py kills runs); hostile,
damaged and foreign files are refused without running anything; bad arguments and full disks
give one `error:` line.
"""
import builtins
import errno
import functools
import io
import json
import math
import os
import pickle
import random
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner

import aedemo.train
from aedemo.checkpoint import load_checkpoint, save_checkpoint
from aedemo.config import TrainConfig, check, with_identities
from aedemo.errors import RunError
from aedemo.run import load_run
from aedemo.train import new_state, train

TINY = {"size": 32, "crop": 24, "batch": 4, "width": 8, "latent": 8, "save_every": 2, "time": None}
TINY_CLI = ["--size", "32", "--crop", "24", "--batch", "4", "--latent", "8", "--save-every", "2"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line_error(result, code=None):
    """Exactly one line, `error: ...`, a non-zero exit (the given one), and no traceback (a training
    run that started first has announced itself on a line of its own before failing)."""
    lines = [line for line in result.output.strip().splitlines() if not line.startswith("training ")]
    assert result.exit_code != 0 and (code is None or result.exit_code == code), result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.tmp"))


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    """A tiny trained run (2 steps) that tests copy and then damage."""
    out = tmp_path_factory.mktemp("base") / "run"
    train(TrainConfig(**TINY, steps=2), out=out, progress=False)
    return out


def copy_run(base: Path, dst: Path) -> Path:
    """The two files a run needs to load and resume: config.json and checkpoint.pt."""
    dst.mkdir(parents=True)
    for name in ("config.json", "checkpoint.pt"):
        shutil.copy(base / name, dst / name)
    return dst


# ---------------------------------------------------------------- crashes


def test_stale_temp_files_are_removed_on_resume(tmp_path, base_run):
    run = copy_run(base_run, tmp_path / "run")
    for name in (".checkpoint.pt.abc123.tmp", ".log.csv.x.tmp", "preview/.000004.png.y.tmp"):
        (run / name).parent.mkdir(exist_ok=True)
        (run / name).write_bytes(b"half a file")
    train(TrainConfig(**TINY, steps=4), out=run, resume=True, progress=False)
    assert temp_files(run) == []


# ---------------------------------------------------------------- hostile and damaged files


class RunsCommand:
    """A pickle that runs a shell command when it is unpickled."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class ExecsPython:
    """A pickle that calls builtins.exec when it is unpickled."""

    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (builtins.exec, (self.code,))


def torch_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def hostile_checkpoints(marker: Path) -> dict:
    """Files that would run code if they were unpickled: each would create `marker`."""
    shell = f"touch {marker}"
    python = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system in a checkpoint": torch_bytes({"format": "aedemo-checkpoint-1", "step": RunsCommand(shell)}),
        "builtins.exec in a checkpoint": torch_bytes({"format": "aedemo-checkpoint-1", "model": ExecsPython(python)}),
        "bare pickle, os.system": pickle.dumps(RunsCommand(shell)),
        "bare pickle protocol 2, exec": pickle.dumps(ExecsPython(python), protocol=2),
    }


def load_naively(paths: list[Path]) -> None:
    """Unpickle files the unsafe way (weights_only=False), in another process, as a careless program would."""
    code = ("import sys, torch\nfor path in sys.argv[1:]:\n    try:\n"
            "        torch.load(path, weights_only=False)\n    except Exception:\n        pass")
    subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True, timeout=120, check=False)


def test_hostile_payloads_are_live(tmp_path):
    """Sanity check of the test itself: unpickled naively, each payload does run, the ones wrapped
    by torch.save as well as the bare pickles."""
    names = list(hostile_checkpoints(tmp_path / "ran"))
    files = []
    for i, name in enumerate(names):
        files.append(tmp_path / f"payload{i}.pt")
        files[-1].write_bytes(hostile_checkpoints(tmp_path / f"ran{i}")[name])
    load_naively(files)
    assert [name for i, name in enumerate(names) if not (tmp_path / f"ran{i}").exists()] == []


def test_hostile_best_checkpoint_runs_nothing(tmp_path, base_run):
    """load_run(path, best=True) reads checkpoint.best.pt: it is refused the same way."""
    marker = tmp_path / "ran"
    for i, (name, data) in enumerate(hostile_checkpoints(marker).items()):
        run = copy_run(base_run, tmp_path / f"run{i}")
        (run / "checkpoint.best.pt").write_bytes(data)
        with pytest.raises(RunError, match="checkpoint.best.pt was refused") as caught:
            load_run(run, best=True)
        assert "nothing in it was run" in str(caught.value) and "\n" not in str(caught.value), name
        assert not marker.exists(), f"{name}: the payload ran"
        assert load_run(run).step == 2   # the latest checkpoint still loads


def test_hostile_readouts_cache_runs_nothing_and_is_trained_again(tmp_path, base_run, monkeypatch):
    """`aedemo evaluate` reads RUN/readouts.pt: a hostile one is not run but replaced, and the run is scored."""
    import aedemo.evaluate
    import aedemo.readouts
    quick = aedemo.readouts.ReadoutConfig   # a few steps and poses: this test is about the file, not the scores
    monkeypatch.setattr(aedemo.readouts, "ReadoutConfig", lambda **kw: quick(**{"steps": 2, **kw}))
    monkeypatch.setattr(aedemo.evaluate, "EvalConfig", functools.partial(aedemo.evaluate.EvalConfig, n=8,
                                                                         blur_samples=2, mean_samples=8))
    marker = tmp_path / "ran"
    for i, (name, data) in enumerate(hostile_checkpoints(marker).items()):
        run = copy_run(base_run, tmp_path / f"run{i}")
        (run / "readouts.pt").write_bytes(data)
        with warnings.catch_warnings(record=True) as warned:   # in a terminal, torch's warnings would show
            warnings.simplefilter("always")
            result = invoke("evaluate", run)
        assert result.exit_code == 0, (name, result.output)
        assert not marker.exists(), f"{name}: the payload ran"
        assert [str(w.message) for w in warned] == [], name
        said = [line for line in result.stderr.splitlines() if line.startswith("readouts.pt is damaged; ")]
        assert said == ["readouts.pt is damaged; training the readouts again"] if i == 0 else said, name  # then kept
        assert json.loads((run / "metrics.json").read_text())["readouts"]["identity_accuracy"] >= 0
        assert set(torch.load(run / "readouts.pt", weights_only=True)) >= {"fingerprint", "state"}


COMMANDS = {
    "swap": lambda run: ["swap", run, "--frames", "2", "-o", run.parent / "out.gif"],
    "evaluate": lambda run: ["evaluate", run],
    "train": lambda run: ["train", "--out", run, "--resume", "--steps", "4"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_hostile_checkpoints_run_nothing(tmp_path, base_run, command):
    marker = tmp_path / "ran"
    for i, (name, data) in enumerate(hostile_checkpoints(marker).items()):
        run = copy_run(base_run, tmp_path / f"run{i}")
        (run / "checkpoint.pt").write_bytes(data)
        line = one_line_error(invoke(*COMMANDS[command](run)), 1)
        assert "refused" in line and "nothing in it was run" in line, (name, line)
        assert not marker.exists(), f"{name}: the payload ran"
        with pytest.raises(RunError, match="refused"):
            load_checkpoint(run / "checkpoint.pt")
        assert not marker.exists()


def test_hostile_checkpoint_in_a_real_process(tmp_path, base_run, run_cli):
    """The real command line, stderr and all (torch's warnings must not leak out either)."""
    marker = tmp_path / "ran"
    run = copy_run(base_run, tmp_path / "run")
    (run / "checkpoint.pt").write_bytes(hostile_checkpoints(marker)["bare pickle, os.system"])
    done = run_cli("swap", run, "--frames", "2")
    assert done.returncode == 1 and not marker.exists()
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and "refused" in done.stderr
    debug = run_cli("--debug", "swap", run, "--frames", "2")
    assert debug.returncode == 1 and "Traceback" in debug.stderr and not marker.exists()


def damaged_checkpoints(good: bytes, state: dict) -> dict:
    rng = random.Random(3)
    return {
        "truncated to half": good[: len(good) // 2],
        "truncated to 100 bytes": good[:100],
        "empty": b"",
        "random bytes": bytes(rng.getrandbits(8) for _ in range(4096)),
        "text": b"this is not a checkpoint\n",
        "a list, not a dict": torch_bytes([1, 2, 3]),
        "another program's file": torch_bytes({"state_dict": state["model"]}),
        "no step": torch_bytes({k: v for k, v in state.items() if k != "step"}),
        "step is text": torch_bytes({**state, "step": "12"}),
        "weights of another shape": torch_bytes({**state, "model": {k: torch.zeros(2) for k in state["model"]}}),
        "weights missing": torch_bytes({**state, "model": {}}),
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_damaged_checkpoints_one_line(tmp_path, base_run, command):
    good = (base_run / "checkpoint.pt").read_bytes()
    state = torch.load(base_run / "checkpoint.pt", weights_only=True)
    for i, (name, data) in enumerate(damaged_checkpoints(good, state).items()):
        run = copy_run(base_run, tmp_path / f"run{i}")
        (run / "checkpoint.pt").write_bytes(data)
        line = one_line_error(invoke(*COMMANDS[command](run)), 1)
        assert "checkpoint.pt" in line, (name, line)
    damaged = copy_run(base_run, tmp_path / "optimizer")
    (damaged / "checkpoint.pt").write_bytes(torch_bytes({**state, "optimizer": {"state": {}, "param_groups": []}}))
    if command == "train":  # only training needs the optimiser, random state and frame pool
        assert "not fit" in one_line_error(invoke(*COMMANDS[command](damaged)), 1)
        for pool in ({"blob": torch.zeros(3, 2)}, {name: "poses" for name in state["pool"]}):
            (damaged / "checkpoint.pt").write_bytes(torch_bytes({**state, "pool": pool}))
            assert "frame pool does not match" in one_line_error(invoke(*COMMANDS[command](damaged)), 1)


def edit_settings(**changes):
    def edit(info):
        info["settings"].update(changes)
        return info
    return edit


CONFIG_EDITS = {
    "latent changed (wrong architecture)": (edit_settings(latent=16), "do not match"),
    "width changed (wrong architecture)": (edit_settings(width=16), "do not match"),
    "pipeline changed (wrong architecture)": (edit_settings(aligned=False), "do not match"),
    "separate encoders (wrong architecture)": (edit_settings(encoders="separate"), "do not match"),
    "identity removed": (lambda i: {**i, "settings": {**i["settings"], "identities": {
        "blob": i["settings"]["identities"]["blob"]}}}, "two or more"),
    "latent is text": (edit_settings(latent="8"), "latent"),
    "crop is fractional": (edit_settings(crop=24.5), "crop"),
    "norm is text": (edit_settings(norm="no"), "norm"),
    "seed too large": (edit_settings(seed=10**30), "seed"),
    "latent negative": (edit_settings(latent=-1), "latent"),
    "size out of range": (edit_settings(size=4000), "size"),
    "time is NaN": (edit_settings(time=math.nan), "time"),
    "unknown setting": (edit_settings(colour=1), "colour"),
    "identities a list": (edit_settings(identities=["blob", "robot"]), "identities"),
    "identity spec damaged": (lambda i: {**i, "settings": {**i["settings"], "identities": {
        **i["settings"]["identities"], "robot": {**i["settings"]["identities"]["robot"], "skin": [0, 0, 999]}}}},
        "skin"),
    "settings a list": (lambda i: {**i, "settings": [1, 2]}, "settings"),
    "settings missing": (lambda i: {"seed": 0}, "settings"),
    "a list, not an object": (lambda i: [i], "config.json"),
}
CONFIG_TEXTS = {
    "missing": None,
    "empty": b"",
    "invalid JSON": b'{"settings": {',
    "not UTF-8": b"\xff\xfe\x00{",
    "null": b"null",
}


@pytest.mark.parametrize("command", COMMANDS)
def test_edited_or_missing_config_one_line(tmp_path, base_run, command):
    cases = [(name, edit, word) for name, (edit, word) in CONFIG_EDITS.items()]
    cases += [(name, text, "config.json") for name, text in CONFIG_TEXTS.items()]
    for i, (name, edit, word) in enumerate(cases):
        run = copy_run(base_run, tmp_path / f"run{i}")
        config = run / "config.json"
        if callable(edit):
            config.write_text(json.dumps(edit(json.loads(config.read_text()))))
        elif edit is None:
            config.unlink()
        else:
            config.write_bytes(edit)
        before = (run / "checkpoint.pt").read_bytes()
        line = one_line_error(invoke(*COMMANDS[command](run)))
        assert word in line, (name, line)
        assert (run / "checkpoint.pt").read_bytes() == before, name


SPECS = {
    "unknown key": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "colour": [1, 2, 3]}, "colour"),
    "misspelt key": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "eye_colour": [1, 2, 3]}, "eye_color"),
    "missing name": ({"head": "round", "skin": [1, 2, 3]}, "name"),
    "missing skin": ({"name": "pip", "head": "round"}, "skin"),
    "name is a number": ({"name": 7, "head": "round", "skin": [1, 2, 3]}, "name"),
    "name empty": ({"name": " ", "head": "round", "skin": [1, 2, 3]}, "name"),
    "name too long": ({"name": "p" * 41, "head": "round", "skin": [1, 2, 3]}, "name"),
    "name with a newline": ({"name": "pi\np", "head": "round", "skin": [1, 2, 3]}, "name"),
    "head unknown": ({"name": "pip", "head": "star", "skin": [1, 2, 3]}, "head"),
    "head is a list": ({"name": "pip", "head": ["round"], "skin": [1, 2, 3]}, "head"),
    "colour above 255": ({"name": "pip", "head": "round", "skin": [1, 2, 256]}, "skin"),
    "colour negative": ({"name": "pip", "head": "round", "skin": [-1, 2, 3]}, "skin"),
    "colour fractional": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "outline": [1, 2.5, 3]}, "outline"),
    "colour as text": ({"name": "pip", "head": "round", "skin": "#ff0000"}, "skin"),
    "colour of four": ({"name": "pip", "head": "round", "skin": [1, 2, 3, 4]}, "skin"),
    "colour of booleans": ({"name": "pip", "head": "round", "skin": [True, False, True]}, "skin"),
    "eye size too big": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "eye_size": 0.5}, "eye_size"),
    "eye size text": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "eye_size": "big"}, "eye_size"),
    "eye size boolean": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "eye_size": True}, "eye_size"),
    "eye shape unknown": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "eye_shape": "star"}, "eye_shape"),
    "mouth style number": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "mouth_style": 1}, "mouth_style"),
    "extras unknown": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "extras": ["wings"]}, "extras"),
    "extras a string": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "extras": "tuft"}, "extras"),
    "description a number": ({"name": "pip", "head": "round", "skin": [1, 2, 3], "description": 5}, "description"),
}
SPEC_TEXTS = {
    "bad JSON": (b'{"name": "pip",', "not valid JSON"),
    "trailing comma": (b'{"name": "pip", "head": "round", "skin": [1, 2, 3],}', "not valid JSON"),
    "empty file": (b"", "is empty; a spec is a JSON object"),
    "a list": (b'[{"name": "pip"}]', "JSON object"),
    "a string": (b'"pip"', "JSON object"),
    "null": (b"null", "JSON object"),
    "NaN colour": (b'{"name": "pip", "head": "round", "skin": [NaN, 2, 3]}', "skin"),
    "not UTF-8": (b'{"name": "p\xe9p", "head": "round", "skin": [1, 2, 3]}', "cannot read"),
    "nested too deeply": (b"[" * 100_000, "nested"),
    "a 5000-digit number": (b'{"name": "pip", "head": "round", "skin": [' + b"9" * 5000 + b", 2, 3]}", "too long"),
}


def test_spec_files_with_every_kind_of_wrong_field(tmp_path):
    out = tmp_path / "out.png"
    cases = {name: (json.dumps(spec).encode(), word) for name, (spec, word) in SPECS.items()} | SPEC_TEXTS
    for name, (data, word) in cases.items():
        spec = tmp_path / f"{name.replace(' ', '_')}.json"
        spec.write_bytes(data)
        line = one_line_error(invoke("render", spec, "-o", out), 2)
        assert word in line, (name, line)
    assert not out.exists()
    one_line_error(invoke("render", tmp_path / "no_such_spec.json", "-o", out), 2)
    (tmp_path / "folder.json").mkdir()
    assert "cannot read" in one_line_error(invoke("render", tmp_path / "folder.json", "-o", out), 2)


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("args, words", [
    (["--a", "cat", "--b", "robot", "--identity", "cat"], "twice"),
    (["--b", "robto"], "did you mean robot"),
    (["--identity", "caat"], "did you mean cat"),
    (["--a", "missing_spec.json"], "no spec file at missing_spec.json; save one there"),
    (["--time", "0"], "--time"),
    (["--time", "nan"], "--time"),
    (["--time", "inf"], "--time"),
    (["--batch", "-3"], "--batch"),
    (["--batch", "lots"], "--batch"),
    (["--size", "31"], "--size"),
    (["--size", "129"], "--size"),
    (["--crop", "8"], "--crop"),
    (["--size", "64", "--crop", "100"], "at most --size"),
    (["--latent", "0"], "--latent"),
    (["--lr", "0"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--save-every", "0"], "--save-every"),
    (["--steps", "-1"], "--steps"),
    (["--encoders", "both"], "--encoders"),
    (["--seed", str(10**24)], "--seed"),
    (["--seed", "-1"], "--seed"),
    (["--resume"], "nothing to resume"),
])
def test_bad_train_arguments_exit_2(tmp_path, args, words):
    line = one_line_error(invoke("train", *args, "--out", tmp_path / "r"), 2)
    assert words in line
    assert not (tmp_path / "r" / "checkpoint.pt").exists()


@pytest.mark.parametrize("args, words", [
    (["--set", "scale=2"], "out of range"),
    (["--set", "roll=-31"], "out of range"),
    (["--set", "roll=nan"], "out of range"),
    (["--set", "x=1e999"], "out of range"),
    (["--set", "smile=lots"], "not a number"),
    (["--set", "smile="], "not a number"),
    (["--set", "=1"], "FACTOR=VALUE"),
    (["--set", "gaze=1"], "gaze_x"),
    (["--set", "eye_open=1", "--set", "mouth=1"], "did you mean mouth_open"),
    (["--size", "16"], "--size"),
    (["--size", "big"], "--size"),
    (["--random", "-1"], "--random"),
    (["--random", "1000"], "--random"),
    (["--random", "2", "--seed", str(2**64)], "--seed"),
])
def test_bad_render_arguments_exit_2(tmp_path, args, words):
    out = tmp_path / "x.png"
    assert words in one_line_error(invoke("render", "blob", *args, "-o", out), 2)
    assert not out.exists()


def test_pictures_are_only_written_under_a_name_that_says_what_they_are(tmp_path):
    for args in (["render", "cat", "-o", tmp_path / "cat.jpg"], ["identities", "--sheet", tmp_path / "all.JPEG"],
                 ["render", "cat", "-o", tmp_path / "cat"]):
        assert "must end in .png (picture)" in one_line_error(invoke(*args), 2)
    assert not list(tmp_path.iterdir())
    assert invoke("render", "cat", "-o", tmp_path / "cat.PNG").exit_code == 0


def test_bad_swap_arguments_exit_2(tmp_path, base_run):
    run = copy_run(base_run, tmp_path / "run")
    out = tmp_path / "x.gif"
    assert "did you mean robot" in one_line_error(invoke("swap", run, "--to", "robto", "-o", out), 2)
    assert "did you mean blob" in one_line_error(invoke("swap", run, "--from", "blbo", "-o", out), 2)
    assert "--frames" in one_line_error(invoke("swap", run, "--frames", "1", "-o", out), 2)
    assert ".gif" in one_line_error(invoke("swap", run, "--frames", "2", "-o", tmp_path / "x.txt"), 2)
    assert "no run folder" in one_line_error(invoke("swap", tmp_path / "nope", "-o", out), 2)
    assert "no run folder" in one_line_error(invoke("evaluate", tmp_path / "nope"), 2)
    (tmp_path / "notes.txt").write_text("not a run")
    for command in ("swap", "evaluate", "explain", "report"):
        assert "is a file, not a run folder" in one_line_error(invoke(command, tmp_path / "notes.txt"), 2)
    assert not out.exists()


def test_unwritable_output_paths(tmp_path, base_run):
    """A path whose parent is a regular file cannot be created, even by root."""
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    run = copy_run(base_run, tmp_path / "run")
    assert "cannot" in one_line_error(invoke("swap", run, "--frames", "2", "-o", blocker / "x.gif"), 2)
    assert "cannot" in one_line_error(invoke("identities", "--sheet", blocker / "x.png"), 2)
    assert "cannot" in one_line_error(invoke("render", "cat", "-o", blocker / "x.png"), 2)
    assert "cannot" in one_line_error(invoke("train", "--steps", "2", *TINY_CLI, "--out", blocker / "run"), 1)


# ---------------------------------------------------------------- divergence


def test_exploding_loss_stops_and_keeps_last_good_checkpoint(tmp_path, base_run, monkeypatch):
    """A huge but finite loss stops the run with advice; the checkpoint it saved last is intact."""
    run = copy_run(base_run, tmp_path / "run")
    saved = {}
    real_save, real_step = aedemo.train.save, aedemo.train.train_step

    def recording_save(state, folder, interval, **kw):
        real_save(state, folder, interval, **kw)
        saved.update(step=state.step, bytes=folder.checkpoint.read_bytes())

    def exploding(state, dtype):
        losses = real_step(state, dtype)
        return {**losses, "loss_blob": 3e7} if state.step >= 7 else losses

    monkeypatch.setattr(aedemo.train, "save", recording_save)
    monkeypatch.setattr(aedemo.train, "train_step", exploding)
    line = one_line_error(invoke("train", "--out", run, "--resume", "--steps", "20", "--save-every", "2"), 1)
    assert "diverged at step 7" in line and "--lr" in line
    assert saved["step"] == 6, "the run saved its good steps before the loss exploded"
    assert (run / "checkpoint.pt").read_bytes() == saved["bytes"]
    assert load_run(run).step == 6 and temp_files(run) == []


# ---------------------------------------------------------------- full disk


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["os.replace", "tempfile.mkstemp"])
def test_full_disk_keeps_earlier_outputs(tmp_path, base_run, monkeypatch, where):
    run = copy_run(base_run, tmp_path / "run")
    shutil.copy(base_run / "log.csv", run / "log.csv")
    (tmp_path / "old.png").write_bytes(b"an earlier picture")
    (tmp_path / "old.gif").write_bytes(b"an earlier animation")
    before = {p: p.read_bytes() for p in [*run.iterdir(), tmp_path / "old.png", tmp_path / "old.gif"] if p.is_file()}
    module, name = where.split(".")
    monkeypatch.setattr(f"{module}.{name}", no_space)
    lines = [one_line_error(invoke("train", "--out", run, "--resume", "--steps", "4", "--save-every", "2"), 1),
             one_line_error(invoke("swap", run, "--frames", "2", "-o", tmp_path / "old.gif"), 1),
             one_line_error(invoke("render", "cat", "-o", tmp_path / "old.png"), 1)]
    assert all("No space left on device" in line for line in lines), lines
    assert {p: p.read_bytes() for p in before} == before
    assert temp_files(tmp_path) == []


class FillsUp:
    """A file that takes `room` bytes and then reports a full disk, like a real one."""

    def __init__(self, real, room):
        self.real, self.room = real, room

    def write(self, data):
        if len(data) > self.room:
            self.real.write(bytes(data)[: self.room])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.real.__exit__(*exc)


def test_disk_full_halfway_through_a_checkpoint(tmp_path, base_run, monkeypatch):
    run = copy_run(base_run, tmp_path / "run")
    before = (run / "checkpoint.pt").read_bytes()
    cfg = with_identities(TrainConfig(**TINY, steps=4))
    check(cfg)
    state = new_state(cfg, torch.device("cpu"))
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: FillsUp(real_fdopen(*a, **k), room=4096))
    with pytest.raises(RunError, match="No space left on device") as info:
        save_checkpoint(run / "checkpoint.pt", state, best_loss=1.0)
    assert "\n" not in str(info.value)
    assert (run / "checkpoint.pt").read_bytes() == before and temp_files(run) == []


def test_resume_names_the_settings_it_ignores(tmp_path, base_run):
    run = copy_run(base_run, tmp_path / "run")
    result = invoke("train", "--out", run, "--resume", "--steps", "5", "--a", "cat", "--lr", "0.5", "--no-warp")
    assert result.exit_code == 0, result.output
    assert "ignoring --a, --lr, --warp" in result.output
    quiet = invoke("train", "--out", run, "--resume", "--steps", "6", "--device", "cpu")
    assert quiet.exit_code == 0 and "ignoring" not in quiet.output
