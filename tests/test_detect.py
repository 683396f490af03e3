"""`aedemo detect`: detectors that beat chance on a tiny run, launderings that do what they say,
the JSON and files it writes, safe loading of detector files, and one-line errors."""
import json
import math
import pickle

import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner
from PIL import Image

from aedemo.detect import DetectConfig, detect, format_table
from aedemo.detector import DetectorConfig, load_detectors, new_detector, roc_auc, save_detectors
from aedemo.errors import RunError, UsageError
from aedemo.launder import KINDS, NOISE_SD, augment, blur, downscale, jpeg, launder, noise
from aedemo.poses import make_generator, sample_poses
from aedemo.renderer import render
from aedemo.train import TrainConfig, train

TINY = {"size": 32, "crop": 24, "batch": 4, "width": 8, "latent": 8, "save_every": 50, "time": None}
QUICK = DetectConfig(steps=40, poses=96, heldout=48)   # the same code as the default, on a few pictures

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, one_thread):
    """Three tiny runs of a few steps: blob-robot, cat-ghost (other characters), blob-robot at 48 px."""
    root = tmp_path_factory.mktemp("runs")
    made = {}
    for name, settings in {"blob-robot": {}, "cat-ghost": {"a": "cat", "b": "ghost"},
                           "large": {"size": 48, "crop": 24}}.items():
        made[name] = train(TrainConfig(**{**TINY, **settings}, steps=4), out=root / name, progress=False)
    return made


@pytest.fixture(scope="module")
def result(runs):
    """Detectors trained once on the tiny blob-robot run, scored against cat-ghost too."""
    return detect(runs["blob-robot"], QUICK, against=runs["cat-ghost"])


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)))


def test_json_shape(result, runs):
    score = {"auc", "accuracy"}
    assert set(result["heldout"]) == score
    assert set(result["laundered"]) == set(KINDS) and all(set(s) == score for s in result["laundered"].values())
    assert set(result["robust"]) == {"heldout", "laundered"} and set(result["robust"]["heldout"]) == score
    assert set(result["robust"]["laundered"]) == set(KINDS)
    assert result["seconds"]["total"] == pytest.approx(sum(v for k, v in result["seconds"].items() if k != "total"),
                                                       abs=0.05)
    assert result["training"]["plain"]["steps"] == 40 and result["training"]["robust"]["steps"] == 20
    written = json.loads((runs["blob-robot"].path / "detect.json").read_text())
    assert written == json.loads(json.dumps(result))
    assert "plain: AUC" in format_table(result)
    assert not list(runs["blob-robot"].path.glob("*.tmp"))


def test_detector_beats_chance_on_a_run_of_four_steps(result):
    assert result["heldout"]["auc"] > 0.9
    assert result["robust"]["heldout"]["auc"] > 0.9
    for table in (result["heldout"], result["robust"]["heldout"], *result["laundered"].values()):
        assert 0 <= table["auc"] <= 1 and 0 <= table["accuracy"] <= 1


def test_roc_auc_counts_pairs_and_ties():
    labels = torch.tensor([0, 0, 1, 1])
    assert roc_auc(torch.tensor([0.1, 0.4, 0.35, 0.8]), labels) == 0.75     # 3 of 4 (swap, truth) pairs in order
    assert roc_auc(torch.tensor([0.0, 1.0, 2.0, 3.0]), labels) == 1.0
    assert roc_auc(torch.tensor([3.0, 2.0, 1.0, 0.0]), labels) == 0.0
    assert roc_auc(torch.ones(4), labels) == 0.5
    with pytest.raises(ValueError):
        roc_auc(torch.ones(2), torch.tensor([1, 1]))


def test_blur_and_downscale_remove_fine_detail_only():
    flat = torch.full((1, 3, 16, 16), 0.3)
    assert torch.allclose(blur(flat), flat) and torch.allclose(downscale(flat), flat)
    dot = torch.zeros(1, 3, 9, 9)
    dot[..., 4, 4] = 1.0
    kernel = torch.tensor([1.0, 2.0, 1.0])
    assert torch.allclose(blur(dot)[0, 0, 3:6, 3:6], kernel[:, None] * kernel[None, :] / 16)
    checks = (torch.arange(16)[:, None] + torch.arange(16)[None, :]) % 2
    assert torch.allclose(downscale(checks.float().expand(1, 3, 16, 16)), torch.full((1, 3, 16, 16), 0.5))


def test_jpeg_and_noise_change_pictures_a_little():
    images = render("robot", sample_poses(4, seed=1), size=64)
    compressed = jpeg(images)
    assert compressed.shape == images.shape and 0 <= compressed.min() and compressed.max() <= 1
    assert 0.002 < (compressed - images).abs().mean() < 0.05
    assert (jpeg(images, quality=95) - images).abs().mean() < (compressed - images).abs().mean()
    grey = torch.full((2, 3, 64, 64), 0.5)
    grain = noise(grey, make_generator(3)) - grey
    assert grain.std() == pytest.approx(NOISE_SD, rel=0.05)
    assert torch.equal(launder(grey, "noise", make_generator(3)), noise(grey, make_generator(3)))
    with pytest.raises(ValueError):
        launder(grey, "noise")


