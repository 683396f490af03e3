"""A teacher's first hour: exact reproduction of timed runs, Ctrl-C in train and demo, a shipped
sample that stays as shipped, spec files that clash or are mistyped, and the API's verbs."""
import hashlib
import json
import shlex

import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner

import aedemo
import aedemo.readouts
import aedemo.train
from aedemo.config import TrainConfig, check, thread_schedule
from aedemo.demo import demo
from aedemo.errors import Interrupted, UsageError
from aedemo.folder import shipped_sample
from aedemo.identities import get_identity, identity_to_dict

TINY = ["--size", "32", "--crop", "24", "--batch", "4", "--width", "8", "--latent", "8", "--save-every", "5"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def state(path):
    saved = torch.load(path / "checkpoint.pt", weights_only=True)
    return saved["step"], {**saved["model"], **{f"aligner.{k}": v for k, v in saved["aligner"].items()}}


@pytest.fixture
def two_threads():
    """Two torch threads (where there are two cores): a timed run then switches between counts."""
    threads = torch.get_num_threads()
    torch.set_num_threads(min(2, max(threads, 1)))
    yield torch.get_num_threads()
    torch.set_num_threads(threads)


def test_a_timed_run_reproduces_bit_for_bit(tmp_path, two_threads):
    """The reproduce line of a --time run records the steps made and the threads of every step."""
    assert invoke("train", *TINY, "--time", "3", "--out", tmp_path / "timed").exit_code == 0
    info = json.loads((tmp_path / "timed" / "config.json").read_text())
    if two_threads > 1 and info["steps_done"] > 25:  # the thread guard tries one thread from its third window
        assert "1@" in info["threads_used"], info["threads_used"]
    command = shlex.split(info["reproduce"])
    assert command[:2] == ["aedemo", "train"] and "--threads" in command and "--time" not in command
    command[command.index("--out") + 1] = str(tmp_path / "again")
    assert invoke(*command[1:]).exit_code == 0
    (step, first), (again_step, again) = state(tmp_path / "timed"), state(tmp_path / "again")
    assert step == again_step == info["steps_done"]
    assert first.keys() == again.keys() and all(torch.equal(first[k], again[k]) for k in first)


def test_thread_schedules_are_checked():
    assert thread_schedule("2,1@40,2@90") == [(0, 2), (40, 1), (90, 2)]
    for bad in ("0", "two", "2,1", "2@5", "2,1@40,2@30", "2,,1@4"):
        assert thread_schedule(bad) is None, bad
        with pytest.raises(UsageError, match="--threads"):
            check(TrainConfig(threads=bad))


def test_ctrl_c_in_train_leaves_the_pictures_and_the_step_count(tmp_path, monkeypatch):
    real_step = aedemo.train.train_step

    def interrupted_at_step_7(state, dtype):
        if state.step == 7:
            raise KeyboardInterrupt
        return real_step(state, dtype)

    monkeypatch.setattr(aedemo.train, "train_step", interrupted_at_step_7)
    result = invoke("train", *TINY, "--steps", "20", "--out", tmp_path / "run")
    assert result.exit_code == 130 and "--resume" in result.output
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (info["steps_done"], info["finished"]) == (7, False) and "--steps 7" in info["reproduce"]
    assert (tmp_path / "run" / "loss.png").exists() and (tmp_path / "run" / "timelapse.gif").exists()


@pytest.fixture
def quick_readouts(monkeypatch):
    real = aedemo.readouts.ReadoutConfig
    monkeypatch.setattr(aedemo.readouts, "ReadoutConfig", lambda **kw: real(**{"steps": 5, **kw}))


def test_demo_resume_finishes_the_lesson(tmp_path, monkeypatch, quick_readouts, quick_detect, one_thread):
    """Ctrl-C while the demo trains says how to finish; --resume trains the time left and makes the rest."""
    real_step = aedemo.train.train_step
    calls = []

    def interrupted_once(state, dtype):
        calls.append(state.step)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_step(state, dtype)

    monkeypatch.setattr(aedemo.train, "train_step", interrupted_once)
    with pytest.raises(Interrupted, match="--resume") as stopped:
        demo(tmp_path / "demo", seconds=2, ablation_seconds=1, log=lambda line: None)
    assert f"aedemo demo --out {tmp_path / 'demo'} --resume" in str(stopped.value)
    assert aedemo.load_run(tmp_path / "demo").step == 3
    lines = []
    result = demo(tmp_path / "demo", seconds=2, ablation_seconds=1, log=lines.append, resume=True)
    assert any("going on from step 3" in line for line in lines)
    assert not (tmp_path / "demo-2").exists()
    for name in ("metrics.json", "swap.gif", "explain.json", "ablation.json", "detect.json", "report.html"):
        assert (tmp_path / "demo" / name).exists(), name
    assert result["report"] == tmp_path / "demo" / "report.html"
    before = {name: (tmp_path / "demo" / name).read_bytes() for name in ("metrics.json", "detect.json")}
    lines.clear()
    demo(tmp_path / "demo", seconds=2, ablation_seconds=1, log=lines.append, resume=True)
    assert any("done before" in line for line in lines) and not any("plain detector" in line for line in lines)
    for name, content in before.items():   # nothing done twice
        assert (tmp_path / "demo" / name).read_bytes() == content, name


def fingerprints(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def test_the_shipped_sample_stays_as_shipped(tmp_path, monkeypatch, quick_readouts, one_thread):
    sample = shipped_sample()
    assert sample is not None
    before = fingerprints(sample)
    monkeypatch.chdir(tmp_path)
    for command in (["swap", sample, "--frames", "2"], ["explain", sample, "--n", "20"], ["evaluate", sample],
                    ["report", sample]):
        result = invoke(*command)
        assert result.exit_code == 0, result.output
        assert "stays as it is; working on a copy in runs/sample" in result.output
    assert fingerprints(sample) == before
    for name in ("swap.gif", "explain.json", "metrics.json", "readouts.pt", "report.html"):
        assert (tmp_path / "runs" / "sample" / name).exists(), name


def test_a_spec_may_not_take_a_built_in_name(tmp_path):
    spec = tmp_path / "clash.json"
    spec.write_text(json.dumps({"name": "Blob", "head": "box", "skin": [120, 40, 200]}))
    with pytest.raises(UsageError, match="name of a built-in character"):
        get_identity(str(spec))
    result = invoke("identities", spec, "blob")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    same = tmp_path / "blob.json"  # the built-in's own spec, saved to a file, is the built-in
    same.write_text(json.dumps(identity_to_dict(get_identity("blob"))))
    assert get_identity(str(same)) == get_identity("blob")


def test_a_mistyped_spec_path_suggests_the_file(tmp_path, monkeypatch):
    (tmp_path / "pip.json").write_text(json.dumps({"name": "pip", "head": "round", "skin": [90, 200, 250]}))
    monkeypatch.chdir(tmp_path)
    result = invoke("train", "--a", "pip.jsn", "--steps", "1")
    assert result.exit_code == 2 and "did you mean pip.json?" in result.output and "imp" not in result.output
    with pytest.raises(UsageError, match=f"did you mean {tmp_path / 'pip.json'}"):
        get_identity(str(tmp_path / "pip.jsn"))


def test_a_mistyped_run_folder_suggests_the_run(tmp_path, monkeypatch):
    (tmp_path / "runs" / "class").mkdir(parents=True)
    (tmp_path / "runs" / "class" / "config.json").write_text((shipped_sample() / "config.json").read_text())
    monkeypatch.chdir(tmp_path)
    result = invoke("swap", "runs/clas")
    assert result.exit_code == 2 and result.output.strip() == "error: no run folder at runs/clas; did you mean runs/class?"
