"""Evaluation: a model that returns the true swap scores perfect, a copying model scores the copy
baseline, and the held-out poses are never trained on."""
import copy
import json
from types import SimpleNamespace

import pytest
import torch

from aedemo.data import HELDOUT_SEED, FramePool, heldout_poses, make_batch
from aedemo.evaluate import EvalConfig, evaluate, format_table, still_poses
from aedemo.identities import IDENTITIES
from aedemo.metrics import edge_loss, psnr, sharpness_ratio, ssim
from aedemo.poses import FACTORS, cat_poses, make_generator, sample_poses
from aedemo.readouts import ReadoutConfig
from aedemo.renderer import render

SIZE = 32
CFG = EvalConfig(n=24, blur_samples=4, mean_samples=32)


class FakeRun:
    """The run duck type: identities, config.size, path, device, swap()."""

    def __init__(self, path, kind):
        self.identities = {k: IDENTITIES[k] for k in ("blob", "robot")}
        self.config, self.path, self.device, self.kind = SimpleNamespace(size=SIZE), path, torch.device("cpu"), kind
        poses = cat_poses([heldout_poses(CFG.n), still_poses(CFG.n)])
        self.frames = {k: render(i, poses, size=SIZE) for k, i in self.identities.items()}

    def swap(self, frames, to, source=None):
        """copy: return the input; oracle: find each frame's pose (evaluate only uses held-out and
        still poses) and render `to` there."""
        if self.kind == "copy":
            return frames.clone()
        known = self.frames[source].flatten(1)
        index = torch.cdist(frames.flatten(1), known).argmin(1)
        assert torch.equal(known[index], frames.flatten(1))
        return self.frames[to][index]

    def swap_all(self, frames, source=None):
        return {to: self.swap(frames, to, source) for to in self.identities}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Evaluate the oracle and the copying model once (they share the cached readouts)."""
    path = tmp_path_factory.mktemp("run")
    return {kind: evaluate(FakeRun(path, kind), CFG) for kind in ("oracle", "copy")}


def test_oracle_scores_perfect(results):
    m = results["oracle"]
    assert set(m["swaps"]) == {"blob->robot", "robot->blob"} and set(m["reconstructions"]) == {"blob", "robot"}
    for r in m["reconstructions"].values():
        assert r["psnr"] == 100.0 and r["ssim"] > 0.999
    for s in m["swaps"].values():
        out = s["outputs"]
        assert out["swap"]["psnr"] == 100.0 and out["swap"]["psnr_features"] == 100.0
        assert out["swap"]["ssim"] > 0.999 and out["swap"]["ssim_features"] > 0.999
        assert out["swap"]["output_spread"] == pytest.approx(1.0, abs=1e-6)
        assert out["swap"]["target_share"] == out["truth"]["target_share"] >= 0.99
        assert out["swap"]["factors"] == out["truth"]["factors"]
        assert s["beats_blind"] and s["margin_db"] > 10
        assert out["swap"]["sharpness"] == pytest.approx(1.0) and s["frame_margin_db"] > 10
    assert m["expression_transferred"]


def test_copy_model_scores_the_copy_baseline(results):
    m = results["copy"]
    for s in m["swaps"].values():
        assert s["outputs"]["swap"] == s["outputs"]["copy"]
        assert not s["beats_blind"]
    assert not m["expression_transferred"]


def test_baselines_make_sense(results):
    for s in results["oracle"]["swaps"].values():
        out = s["outputs"]
        assert out["sharp"]["output_spread"] < 1e-3 and out["blur"]["output_spread"] < 1e-3
        assert out["mean"]["output_spread"] == 0
        assert out["copy"]["target_share"] < 0.05          # the input still looks like the source
        for f in ("mouth_open", "eye_open", "smile"):      # blind outputs cannot show expression
            assert out["sharp"]["factors"][f]["r2"] < 0.3 and out["truth"]["factors"][f]["r2"] > 0.9
        assert out["blur"]["psnr_features"] > out["mean"]["psnr_features"]
        assert out["blur"]["sharpness"] < min(1.0, out["sharp"]["sharpness"])   # averaging expressions softens them


def test_metrics_json_and_table(results, tmp_path_factory):
    m = results["copy"]
    run_dir = next(p for p in tmp_path_factory.getbasetemp().iterdir() if p.name.startswith("run"))
    assert json.loads((run_dir / "metrics.json").read_text()) == m
    assert (run_dir / "readouts.pt").exists()
    table = format_table(m)
    for word in ("blob -> robot", "swap", "copy", "sharp", "blur", "expression NOT transferred", "readouts",
                 "sharpness (truth = 1)", "whole frame: swap"):
        assert word in table


def test_table_says_which_readout_missed_and_what_to_do(results):
    m = copy.deepcopy(results["oracle"])
    assert m["readouts"]["steps"] == ReadoutConfig().steps
    m["readouts"]["factors"]["gaze_y"]["r2"], m["readouts"]["trustworthy"] = 0.894, False
    assert ("NOT trustworthy: ignore the gaze_y readout rows, or train the readouts longer with --readout-steps "
            f"{2 * ReadoutConfig().steps}") in format_table(m)


def test_metrics_on_known_inputs():
    a = render("blob", sample_poses(4, seed=1), size=SIZE)
    b = render("robot", sample_poses(4, seed=2), size=SIZE)
    assert torch.all(psnr(a, a) == 100) and torch.allclose(ssim(a, a), torch.ones(4))
    assert torch.all(ssim(a, b) < 0.95)


def test_heldout_poses_never_in_training(monkeypatch):
    held = torch.stack([heldout_poses(256)[k] for k in FACTORS], 1)

    def overlaps(poses):
        drawn = torch.stack([poses[k] for k in FACTORS], 1)
        return bool((drawn[:, None] == held[None]).all(-1).any())

    assert overlaps(sample_poses(256, rng=make_generator(HELDOUT_SEED)))  # the check itself works
    for seed in range(20):
        gen = make_generator(seed)
        assert not any(overlaps(sample_poses(64, rng=gen)) for _ in range(50))
    drawn = []
    monkeypatch.setattr("aedemo.data.sample_poses", lambda *a, **k: drawn.append(sample_poses(*a, **k)) or drawn[-1])
    cfg = SimpleNamespace(batch=8, size=SIZE, warp=True, jitter=1.0, feature_weight=1.0, crop=16)
    gen = make_generator(0)
    pools = {"blob": FramePool.new(IDENTITIES["blob"], cfg, torch.device("cpu"), gen)}
    for step in range(3):
        make_batch(pools, cfg, gen, None, step)
    assert drawn and not any(overlaps(p) for p in drawn)


def test_shared_baselines_give_the_same_scores(results, tmp_path_factory):
    """Runs that share a baselines dict (as the ablation's variants do) score exactly as alone."""
    path = tmp_path_factory.mktemp("shared")
    cfg = EvalConfig(n=CFG.n, blur_samples=CFG.blur_samples, mean_samples=CFG.mean_samples, readouts=False)
    baselines = {}
    first = evaluate(FakeRun(path, "oracle"), cfg, save=False, baselines=baselines)
    second = evaluate(FakeRun(path, "copy"), cfg, save=False, baselines=baselines)
    assert {"mean", "moving", "still", "scores", "copy"} == {key[0] for key in baselines}  # drawn and scored once
    for metrics, kind in ((first, "oracle"), (second, "copy")):
        alone = results[kind]["swaps"]["blob->robot"]["outputs"]
        for baseline in ("copy", "mean", "sharp", "blur"):
            got = metrics["swaps"]["blob->robot"]["outputs"][baseline]
            assert got["psnr_features"] == alone[baseline]["psnr_features"], (kind, baseline)


def test_sharpness_ratio_of_truth_is_one_and_of_a_blur_below():
    truth = render(IDENTITIES["robot"], heldout_poses(8), size=SIZE)
    blurred = torch.nn.functional.avg_pool2d(truth, 3, stride=1, padding=1, count_include_pad=False)
    assert sharpness_ratio(truth, truth) == pytest.approx(1.0)
    assert sharpness_ratio(blurred, truth) < 0.9


def test_edge_loss_is_zero_on_the_truth_and_grows_with_blur():
    truth = render(IDENTITIES["blob"], heldout_poses(4), size=SIZE)
    blurred = torch.nn.functional.avg_pool2d(truth, 3, stride=1, padding=1, count_include_pad=False)
    assert edge_loss(truth, truth) == 0 and edge_loss(blurred, truth) > edge_loss(0.5 * (truth + blurred), truth) > 0
