"""The exit codes the README promises, pinned for every command that takes a run folder.

0 success; 2 a usage error (no run at that path); 1 a runtime error (a run folder whose
config.json is missing or damaged). Each error is one line, never a traceback.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aedemo.cli.main import cli
from click.testing import CliRunner

import aedemo

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "blob-robot"
COMMANDS = {  # every command that takes a run folder, with the least work it can be asked for
    "swap": lambda run: ["swap", run, "--frames", "2", "-o", run.parent / "out.gif"],
    "evaluate": lambda run: ["evaluate", run],
    "explain": lambda run: ["explain", run, "--n", "20"],
    "report": lambda run: ["report", run],
    "train --resume": lambda run: ["train", "--out", run, "--resume", "--steps", "2000"],
    "play": lambda run: ["play", run, "--port", "0", "--no-browser"],   # each case fails before it serves
}
CONFIG_DAMAGE = {  # a run folder whose config.json was edited or lost
    "missing": None,
    "invalid JSON": '{"settings": {',
    "a setting of the wrong type": lambda info: info["settings"].update(latent="8"),
    "a setting out of range": lambda info: info["settings"].update(size=4000),
    "an unknown setting": lambda info: info["settings"].update(colour=1),
}


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line(result, code: int) -> str:
    """The single `error: ...` line of a failed command that exited with `code`."""
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output, result.output
    return lines[0]


def sample_copy(folder: Path, files=("config.json", "checkpoint.pt")) -> Path:
    """The files of the pretrained sample that make it a run (never the sample itself: it is not written)."""
    folder.mkdir(parents=True)
    for name in files:
        shutil.copy(SAMPLE / name, folder / name)
    return folder


@pytest.mark.parametrize("command", COMMANDS)
def test_no_run_at_the_path_is_a_usage_error(tmp_path, command):
    """A path that does not exist, or a folder holding neither config.json nor checkpoint.pt: exit 2."""
    line = one_line(invoke(*COMMANDS[command](tmp_path / "nowhere")), 2)
    assert ("nothing to resume" if command == "train --resume" else "no run folder") in line
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "empty").mkdir()
    one_line(invoke(*COMMANDS[command](tmp_path / "empty")), 2)
    assert list((tmp_path / "empty").iterdir()) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_or_damaged_config_is_a_runtime_error(tmp_path, command):
    """A run folder (it holds checkpoint.pt) whose config.json is missing or damaged: exit 1."""
    for i, (name, damage) in enumerate(CONFIG_DAMAGE.items()):
        run = sample_copy(tmp_path / f"run{i}")
        config = run / "config.json"
        if damage is None:
            config.unlink()
        elif isinstance(damage, str):
            config.write_text(damage)
        else:
            info = json.loads(config.read_text())
            damage(info)
            config.write_text(json.dumps(info))
        line = one_line(invoke(*COMMANDS[command](run)), 1)
        assert "config.json" in line, (name, line)
        assert sorted(p.name for p in run.iterdir()) == sorted(["checkpoint.pt"] + ([] if damage is None
                                                                                    else ["config.json"])), name


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "report"])
def test_config_that_does_not_fit_the_weights_is_a_runtime_error(tmp_path, command):
    run = sample_copy(tmp_path / "run")
    info = json.loads((run / "config.json").read_text())
    info["settings"]["latent"] = 16
    (run / "config.json").write_text(json.dumps(info))
    assert "do not match config.json" in one_line(invoke(*COMMANDS[command](run)), 1)


def test_report_of_weights_that_do_not_fit_still_builds_and_says_why(tmp_path):
    """The lesson page needs no model for most of its sections: it is built, and says what is missing."""
    run = sample_copy(tmp_path / "run")
    info = json.loads((run / "config.json").read_text())
    info["settings"]["latent"] = 16
    (run / "config.json").write_text(json.dumps(info))
    result = invoke("report", run)
    assert result.exit_code == 0, result.output
    assert "its checkpoint could not be loaded" in (run / "report.html").read_text(encoding="utf-8")


def test_the_python_api_raises_the_same_kinds(tmp_path):
    with pytest.raises(aedemo.UsageError, match="no run folder"):
        aedemo.load_run(tmp_path / "nowhere")
    run = sample_copy(tmp_path / "run", files=("checkpoint.pt",))
    with pytest.raises(aedemo.RunError, match="config.json is missing") as caught:
        aedemo.load_run(run)
    assert "\n" not in str(caught.value)


def test_version_and_exit_2_in_a_real_process(tmp_path):
    version = subprocess.run([sys.executable, "-m", "aedemo.cli", "--version"], capture_output=True, text=True,
                             timeout=60, cwd=ROOT, check=False)
    assert version.returncode == 0 and version.stdout.strip() == f"aedemo, version {aedemo.__version__}"
    missing = subprocess.run([sys.executable, "-m", "aedemo.cli", "swap", str(tmp_path / "nowhere")],
                             capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "no run folder" in missing.stderr
    assert invoke("--version").exit_code == 0
