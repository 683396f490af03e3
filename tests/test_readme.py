"""The README tells the truth: its Python block runs as written, and the sample's numbers it quotes
are the ones in samples/blob-robot, rounded as printed."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SAMPLE = ROOT / "samples" / "blob-robot"
METRICS = json.loads((SAMPLE / "metrics.json").read_text(encoding="utf-8"))
NUMBER = r"(\d+(?:\.\d+)?)"


def section(title: str) -> str:
    """The README's text under a `## title` heading, lines joined by single spaces."""
    text = README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.sub(r"\s+", " ", text)


def printed(value: float, shown: str) -> bool:
    """Whether `value` rounds to `shown`, at the number of decimals shown."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return f"{value:.{decimals}f}" == shown


def swap(direction: str) -> dict:
    return METRICS["swaps"][direction.replace(" → ", "->")]


def git_status() -> str:
    done = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT, check=True)
    return done.stdout


def test_python_block_runs_as_written():
    """Pasted into Python at the repository root, it runs, prints a PSNR, and writes nothing."""
    blocks = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    assert len(blocks) == 1
    before = git_status()
    done = subprocess.run([sys.executable, "-c", blocks[0]], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert git_status() == before, "the README's Python block changed the checkout"
    decibels = re.fullmatch(r"tensor\(([\d.]+)\)\n", done.stdout)
    assert decibels and 0 < float(decibels[1]) < 100, done.stdout


TABLE_ROW = re.compile(r"^\| (\w+ → \w+) \| \*\*" + NUMBER + r"\*\* \| " + NUMBER + r" \((\w+)\) \| " + NUMBER
                       + r" \| " + NUMBER + r" \| " + NUMBER + r" \|$", re.MULTILINE)


def test_sample_table_matches_metrics():
    """The table in "What one minute of CPU training buys": eyes+mouth PSNR of the swap, the best
    expression-blind baseline, copying the input and the mean image, and the output spread."""
    text = README.split("## What one minute of CPU training buys\n", 1)[1].split("\n## ", 1)[0]
    rows = TABLE_ROW.findall(text)
    assert [row[0] for row in rows] == ["blob → robot", "robot → blob"]
    for direction, swapped, blind, blind_name, copy, mean, spread in rows:
        s = swap(direction)
        out = s["outputs"]
        assert s["best_blind"] == blind_name, direction
        checks = {"swap": (out["swap"]["psnr_features"], swapped), "blind": (out[blind_name]["psnr_features"], blind),
                  "copy": (out["copy"]["psnr_features"], copy), "mean": (out["mean"]["psnr_features"], mean),
                  "output spread": (out["swap"]["output_spread"], spread)}
        wrong = {k: (round(v, 3), shown) for k, (v, shown) in checks.items() if not printed(v, shown)}
        assert wrong == {}, (direction, wrong)


def test_sample_whole_frame_and_readout_figures_match_metrics():
    text = section("What one minute of CPU training buys")
    whole = re.search(rf"On the whole frame the swap \({NUMBER} and {NUMBER} dB\) is a little above the blurred "
                      rf"baseline \({NUMBER} and {NUMBER} dB\)", text)
    assert whole, "the whole-frame sentence moved or changed"
    for i, direction in enumerate(["blob → robot", "robot → blob"]):
        out = swap(direction)["outputs"]
        assert printed(out["swap"]["psnr"], whole[1 + i]) and printed(out["blur"]["psnr"], whole[3 + i]), direction
        assert out["swap"]["psnr"] > out["blur"]["psnr"]
    first = re.search(rf"`mouth_open` \(R² {NUMBER}\), `eye_open` \({NUMBER}\), `smile` \({NUMBER}\), `gaze_x` "
                      rf"\({NUMBER}\) and `gaze_y` \({NUMBER}\); robot → blob: {NUMBER}, {NUMBER}, {NUMBER}, "
                      rf"{NUMBER} and {NUMBER}\.", text)
    assert first, "the readout sentence moved or changed"
    factors = ["mouth_open", "eye_open", "smile", "gaze_x", "gaze_y"]
    for i, direction in enumerate(["blob → robot", "robot → blob"]):
        r2 = swap(direction)["outputs"]["swap"]["factors"]
        wrong = [f for j, f in enumerate(factors) if not printed(r2[f]["r2"], first[1 + 5 * i + j])]
        assert wrong == [], (direction, wrong)
    assert "Every swap is read as the target identity (100 %)" in text
    assert all(s["outputs"]["swap"]["target_share"] == 1.0 for s in METRICS["swaps"].values())
    aligner = re.search(rf"mean error of {NUMBER} px across, {NUMBER} px up and down, {NUMBER} % in scale and "
                        rf"{NUMBER}° of tilt", text)
    assert aligner, "the aligner sentence moved or changed"
    for key, shown in zip(("x_px", "y_px", "scale_pct", "roll_deg"), aligner.groups()):
        assert printed(METRICS["aligner"][key], shown), key


@pytest.mark.parametrize("claim, value", [
    (r"--time 60` \((\d+) steps\)", lambda: json.loads((SAMPLE / "config.json").read_text())["steps_done"]),
    (r"scores the swap on (\d+) held-out poses", lambda: METRICS["heldout"]["n"]),
])
def test_sample_counts_match(claim, value):
    found = re.search(claim, section("What one minute of CPU training buys"))
    assert found and int(found[1]) == value()


def test_quick_start_works_in_a_new_shell():
    """The two set-up commands, then how a new terminal finds `aedemo`, before any command that needs it."""
    quick = section("Quick start")
    assert "make demo" in quick and "make test" in quick
    activate = quick.index("source .venv/bin/activate")
    assert activate < quick.index("aedemo swap samples/blob-robot") and "`.venv/bin/aedemo`" in quick
    assert "instantly" not in README
    assert "[samples/CLASS.md](samples/CLASS.md)" in quick and (ROOT / "samples" / "CLASS.md").is_file()


def test_activate_puts_aedemo_on_the_path():
    """What the README says to type in a new terminal, in a shell that knows nothing of the venv."""
    if not (ROOT / ".venv" / "bin" / "activate").is_file():
        pytest.skip("no .venv here: make demo or make test creates it")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    done = subprocess.run(["bash", "-c", "command -v aedemo; source .venv/bin/activate && command -v aedemo"],
                          capture_output=True, text=True, cwd=ROOT, env=env, check=False, timeout=60)
    assert done.stdout.splitlines() == [str(ROOT / ".venv" / "bin" / "aedemo")], done.stdout + done.stderr


def test_own_characters_get_a_whole_lesson_page():
    text = section("Your own characters")
    assert "`aedemo demo --a pip.json --b robot --out runs/pip` makes a whole lesson page" in text
    assert "`aedemo report runs/pip`" in text
