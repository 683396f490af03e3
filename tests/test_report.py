"""The lesson page: self-contained, opens offline in a real browser, escapes every run string."""
import io
import json
import shlex
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from aedemo.align import Aligner, crop_geometry
from aedemo.config import TrainConfig, check
from aedemo.errors import RunError, UsageError
from aedemo.identities import IDENTITIES, identity_from_dict, identity_to_dict
from aedemo.lesson.images import grid, save_gif, save_png
from aedemo.lesson.report import write_report
from aedemo.model import SwapAutoencoder
from aedemo.pipeline import Pipeline, model_config
from aedemo.poses import sample_poses
from aedemo.renderer import render

HOSTILE = "<script>alert(1)</script>"


def write_config(run: Path, identities: list) -> TrainConfig:
    """A config.json as training writes it, for these identities."""
    cfg = TrainConfig(a=identities[0].name, b=identities[1].name, size=32, crop=24)
    cfg.identities = {i.name: identity_to_dict(i) for i in identities}
    check(cfg)
    run.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["aedemo", "train", "--a", cfg.a, "--b", cfg.b, "--steps", "20", "--out", str(run)])
    (run / "config.json").write_text(json.dumps({"settings": cfg.to_dict(), "seed": 0, "steps_done": 20,
                                                 "versions": {"torch": torch.__version__}, "reproduce": command}))
    return cfg


def untrained_pipeline(cfg: TrainConfig, identities: list) -> Pipeline:
    """A real pipeline with random weights: enough to draw every stage."""
    gen = torch.Generator().manual_seed(0)
    model, aligner = SwapAutoencoder(model_config(cfg), cfg.names()), Aligner()
    with torch.no_grad():
        for p in [*model.parameters(), *aligner.parameters()]:
            p.copy_(torch.randn(p.shape, generator=gen) * 0.05)
    return Pipeline(model, aligner, crop_geometry(identities), cfg.size)


def fake_run(run: Path, identities: list) -> Pipeline:
    """A run folder with every artifact the report reads, pictures drawn by aedemo itself."""
    cfg = write_config(run, identities)
    poses = sample_poses(3, seed=1)
    a, b = (render(i, poses, size=32) for i in identities[:2])
    sheet = grid([("A", a), ("A>B", b), ("B truth", b)], synthetic={1})
    save_png(sheet, run / "preview" / "000020.png", synthetic=True)
    save_png(sheet, run / "loss.png")
    save_png(sheet, run / "ablation.png", synthetic=True)
    save_png(sheet, run / "latent_pca.png")
    save_gif([sheet, sheet.rotate(5)], run / "timelapse.gif")
    save_gif([sheet, sheet.rotate(-5)], run / "swap.gif")
    (run / "log.csv").write_text("step,seconds,loss,img_per_s,swap_psnr,swap_psnr_features,loss_align\n"
                                 "10,0.7,0.06,880,16.1,11.2,3.6\n20,1.4,0.04,1450,16.3,11.9,2.5\n")
    (run / "metrics.json").write_text(json.dumps(fake_metrics([i.name for i in identities])))
    variant = {"steps": 150, "swap_psnr": 19.7, "swap_psnr_features": 14.5, "output_spread": 0.58}
    (run / "ablation.json").write_text(json.dumps({"seconds_each": 10.0, "variants": {
        "shared": {**variant, "margin_db": 1.2, "expression_transferred": True},
        "separate": {**variant, "margin_db": -3.1, "expression_transferred": False},
        HOSTILE: {**variant, "margin_db": "?", "output_spread": None}}}))
    (run / "explain.json").write_text(json.dumps({"probes": {"identity_accuracy": 0.55, "pose_r2": {"smile": 0.8}},
                                                  "params": {"encoder": 1000, "total": 3000}}))
    return untrained_pipeline(cfg, identities)


def fake_metrics(names: list[str]) -> dict:
    """A metrics.json with the keys aedemo.evaluate documents (the numbers are placeholders)."""
    def scores(x):
        return {"psnr": 20 + x, "psnr_features": 15 + x, "ssim": 0.8, "ssim_features": 0.6, "output_spread": 0.7,
                "target_share": 0.98, "factors": {"mouth_open": {"r2": 0.9 - x / 10, "mae": 0.1}}}
    kinds = {"swap": 3, "copy": -5, "mean": -3, "sharp": 0, "blur": 1, "truth": 9}
    swaps = {f"{a}->{b}": {"source": a, "target": b, "outputs": {k: scores(x) for k, x in kinds.items()},
                           "best_blind": "blur", "beats_blind": True, "margin_db": 2.0}
             for a, b in (names[:2], names[1::-1])}
    return {"identities": names, "size": 32, "heldout": {"n": 64, "seed": 1}, "swaps": swaps,
            "reconstructions": {n: scores(4) for n in names}, "expression_transferred": True,
            "readouts": {"identity_accuracy": 1.0, "factors": {"mouth_open": {"r2": 0.99, "mae": 0.02}},
                         "trustworthy": True, "gaze_min_eye_open": 0.3}}


