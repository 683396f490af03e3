"""`aedemo bench`: every figure is measured and sane, and the table reads them right. The play
motion's frame rate is measured in the real Chromium (`make browser` installs it; never skipped)."""
import json
import os
import tempfile

from aedemo.cli.main import cli
from click.testing import CliRunner
from conftest import chromium

from aedemo import browser
from aedemo.bench import format_bench


def processes_naming(text: str) -> list[int]:
    """Process ids whose command line holds `text`."""
    found = []
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and text in open(f"/proc/{entry.name}/cmdline", "rb").read().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_quick_bench_measures_every_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))   # where Chromium's profile goes, to see it removed
    result = CliRunner().invoke(cli, ["bench", "--quick", "--json", "--device", "cpu", "--chromium", chromium()])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["device"] == "cpu" and figures["render_img_per_s_64px"] > 0
    for label in ("fp32", "bf16"):
        train = figures[f"train_{label}"]
        if train is None:  # bf16 only where the CPU runs it fast
            assert label == "bf16"
            continue
        assert train["img_per_s"] > 0 and train["gflop_per_step"] > 0
        assert 0 < train["mfu"] <= 1 and figures[f"matmul_peak_gflops_{label}"] > 0
    play = figures["play_swap"]
    assert play["requests"] == 50 and 0 < play["p50_ms"] <= play["p95_ms"]
    motion = figures["play_motion"]
    assert motion["motion"] == "talk" and motion["browser"] == chromium(), motion
    assert motion["frames"] > 0 and motion["seconds"] >= 1.5 and motion["fps"] == motion["frames"] / motion["seconds"]
    assert list(tmp_path.glob("aedemo-chromium-*")) == [] and processes_naming(str(tmp_path)) == []   # all gone


def test_without_a_browser_the_motion_row_says_so(monkeypatch):
    monkeypatch.delenv(browser.ENV, raising=False)
    monkeypatch.setattr(browser, "NAMES", ("/nonexistent/chromium",))
    row = browser.motion_fps(None, "talk", 1.0)
    assert row == {"motion": "talk", "skipped": f"no Chromium found (/nonexistent/chromium; or set {browser.ENV})"}
    table = format_bench({"device": "cpu", "threads": 2, "cpu_capability": "AVX2", "render_img_per_s_64px": 1.0,
                          "train_fp32": None, "train_bf16": None, "play_motion": row})
    assert table.splitlines()[-1] == f"play talk button   not measured: {row['skipped']}"


def test_table_names_each_figure_and_advises_when_bf16_is_slower():
    train = {"img_per_s": 500.0, "gflop_per_s": 40.0, "gflop_per_step": 4.0, "mfu": 0.1}
    figures = {"device": "cpu", "threads": 2, "cpu_capability": "AVX512", "render_img_per_s_64px": 5000.0,
               "matmul_peak_gflops_fp32": 400.0, "train_fp32": train,
               "matmul_peak_gflops_bf16": 2000.0, "train_bf16": {**train, "img_per_s": 200.0, "mfu": 0.01}}
    table = format_bench(figures)
    assert "5,000 img/s" in table and "10.0% of the fp32 matmul peak" in table and "1.0% of the bf16" in table
    assert "--precision fp32" in table
    assert "--precision fp32" not in format_bench({**figures, "train_bf16": {**train, "img_per_s": 900.0}})
    assert "not supported" in format_bench({**figures, "train_bf16": None})
    play = {"requests": 200, "p50_ms": 4.2, "p95_ms": 5.6, "threads": 1}
    assert "5.6 ms p95 (median 4.2 ms; 200 requests over HTTP" in format_bench({**figures, "play_swap": play})
    motion = {"motion": "talk", "frames": 180, "seconds": 3.0, "fps": 60.0, "browser": "/usr/bin/chromium"}
    assert "play talk button      60.0 frames/s shown by the page in headless Chromium (180 in 3.0 s)" in format_bench(
        {**figures, "play_motion": motion})
