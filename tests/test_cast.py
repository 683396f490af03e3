"""A cast of three or more characters: --cast, any-to-any swaps, the matrix and the pair table."""
import functools
import json
import math

import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner
from PIL import Image

import aedemo.evaluate
import aedemo.readouts
from aedemo.lesson.charts import read_log
from aedemo.lesson.images import SYNTHETIC_NOTE
from aedemo.lesson.pairs import EXPRESSION, format_pairs, format_reasons, weak_reasons
from aedemo.lesson.preview import heldout_pairs
from aedemo.lesson.report import write_report
from aedemo.playground import Playground
from aedemo.run import load_run

CAST = ("blob", "robot", "cat")
TINY = ("--size", "32", "--crop", "24", "--batch", "4", "--width", "8", "--latent", "8")

pytestmark = pytest.mark.usefixtures("one_thread")


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)))


@pytest.fixture(scope="module")
def cast_run(tmp_path_factory):
    """A cast of three, trained for a few steps through the command line."""
    folder = tmp_path_factory.mktemp("cast") / "run"
    done = invoke("train", "--cast", ",".join(CAST), "--steps", "3", *TINY, "--out", folder)
    assert done.exit_code == 0, done.output
    return folder


def test_cast_is_stored_like_a_b_and_identity(cast_run):
    settings = json.loads((cast_run / "config.json").read_text())["settings"]
    assert (settings["a"], settings["b"], settings["more"]) == ("blob", "robot", ["cat"])
    assert list(settings["identities"]) == list(CAST) and "cast" not in settings
    reproduce = json.loads((cast_run / "config.json").read_text())["reproduce"]
    assert "--a blob --b robot --identity cat" in reproduce


def test_any_character_swaps_to_any_other(cast_run):
    run = load_run(cast_run)
    frames = torch.rand(2, 3, 32, 32)
    for source in CAST:
        for target in CAST:
            out = run.swap(frames, to=target, source=source)
            assert out.shape == frames.shape and torch.isfinite(out).all()


def test_one_encoding_swaps_to_every_character_as_swap_does(cast_run):
    run, frames = load_run(cast_run), torch.rand(3, 3, 32, 32)
    every = run.swap_all(frames, source="cat")
    assert list(every) == list(CAST) and all(torch.equal(every[t], run.swap(frames, to=t, source="cat")) for t in CAST)


def test_log_scores_the_worst_of_every_ordered_pair(cast_run):
    pairs = heldout_pairs(load_run(cast_run).identities, 32, n=2)
    assert [(s, t) for s, t, *_ in pairs] == [(a, b) for a in CAST for b in CAST if a != b]
    rows = read_log(cast_run / "log.csv")
    assert rows and all(math.isfinite(row["margin_db"]) for row in rows)


def test_matrix_still_has_a_column_per_character_and_says_synthetic(cast_run, tmp_path):
    done = invoke("swap", cast_run, "--matrix", "--motion", "nod", "--frames", "5", "-o", tmp_path / "m.png")
    assert done.exit_code == 0, done.output
    picture = Image.open(tmp_path / "m.png")
    cell = 32 * 4 + 2  # 32-pixel frames drawn 128 wide, 2 pixels apart; 8 more after the input column
    assert picture.size == (2 + (1 + len(CAST)) * cell + 8, 20 + 34 + 5 * cell + 16)
    assert picture.text["Synthetic"] == "true" and picture.text["Description"] == SYNTHETIC_NOTE


def test_matrix_animation_has_every_frame_and_says_synthetic(cast_run, tmp_path):
    done = invoke("swap", cast_run, "--matrix", "--from", "cat", "--motion", "talk", "--frames", "4",
                  "-o", tmp_path / "m.gif")
    assert done.exit_code == 0, done.output
    gif = Image.open(tmp_path / "m.gif")
    assert gif.n_frames == 4 and gif.info["comment"].decode() == SYNTHETIC_NOTE
    assert "all 3 characters" in done.stderr


