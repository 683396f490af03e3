"""`aedemo identities` and `aedemo render`, through CliRunner and as a real process."""
import json
import subprocess
import sys

from aedemo.cli.main import cli
from click.testing import CliRunner
from PIL import Image


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)))


def test_identities_lists_every_character(tmp_path):
    result = invoke("identities", "--sheet", tmp_path / "sheet.png")
    assert result.exit_code == 0, result.output
    assert "blob" in result.output and "robot" in result.output
    assert Image.open(tmp_path / "sheet.png").size[0] > 600


def test_render_one_and_grid(tmp_path):
    assert invoke("render", "cat", "--set", "mouth_open=1", "-o", tmp_path / "a.png").exit_code == 0
    assert Image.open(tmp_path / "a.png").size == (64, 64)
    assert invoke("render", "robot", "--random", "4", "--size", "32", "-o", tmp_path / "b.png").exit_code == 0
    assert Image.open(tmp_path / "b.png").size[0] > 4 * 64


def test_render_custom_spec(tmp_path):
    spec = tmp_path / "pip.json"
    spec.write_text(json.dumps({"name": "pip", "head": "box", "skin": [10, 200, 100]}))
    assert invoke("render", spec, "-o", tmp_path / "p.png").exit_code == 0
    listed = invoke("identities", spec, "blob", "--sheet", tmp_path / "mine.png")
    assert listed.exit_code == 0 and listed.stdout.split()[0] == "pip" and "robot" not in listed.stdout
    assert invoke("identities", "--sheet", tmp_path / "all.png").exit_code == 0
    assert Image.open(tmp_path / "mine.png").height < Image.open(tmp_path / "all.png").height  # two rows, not eight


def test_identities_help_lists_every_spec_field_and_choice():
    from dataclasses import fields

    from aedemo.identities import EXTRAS, EYE_SHAPES, HEADS, MOUTH_STYLES, Identity
    text = " ".join(invoke("identities", "--help").output.split())
    for word in [f.name for f in fields(Identity)] + [*HEADS, *EYE_SHAPES, *MOUTH_STYLES, *EXTRAS]:
        assert word in text, word


def one_line_error(result, code, *words):
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert all(w in lines[0] for w in words), lines[0]
    assert "Traceback" not in result.output


def test_bad_inputs_one_line(tmp_path):
    out = tmp_path / "x.png"
    one_line_error(invoke("render", "robt", "-o", out), 2, "did you mean robot")
    one_line_error(invoke("render", "cat", "--set", "mouht_open=1", "-o", out), 2, "mouth_open")
    one_line_error(invoke("render", "cat", "--set", "mouth_open=7", "-o", out), 2, "range")
    one_line_error(invoke("render", "cat", "--set", "mouth_open=wide", "-o", out), 2, "not a number")
    one_line_error(invoke("render", "cat", "--set", "mouth_open", "-o", out), 2, "FACTOR=VALUE")
    one_line_error(invoke("render", "cat", "--size", "300", "-o", out), 2, "size")
    blocker = tmp_path / "file"
    blocker.write_text("")
    one_line_error(invoke("render", "cat", "-o", blocker / "x.png"), 2, "cannot")
    bad_spec = tmp_path / "bad.json"
    bad_spec.write_text('{"name": "x", "head": "round", "skin": [0, 0, 999]}')
    one_line_error(invoke("render", bad_spec, "-o", out), 2, "skin")


def test_every_usage_error_points_to_the_right_help():
    one_line_error(invoke("train", "--a"), 2, "requires an argument", "see 'aedemo train --help'")
    one_line_error(invoke("render"), 2, "Missing argument", "--help'")
    one_line_error(invoke("bogus"), 2, "No such command")


def test_version_and_help():
    assert invoke("--version").output.startswith("aedemo, version")
    assert "Examples" in invoke("render", "--help").output
    bare = invoke()  # `aedemo` alone: the help and exit 0, not an error
    assert bare.exit_code == 0 and bare.output.startswith("Usage: ") and "error" not in bare.output


def test_real_subprocess(run_cli, tmp_path):
    ok = run_cli("render", "bear", "--set", "eye_open=0", "-o", tmp_path / "bear.png")
    assert ok.returncode == 0 and ok.stdout.strip().endswith("bear.png")
    bad = run_cli("render", "baer", "-o", tmp_path / "x.png")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "bear" in bad.stderr


def test_help_does_not_import_torch():
    probe = ("import sys\nfrom aedemo.cli.main import cli\n"
             "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print('TORCH' if 'torch' in sys.modules else 'NO_TORCH')")
    check = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert "NO_TORCH" in check.stdout, check.stdout + check.stderr
