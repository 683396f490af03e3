"""Every example in every command's --help, and every command of the class plan, runs as written.

The examples are read from the help itself (the lines under "Examples:", and the group's "Quick
start:"), the class plan's from the bash blocks of samples/CLASS.md. They run with the real
command line in a scratch folder holding a copy of samples/, so
nothing is written into the real one. Examples that would train for minutes (train, demo, ablate)
run with the training function replaced by one that records its settings and returns a copy of
the pretrained sample: the test checks that the command line is accepted and asks for the
training it says. `aedemo bench` measures for about 15 s; its figures are replaced the same way
(tests/test_bench.py measures for real). `aedemo play` serves until Ctrl-C: its server is replaced
by one that records what it would serve, and leaves a copy of the sample where --train would
train (tests/test_play.py serves and trains for real).
"""
import json
import pkgutil
import re
import shlex
import shutil
from pathlib import Path

import pytest
from aedemo.cli.main import cli
from click.testing import CliRunner

import aedemo

ROOT = Path(__file__).resolve().parents[1]
CLASS_PLAN = ROOT / "samples" / "CLASS.md"
TRAINING = ("aedemo.train.train", "aedemo.demo.train", "aedemo.ablate.train")   # where each command finds it
# scoring a run takes long at full size (readouts trained first, 256 poses): a few steps and poses run the same code
READOUT_CONFIG = "aedemo.readouts.ReadoutConfig"
EVAL_CONFIG = "aedemo.evaluate.EvalConfig"
QUICK_EVAL = "aedemo.ablate.QUICK_EVAL"   # what the ablation scores each variant with
DETECT_CONFIG = "aedemo.detect.DetectConfig"   # detect trains for 20 s or more: a few steps run the same code
MEASURE = "aedemo.bench.bench"
SERVE = "aedemo.play.serve"
# run folders the examples name, and the example that makes each one: the scratch folder gets a copy of the
# pretrained sample there (the sample itself is samples/blob-robot)
MADE_BY_TRAINING = {
    "runs/blob-robot": "aedemo train --a blob --b robot --time 60",
    "runs/separate": "aedemo train --encoders separate --time 30 --out runs/separate",
    "runs/cast4": "aedemo train --cast blob,robot,cat,ghost --time 120 --out runs/cast4",
}
VARIANTS = {"shared": {}, "separate": {"encoders": "separate"}, "no-align": {"aligned": False},
            "warp": {"warp": True}, "latent-4": {"latent": 4}, "gan": {"gan": True}}


def variants(folder: str, seconds: float, names) -> list[dict]:
    """The training an ablation asks for: each variant for `seconds`, in folder/<variant>."""
    return [{"time": seconds, "steps": None, "out": f"{folder}/{name}", **VARIANTS[name]} for name in names]


TRAINS = {  # what each example that trains must ask for: settings, the run folder (None: the default), resume
    "aedemo train --a blob --b robot --time 60": [
        {"a": "blob", "b": "robot", "time": 60.0, "steps": None, "out": None, "resume": False}],
    "aedemo train --a cat --b ghost --steps 500 --out runs/cat-ghost": [
        {"a": "cat", "b": "ghost", "steps": 500, "time": None, "out": "runs/cat-ghost", "resume": False}],
    "aedemo train --cast blob,robot,cat,ghost --time 120 --out runs/cast4": [
        {"a": "blob", "b": "robot", "more": ("cat", "ghost"), "time": 120.0, "out": "runs/cast4", "resume": False}],
    "aedemo train --out runs/cat-ghost --resume --steps 1000": [
        {"steps": 1000, "time": None, "out": "runs/cat-ghost", "resume": True}],
    "aedemo train --encoders separate --time 30 --out runs/separate": [
        {"encoders": "separate", "aligned": True, "time": 30.0, "out": "runs/separate", "resume": False}],
    "aedemo train --pipeline frame --time 60 --out runs/no-align": [
        {"encoders": "shared", "aligned": False, "time": 60.0, "out": "runs/no-align", "resume": False}],
    "aedemo demo": [{"a": "blob", "b": "robot", "time": 60.0, "steps": None, "out": "runs/demo"},
                    *variants("runs/demo/ablation", 10.0, ["shared", "separate", "no-align"])],
    "aedemo demo --a cat --b ghost --time 120 --out runs/cat-ghost-lesson": [
        {"a": "cat", "b": "ghost", "time": 120.0, "steps": None, "out": "runs/cat-ghost-lesson"},
        *variants("runs/cat-ghost-lesson/ablation", 10.0, ["shared", "separate", "no-align"])],
    "aedemo ablate --time 20": [{"a": "blob", "b": "robot", **v} for v in variants("runs/ablation", 20.0, VARIANTS)],
    "aedemo ablate --variant shared --variant separate --time 30 --out runs/why-share":
        variants("runs/why-share", 30.0, ["shared", "separate"]),
    "aedemo ablate --variant shared --variant gan --time 60 --out runs/gan": variants("runs/gan", 60.0, ["shared", "gan"]),
    "aedemo demo --out runs/class": [{"a": "blob", "b": "robot", "time": 60.0, "steps": None, "out": "runs/class"},
                                     *variants("runs/class/ablation", 10.0, ["shared", "separate", "no-align"])],
    "aedemo demo --a pip.json --b robot --out runs/pip": [
        {"a": "pip.json", "b": "robot", "time": 60.0, "steps": None, "out": "runs/pip"},
        *variants("runs/pip/ablation", 10.0, ["shared", "separate", "no-align"])],
    "aedemo ablate --out runs/blob-robot --time 10 --variant shared --variant separate --variant no-align":
        [{"a": "blob", "b": "robot", **v}
         for v in variants("runs/blob-robot/ablation", 10.0, ["shared", "separate", "no-align"])],
}
FIGURES = {"device": "cpu", "threads": 2, "cpu_capability": "AVX2", "render_img_per_s_64px": 5000.0,
           "matmul_peak_gflops_fp32": 400.0, "train_bf16": None,
           "train_fp32": {"img_per_s": 500.0, "gflop_per_s": 40.0, "gflop_per_step": 4.0, "mfu": 0.1}}