def test_evaluate_scores_every_ordered_pair(cast_run, monkeypatch):
    real = aedemo.readouts.ReadoutConfig
    monkeypatch.setattr(aedemo.readouts, "ReadoutConfig", lambda **kw: real(**{"steps": 5, **kw}))
    monkeypatch.setattr(aedemo.evaluate, "EvalConfig", functools.partial(aedemo.evaluate.EvalConfig, n=8,
                                                                         blur_samples=2, mean_samples=8))
    done = invoke("evaluate", cast_run)
    assert done.exit_code == 0, done.output
    metrics = json.loads((cast_run / "metrics.json").read_text())
    pairs = {(a, b) for a in CAST for b in CAST if a != b}
    assert {(s["source"], s["target"]) for s in metrics["swaps"].values()} == pairs
    assert all(math.isfinite(s["margin_db"]) for s in metrics["swaps"].values())
    assert all(f"{a} -> {b}" in done.stdout for a, b in pairs)
    assert "margin dB, source (row) -> target (column)" in done.stdout
    assert Image.open(cast_run / "pairs.png").size[0] > 100


def test_playground_offers_every_character_and_draws_one_code_with_every_decoder(cast_run):
    ground = Playground(load_run(cast_run))
    shown = ground.frame("cat", "robot", {"mouth_open": 1.0}, [])
    assert ground.info()["identities"] == list(CAST) and (shown["from"], shown["to"]) == ("cat", "robot")
    assert [name for name, _ in shown["decoders"]] == list(CAST)


def test_lesson_page_shows_the_matrix_the_heat_map_and_the_weak_pairs(cast_run, monkeypatch):
    test_evaluate_scores_every_ordered_pair(cast_run, monkeypatch)  # metrics.json and pairs.png
    page = (write_report(cast_run)).read_text()
    assert "The whole cast: 3 characters" in page and "blob drives every character" in page
    assert "Margin of every ordered pair" in page and ("fall short" in page or "Every ordered pair reaches" in page)


def test_weak_pairs_are_explained_from_the_numbers():
    out = {"swap": {"output_spread": 0.5, "factors": {f: {"r2": 0.9 if f != "gaze_y" else 0.2} for f in EXPRESSION}}}
    swaps = {"x->y": {"source": "x", "target": "y", "margin_db": 1.0, "best_blind": "blur",
                      "outputs": {**out, "blur": {"psnr_features": 16.0}}},
             "y->x": {"source": "y", "target": "x", "margin_db": 5.0, "best_blind": "blur",
                      "outputs": {"swap": {"output_spread": 0.8, "factors": {}}, "blur": {"psnr_features": 14.0}}}}
    crop = {"side": 32, "px_per_head_radius": 9.0, "px_per_head_radius_without": 11.7, "sized_for": "x",
            "region_px": {"x": 300.0, "y": 200.0, "z": 300.0}}
    (pair, reasons), = weak_reasons({"identities": ["x", "y"], "swaps": swaps, "crop": crop})
    assert pair == "x -> y +1.0 dB" and len(reasons) == 4 and "y (the target) has small eyes" in reasons[0]
    assert "gaze_y" in reasons[1] and "blind guess for y" in reasons[2] and "spread 0.50" in reasons[3]
    assert "9.0 px per head radius instead of 11.7" in format_reasons({"swaps": swaps, "crop": crop})


def test_pair_table_puts_the_worst_pair_first():
    swaps = {f"{a}->{b}": {"source": a, "target": b, "margin_db": m,
                           "outputs": {"swap": {"output_spread": 0.8, "factors": {}}}}
             for (a, b), m in {("x", "y"): 4.0, ("y", "x"): -1.0}.items()}
    lines = format_pairs({"identities": ["x", "y"], "swaps": swaps}).splitlines()
    assert lines[1].startswith("y -> x") and "< goal" in lines[1] and "< goal" not in lines[2]
    assert "median margin +1.5 dB, worst y -> x -1.0 dB" in lines[-1]


@pytest.mark.parametrize("args, words", [
    (["--cast", "blob"], ["at least two", "got 1"]),
    (["--cast", "blob,robot,Blob"], ["'Blob' twice"]),
    (["--cast", "blob,robot", "--identity", "cat"], ["--identity"]),
    (["--cast", "blob,robt"], ["robot"]),
])
def test_cast_refusals_are_one_line(args, words, tmp_path):
    result = invoke("train", *args, "--steps", "1", *TINY, "--out", tmp_path / "run")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert all(w in result.stderr for w in words)
    assert not (tmp_path / "run").exists()


def test_cast_all_is_every_built_in_character():
    from aedemo.cli.train import cast_names

    from aedemo.identities import IDENTITIES
    assert cast_names("all") == list(IDENTITIES) and cast_names(" cat , ghost ") == ["cat", "ghost"]