def chromium() -> str:
    """Where chromium is, found the way `make browser` looks for it; the test fails without it."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).is_file(), f"{path} is missing: make browser installs it"
    return path


def open_page(path: Path, width: int) -> dict:
    """Load the file in headless Chromium and report what happened."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: make test installs it")
    seen = {"requests": [], "errors": [], "dialogs": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                       else route.abort())
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            seen["images"] = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
            seen["text"] = page.inner_text("body")
            seen["scroll_width"] = page.evaluate("document.documentElement.scrollWidth")
            seen["screenshot"] = page.screenshot(full_page=True)
        finally:
            browser.close()
    return seen


@pytest.mark.parametrize("width", [1280, 390])
def test_report_opens_offline_in_chromium(tmp_path, width):
    identities = [IDENTITIES["blob"], IDENTITIES["robot"]]
    pipeline = fake_run(tmp_path / "run", identities)
    path = write_report(tmp_path / "run", pipeline=pipeline)
    seen = open_page(path, width)
    assert all(u.startswith(("file:", "data:")) for u in seen["requests"]), seen["requests"]
    assert seen["errors"] == [] and seen["dialogs"] == []
    assert len(seen["images"]) >= 8 and all(done and w > 0 for done, w in seen["images"]), seen["images"]
    assert len(seen["text"]) > 3000 and "Responsible use" in seen["text"]
    assert "Expression transferred." in seen["text"] and "blob \u2192 robot" in seen["text"]
    assert "one encoder per character" in seen["text"] and "Best here: shared (+1.2 dB)." in seen["text"]
    shot = Image.open(io.BytesIO(seen["screenshot"])).convert("RGB")
    assert len(shot.getcolors(maxcolors=1 << 20) or range(1 << 20)) > 100
    assert seen["scroll_width"] <= width, "the page is wider than the screen"


def test_hostile_identity_name_is_escaped(tmp_path):
    evil = identity_from_dict({"name": HOSTILE, "head": "round", "skin": [90, 200, 250],
                               "description": '"><img src=x onerror=alert(2)>'})
    pipeline = fake_run(tmp_path / "run", [evil, IDENTITIES["cat"]])
    path = write_report(tmp_path / "run", pipeline=pipeline)
    text = path.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script" not in text.lower() and "<img src=x" not in text
    seen = open_page(path, 1024)
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert HOSTILE in seen["text"]


def test_missing_and_broken_artifacts_each_get_one_sentence(tmp_path):
    run = tmp_path / "run"
    write_config(run, [IDENTITIES["blob"], IDENTITIES["robot"]])
    (run / "metrics.json").write_text("{not json")
    (run / "swap.gif").write_bytes(b"GIF89a truncated")
    text = write_report(run).read_text(encoding="utf-8")
    for sentence in ("metrics.json could not be read", "swap.gif could not be read", "ablation.png is not in",
                     "latent_pca.png is not in", "explain.json is not in", "appear here once the run has"):
        assert sentence in text, sentence
    assert "<img" in text  # the contact sheet needs no run artifacts
    assert "data:image/gif" not in text
    assert f"<code>aedemo ablate --a blob --b robot --out {run}</code> draws it" in text  # the command that fills it


def test_report_refuses_what_is_not_a_run(tmp_path):
    with pytest.raises(UsageError, match="no run folder"):
        write_report(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="config.json"):
        write_report(tmp_path)
    (tmp_path / "config.json").write_text('{"settings": {"a": "blob", "lr": "fast"}}')
    with pytest.raises(RunError):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_untrusted_readouts_are_flagged_before_the_tables():
    from aedemo.lesson.scoreboard import metrics_html
    swap = {"source": "blob", "target": "robot", "best_blind": "blur",
            "outputs": {"swap": {"psnr_features": 20.0, "factors": {"mouth_open": {"r2": 0.9}}}}}
    for trusted in (True, False):
        text = metrics_html({"swaps": {"blob->robot": swap}, "readouts": {"trustworthy": trusted}})
        assert ("ignore the readout columns" in text) is not trusted
    assert text.index("ignore the readout columns") < text.index("<table")