def help_text(command: str) -> str:
    result = CliRunner().invoke(cli, [*([command] if command else []), "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def examples(command: str) -> list[str]:
    """The example lines of a command's help (the group's: its quick start), comments included."""
    lines = help_text(command).splitlines()
    heading = "Quick start:" if command == "" else "Examples:"
    start = [line.strip() for line in lines].index(heading) + 1
    found = []
    for line in lines[start:]:
        if not line.strip().startswith("aedemo "):
            break
        found.append(line.strip())
    return found


def command_line(example: str) -> str:
    """The example without its comment, spaced as typed."""
    return shlex.join(shlex.split(example, comments=True))


def class_plan(kind: str = "bash") -> list[str]:
    """The class plan's code blocks of one kind, in order."""
    return re.findall(rf"```{kind}\n(.*?)```", CLASS_PLAN.read_text(encoding="utf-8"), re.DOTALL)


COMMANDS = [name for name in cli.commands]
BY_COMMAND = {name: examples(name) for name in COMMANDS}
ELSEWHERE = {command_line(e) for found in BY_COMMAND.values() for e in found}
BY_COMMAND["quick start"] = [e for e in examples("") if command_line(e) not in ELSEWHERE]
BY_COMMAND["class plan"] = [line.strip() for block in class_plan() for line in block.splitlines()
                            if line.strip().startswith("aedemo ")]


def pip_spec() -> str:
    """The spec file `aedemo identities --help` says to save as pip.json."""
    lines = help_text("identities").splitlines()
    start = next(i for i, line in enumerate(lines) if "save this as pip.json" in line) + 1
    end = next(i for i, line in enumerate(lines) if line.strip().startswith("Required:"))
    return " ".join(line.strip() for line in lines[start:end])


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A working folder holding a copy of samples/ and pip.json; calls to the training function are
    recorded and answered with a copy of the sample."""
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    (tmp_path / "pip.json").write_text(pip_spec())
    json.loads((tmp_path / "pip.json").read_text())
    monkeypatch.chdir(tmp_path)
    calls = []

    def train(cfg, out=None, resume=False, progress=True, log=None):
        calls.append({"cfg": cfg, "out": None if out is None else Path(out).as_posix(), "resume": resume})
        folder = Path(out or f"runs/{cfg.a}-{cfg.b}")   # the default run folder, as training names it
        if resume != (folder / "checkpoint.pt").exists():
            raise aedemo.UsageError(f"{folder}: --resume needs a run there, and a new run needs none")
        sample_copy(folder)
        return aedemo.load_run(folder)

    for target in TRAINING:
        monkeypatch.setattr(target, train)
    readouts, scores = pkgutil.resolve_name(READOUT_CONFIG), pkgutil.resolve_name(EVAL_CONFIG)
    monkeypatch.setattr(READOUT_CONFIG, lambda **kw: readouts(**{**kw, "steps": 2}))  # even with --readout-steps
    monkeypatch.setattr(EVAL_CONFIG, lambda **kw: scores(**{"n": 16, "blur_samples": 2, "mean_samples": 8, **kw}))
    monkeypatch.setattr(QUICK_EVAL, scores(n=16, blur_samples=2, mean_samples=8, readouts=False))
    detect = pkgutil.resolve_name(DETECT_CONFIG)
    monkeypatch.setattr(DETECT_CONFIG, lambda **kw: detect(**{**kw, "steps": 2, "poses": 16, "heldout": 16}))
    monkeypatch.setattr(MEASURE, lambda device, quick=False, chromium=None: calls.append({"bench": device}) or FIGURES)

    def serve(ground, host, port, browser=True, job=None, log=print):
        calls.append({"play": ground, "train": job and job.command()})
        if job is not None:   # what live training would leave there
            sample_copy(job.folder)

    monkeypatch.setattr(SERVE, serve)
    return calls


def sample_copy(folder: Path) -> None:
    """The files of the pretrained sample that make it a run, copied from the scratch folder's samples/
    to `folder` (if not there yet)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "checkpoint.pt"):
        if not (folder / name).exists():
            shutil.copy(Path("samples/blob-robot") / name, folder / name)


def run_example(example: str) -> None:
    """Run one example line as written (a `> FILE` at the end writes stdout there)."""
    args = shlex.split(example, comments=True)
    assert args[0] == "aedemo", example
    redirect = None
    if ">" in args:
        args, redirect = args[:args.index(">")], args[args.index(">") + 1]
    result = CliRunner().invoke(cli, args[1:])
    assert result.exit_code == 0, (example, result.output)
    if redirect:
        Path(redirect).write_text(result.stdout)
        if redirect.endswith(".json"):
            json.loads(Path(redirect).read_text())
    for option in ("-o", "--sheet", "--out"):
        if option in args:
            assert Path(args[args.index(option) + 1]).exists(), (example, option)


def check_training(example: str, calls: list) -> None:
    """The training an example asked for is the training TRAINS says it should."""
    line = command_line(example)
    trained = [c for c in calls if "cfg" in c]
    if not trained:
        assert line not in TRAINS, f"{example}: no training was asked for"
        return
    assert line in TRAINS, f"{example} trains: add what it should ask for to TRAINS"
    expected = TRAINS[line]
    assert len(trained) == len(expected), (example, [c["out"] for c in trained])
    for call, wanted in zip(trained, expected):
        got = {k: call[k] if k in ("out", "resume") else getattr(call["cfg"], k) for k in wanted}
        assert got == wanted, example


@pytest.mark.parametrize("command", BY_COMMAND)
def test_help_examples_run_as_written(scratch, command, one_thread):
    assert BY_COMMAND[command], f"aedemo {command} --help has no examples"
    samples = {p: p.stat().st_mtime_ns for p in (ROOT / "samples").rglob("*")}
    if command != "train":   # the folders train's own examples make
        for folder in MADE_BY_TRAINING:
            sample_copy(Path(folder))
    for example in BY_COMMAND[command]:
        scratch.clear()
        run_example(example)
        check_training(example, scratch)
    assert {p: p.stat().st_mtime_ns for p in (ROOT / "samples").rglob("*")} == samples, "samples/ was written"


def test_class_plan_is_set_up_and_uses_the_helps_pip():
    """The plan's terminal starts with the README's set-up, and its pip.json is the one the help shows."""
    setup = class_plan()[0].splitlines()
    assert [line.split()[0] for line in setup[:2]] == ["make", "source"] and "make demo" in setup[0]
    assert [json.loads(block) for block in class_plan("json")] == [json.loads(pip_spec())]
    assert len(BY_COMMAND["class plan"]) >= 6


def test_run_folders_in_examples_are_made_by_train_examples():
    """Every run folder an example names (swap, evaluate, explain, report) is one that a train example
    makes; so the examples work in order, and MADE_BY_TRAINING says which example makes each."""
    named = set()
    for command in ("swap", "evaluate", "explain", "report", "quick start"):
        for example in BY_COMMAND[command]:
            args = shlex.split(example, comments=True)
            if args[1] in ("swap", "evaluate", "explain", "report"):
                named.add(args[2])
    assert named == set(MADE_BY_TRAINING)
    for folder, example in MADE_BY_TRAINING.items():
        assert example in {command_line(e) for e in BY_COMMAND["train"]}, example
        wanted = TRAINS[example][0]
        assert (wanted["out"] or f"runs/{wanted['a']}-{wanted['b']}") == folder