def test_augment_launders_both_pictures_of_a_pair_alike():
    images = render("blob", sample_poses(32, seed=2), size=32)
    out = augment(torch.cat([images, images]), make_generator(0), pairs=True)
    first, second = out[:32], out[32:]
    alike = [torch.equal(a, b) for a, b in zip(first, second)]
    noisy = [(a - b).abs().max() > 0 for a, b in zip(first, second)]
    assert all(s or n for s, n in zip(alike, noisy))
    assert any(torch.equal(a, b) for a, b in zip(first, images)) and any(noisy) and not all(alike)


def test_saliency_picture_is_labelled_synthetic(result, runs):
    picture = Image.open(runs["blob-robot"].path / "detect.png")
    assert picture.text["Synthetic"] == "true" and "aedemo" in picture.text["Software"]
    for name in ("area", "error", "saliency", "evidence"):
        assert sum(result["where"][name].values()) == pytest.approx(1.0, abs=0.01)
    assert set(result["where"]["region_only_auc"]) == set(result["where"]["area"])


def test_against_a_run_of_other_characters(result):
    against = result["against"]
    assert against["identities"] == ["cat", "ghost"] and against["same_characters"] is False
    assert 0 <= against["auc"] <= 1 and set(against["robust"]) == {"auc", "accuracy"}


def test_against_a_run_of_another_frame_size_is_one_line(runs):
    with pytest.raises(UsageError, match="48 px frames"):
        detect(runs["blob-robot"], QUICK, against=runs["large"])
    out = invoke("detect", runs["blob-robot"].path, "--against", runs["large"].path)
    assert out.exit_code == 2 and len(out.output.strip().splitlines()) == 1 and "Traceback" not in out.output


def test_saved_detectors_are_reused(result, runs, monkeypatch):
    monkeypatch.setattr("aedemo.detect.fit", lambda *a, **k: pytest.fail("trained again"))
    messages = []
    again = detect(runs["blob-robot"], QUICK, log=messages.append)
    assert again["training"]["reused"] and again["heldout"] == result["heldout"]
    assert any("trained earlier" in m for m in messages)


class Payload:
    """Unpickling this runs `touch`: a file that tries to run code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return os.system, (f"touch {self.marker}",)


def test_hostile_detector_file_is_refused_and_replaced(runs, tmp_path):
    run, marker = runs["cat-ghost"], tmp_path / "ran"
    path = run.path / "detector.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": "aedemo-detector-1", "weights": Payload(marker)}, f)
    with pytest.raises(RunError, match="refused") as error:
        load_detectors(path)
    assert "\n" not in str(error.value) and not marker.exists()
    messages = []
    detect(run, DetectConfig(steps=2, poses=16, heldout=16), log=messages.append)
    assert not marker.exists() and any("refused" in m for m in messages)
    assert set(load_detectors(path)[0]) == {"plain", "robust"}


@pytest.mark.parametrize("damage", ["empty", "truncated", "foreign", "wrong shapes"])
def test_damaged_detector_file_is_one_line(tmp_path, damage):
    path = tmp_path / "detector.pt"
    save_detectors(path, {"plain": new_detector(DetectorConfig())}, fingerprint="x")
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:300])
    elif damage == "foreign":
        torch.save({"weights": torch.zeros(3)}, path)
    else:
        save_detectors(path, {"plain": new_detector(DetectorConfig(width=8))}, fingerprint="x")
        state = torch.load(path, weights_only=True)
        state["config"]["plain"]["width"] = 16
        torch.save(state, path)
    with pytest.raises(RunError) as error:
        load_detectors(path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


@pytest.mark.parametrize("args, words", [
    (["no/such/run"], "no run folder"),
    (["RUN", "--time", "0"], "--time"),
    (["RUN", "--time", "-5"], "--time"),
    (["RUN", "--time", "nan"], "--time"),
    (["RUN", "--time", "soon"], "--time"),
    (["RUN", "--against", "no/such/run"], "no run folder"),
])
def test_bad_inputs_are_one_line_and_exit_2(runs, args, words):
    out = invoke("detect", *[str(runs["blob-robot"].path) if a == "RUN" else a for a in args])
    assert out.exit_code == 2, out.output
    assert len(out.output.strip().splitlines()) == 1 and words in out.output and "Traceback" not in out.output


def test_cli_prints_json_only(runs, tmp_path):
    out = CliRunner().invoke(cli, ["detect", str(runs["cat-ghost"].path), "--time", "0.5", "--json"])
    assert out.exit_code == 0, out.output
    printed = json.loads(out.stdout)
    assert printed["against"] is None and math.isfinite(printed["heldout"]["auc"])
    assert printed["training"]["plain"]["seconds"] >= 0.5
