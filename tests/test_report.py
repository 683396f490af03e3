"""The lesson page: self-contained, opens offline in a real browser, escapes every run string."""
import base64
import io
import json
import re
import shlex
from pathlib import Path

import pytest
import torch
from PIL import Image

from aedemo.align import Aligner, crop_geometry
from aedemo.config import TrainConfig, check
from aedemo.errors import RunError, UsageError
from aedemo.folder import read_config
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
    (run / "detect.json").write_text(json.dumps(fake_detect(str(run), [i.name for i in identities])))
    save_png(sheet, run / "detect.png", synthetic=True)
    return untrained_pipeline(cfg, identities)


def fake_detect(run: str, names: list[str], against: dict | None = None) -> dict:
    """A detect.json with the keys aedemo.detect documents: the plain detector loses most to halving
    (AUC 1.0 -> 0.6), its threshold misfits after blur; the robust one holds."""
    def s(auc, accuracy):
        return {"auc": auc, "accuracy": accuracy}
    regions = ("eyes and mouth", "outline", "rest of the head", "background")

    def shares(*values):
        return dict(zip(regions, values))
    return {"run": run, "identities": names, "heldout_poses": 64,
            "launderings": {"blur": "3x3 blur", "downscale": "halved, then enlarged back", "jpeg": HOSTILE},
            "heldout": s(1.0, 1.0), "laundered": {"blur": s(0.9, 0.5), "downscale": s(0.6, 0.5), "jpeg": s(0.995, 0.9)},
            "robust": {"heldout": s(0.999, 0.7), "laundered": {"blur": s(0.99, 0.9), "downscale": s(0.97, 0.8),
                                                             "jpeg": s(1.0, 0.95)}},
            "against": against,
            "where": {"area": shares(0.1, 0.15, 0.05, 0.7), "error": shares(0.3, 0.6, 0.05, 0.05),
                      "saliency": shares(0.05, 0.1, 0.05, 0.8), "evidence": shares(0.2, 0.7, 0.05, 0.05),
                      "region_only_auc": shares(0.93, 1.0, 0.61, 0.55)},
            "training": {"plain": {"steps": 600, "seconds": 20.0}, "robust": {"steps": 180, "seconds": 10.0},
                         "reused": False},
            "seconds": {"swaps": 5.0, "training": 30.0, "scores": 6.0, "total": 41.0}}


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


def open_page(browser, path: Path, width: int) -> dict:
    """Load the file in headless Chromium and report what happened."""
    with browser(("file:", "data:"), width) as (page, seen):
        page.goto(path.as_uri(), wait_until="load")
        seen["images"] = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
        seen["text"] = page.inner_text("body")
        seen["scroll_width"] = page.evaluate("document.documentElement.scrollWidth")
        seen["screenshot"] = page.screenshot(full_page=True)
    return seen


@pytest.mark.parametrize("width", [1280, 390])
def test_report_opens_offline_in_chromium(tmp_path, width, browser):
    identities = [IDENTITIES["blob"], IDENTITIES["robot"]]
    pipeline = fake_run(tmp_path / "run", identities)
    path = write_report(tmp_path / "run", pipeline=pipeline)
    seen = open_page(browser, path, width)
    assert all(u.startswith(("file:", "data:")) for u in seen["requests"]), seen["requests"]
    assert seen["errors"] == [] and seen["dialogs"] == []
    assert len(seen["images"]) >= 8 and all(done and w > 0 for done, w in seen["images"]), seen["images"]
    assert len(seen["text"]) > 3000 and "Responsible use" in seen["text"]
    assert "Expression transferred." in seen["text"] and "blob \u2192 robot" in seen["text"]
    assert "one encoder per character" in seen["text"]
    assert "Shared or separate encoders? One shared encoder, by 4.3 dB" in seen["text"]
    assert "Top: blob \u2192 robot. Bottom: the other way, robot \u2192 blob." in seen["text"]
    assert "8. Catching the swap" in seen["text"] and "The robust detector holds" in seen["text"]
    shot = Image.open(io.BytesIO(seen["screenshot"])).convert("RGB")
    assert len(shot.getcolors(maxcolors=1 << 20) or range(1 << 20)) > 100
    assert seen["scroll_width"] <= width, "the page is wider than the screen"


def test_hostile_identity_name_is_escaped(tmp_path, browser):
    evil = identity_from_dict({"name": HOSTILE, "head": "round", "skin": [90, 200, 250],
                               "description": '"><img src=x onerror=alert(2)>'})
    pipeline = fake_run(tmp_path / "run", [evil, IDENTITIES["cat"]])
    path = write_report(tmp_path / "run", pipeline=pipeline)
    text = path.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script" not in text.lower() and "<img src=x" not in text
    seen = open_page(browser, path, 1024)
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert HOSTILE in seen["text"]


def test_missing_and_broken_artifacts_each_get_one_sentence(tmp_path):
    run = tmp_path / "run"
    write_config(run, [IDENTITIES["blob"], IDENTITIES["robot"]])
    (run / "metrics.json").write_text("{not json")
    (run / "swap.gif").write_bytes(b"GIF89a truncated")
    text = write_report(run).read_text(encoding="utf-8")
    for sentence in ("metrics.json could not be read", "swap.gif could not be read", "ablation.png is not in",
                     "latent_pca.png is not in", "explain.json is not in", "appear here once the run has",
                     f"detect.json is not in this folder; <code>aedemo detect {run}</code> trains the detectors"):
        assert sentence in text, sentence
    assert "<img" in text  # the contact sheet needs no run artifacts
    assert "data:image/gif" not in text
    hint = (f"<code>aedemo ablate --out {run} --time 10 --variant shared --variant separate --variant no-align</code> "
            "makes it as <code>aedemo demo</code> does")  # the command that fills it: tests/test_demo.py runs it
    assert text.count(hint) == 1


def test_report_refuses_what_is_not_a_run(tmp_path):
    with pytest.raises(UsageError, match="no run folder"):
        write_report(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="config.json"):
        write_report(tmp_path)
    (tmp_path / "config.json").write_text('{"settings": {"a": "blob", "lr": "fast"}}')
    with pytest.raises(RunError):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def scored(gaze_y_readout: float = 0.99, identity: float = 1.0) -> dict:
    """metrics.json's swaps and readouts for one direction: the swap 4.6 dB above the blur in the eyes and
    mouth but below it on the whole frame, its readouts tested on clean renders as given."""
    def output(psnr, features, spread, gaze_y):
        return {"psnr": psnr, "psnr_features": features, "output_spread": spread, "target_share": 1.0,
                "factors": {"mouth_open": {"r2": 0.98}, "gaze_y": {"r2": gaze_y}}}
    swap = {"source": "blob", "target": "robot", "best_blind": "blur", "beats_blind": True, "margin_db": 4.6,
            "outputs": {"swap": output(24.2, 19.3, 0.72, 0.93), "copy": output(15.9, 11.7, 1.14, 0.97),
                        "blur": output(25.0, 14.7, 0.0, -1.17)}}
    readouts = {"identity_accuracy": identity, "steps": 300, "trustworthy": gaze_y_readout >= 0.95 and identity >= 0.99,
                "factors": {"mouth_open": {"r2": 0.99}, "gaze_y": {"r2": gaze_y_readout}}}
    return {"swaps": {"blob->robot": swap}, "readouts": readouts}


def rows_of(text: str) -> list[str]:
    """The <tr> elements of some HTML, as text."""
    return text.split("<tr>")[1:]


def test_untrusted_readouts_name_what_missed_and_grey_it_out():
    from aedemo.lesson.scoreboard import metrics_html
    text = metrics_html(scored(gaze_y_readout=0.894), "runs/my run")
    warning = text[:text.index("<table")]  # before the tables it is about
    assert "Some readouts cannot be trusted." in warning and "<b>gaze_y</b> R&sup2; 0.894 &lt; 0.95" in warning
    assert "The identity readout passed (100 % correct)" in warning and "ignore the readout" not in text
    assert "aedemo evaluate &#x27;runs/my run&#x27; --readout-steps 600" in warning  # twice as long, quoted
    gaze = [row for row in rows_of(text) if "gaze_y" in row]
    assert gaze and all("gaze_y (readout unsure)" in row and row.count('class="num') == row.count(" dim") for row in gaze)
    assert not any(" dim" in row for row in rows_of(text) if "mouth_open" in row)
    assert '<th class="dim">' not in text  # the identity readout passed: its column stays


def test_untrusted_identity_readout_greys_out_its_column():
    from aedemo.lesson.scoreboard import metrics_html
    text = metrics_html(scored(identity=0.9))
    assert "the identity readout names the character 90 % of the time, under its bar of 99 %" in text
    assert '<th class="dim">read as robot (readout unsure)</th>' in text
    assert "The identity readout passed" not in text


def test_trusted_readouts_dim_nothing():
    from aedemo.lesson.scoreboard import metrics_html
    text = metrics_html(scored())
    assert "dim" not in text and "cannot be trusted" not in text
    assert "good enough to trust what they read" in text and text.index("<table") < text.index("good enough")


def test_numbers_get_plain_readings():
    from aedemo.lesson.scoreboard import metrics_html
    text = metrics_html(scored())
    assert "-1.17 <span class=\"word\">worse than guessing the average</span>" in text
    assert '<td class="num bad">-1.17' in text and '<td class="num good">0.93' in text
    assert "1.14 <span class=\"word\">moves more than the truth</span>" in text
    assert "0.72 <span class=\"word\">moves</span>" in text and "0.00 <span class=\"word\">frozen</span>" in text
    assert "its typical pixel error there is 41 % smaller" in text
    assert ("On the whole frame the swap (24.2 dB) scores below robot at the input&#x27;s head pose, blurred over "
            "expressions (25.0 dB).</b>") in text and "it is told where the head is" in text
    from aedemo.lesson.texts import SWAP_MEASURES
    assert "copying the input moves exactly as the source does" in SWAP_MEASURES


def ablation(margins: dict, spreads: dict | None = None) -> str:
    from aedemo.lesson.scoreboard import ablation_table
    spreads = spreads or {}
    return ablation_table({"seconds_each": 10, "variants": {
        name: {"steps": 200, "swap_psnr_features": 15.0, "margin_db": m, "output_spread": spreads.get(name, 0.6),
               "expression_transferred": m > 0} for name, m in margins.items()}})


def test_ablation_answers_its_questions_and_calls_no_winner_within_noise():
    text = ablation({"shared": 0.9, "separate": -3.6, "no-align": -1.7, "warp": 1.0, "latent-4": 0.5},
                    {"no-align": 0.11})
    assert "<b>Shared or separate encoders?</b> One shared encoder, by 4.5 dB in the eyes and mouth" in text
    assert "<b>Aligned crops or raw frames?</b> Aligned crops, by 2.6 dB" in text
    assert "With raw frames the face hardly moves (spread 0.11)." in text
    assert "<b>Random warp or not?</b> No clear difference in this run" in text  # 0.1 dB is noise
    assert "<b>A long code or a 4-number one?</b> No clear difference" in text  # so is 0.4 dB
    assert "Best" not in text and "No variant beat" not in text
    assert "Random warp, by 0.6 dB" in ablation({"shared": 0.9, "warp": 1.5})
    assert "No variant beat the blind baseline" in ablation({"shared": -0.2, "separate": -3.0})


def test_early_preview_outline_is_explained(tmp_path):
    pipeline = fake_run(tmp_path / "run", [IDENTITIES["blob"], IDENTITIES["robot"]])
    text = " ".join(write_report(tmp_path / "run", pipeline=pipeline).read_text(encoding="utf-8").split())
    assert "Why is there an outline behind the swapped face?" in text
    assert "robot with a trace of blob's head around it" in text and "masks are soft" in text
    assert "eyes and mouth first" in text


def test_swap_both_ways_on_the_page(tmp_path):
    from aedemo.lesson.animate import LESSON_FRAMES, swap_frames
    from aedemo.run import Run
    pipeline = fake_run(tmp_path / "run", [IDENTITIES["blob"], IDENTITIES["robot"]])
    text = write_report(tmp_path / "run", pipeline=pipeline).read_text(encoding="utf-8")
    found = re.search(r'<img src="data:image/gif;base64,([A-Za-z0-9+/=]+)" alt="The swap both ways', text)
    gif = Image.open(io.BytesIO(base64.b64decode(found[1])))
    run = Run(tmp_path / "run", read_config(tmp_path / "run"), pipeline, 20)
    one_way = swap_frames(run, "blob", "robot", "tour", 2)[0]
    assert gif.n_frames == LESSON_FRAMES and gif.size == (one_way.width, 2 * one_way.height)
    assert b"synthetic" in gif.info["comment"].lower()


def test_catching_the_swap_reads_its_numbers(tmp_path):
    pipeline = fake_run(tmp_path / "run", [IDENTITIES["blob"], IDENTITIES["robot"]])
    other = {"run": f"runs/{HOSTILE}", "identities": ["blob", "robot"], "same_characters": True, "auc": 0.55,
             "accuracy": 0.5, "robust": {"auc": 0.6, "accuracy": 0.52}}
    (tmp_path / "run" / "detect.json").write_text(json.dumps(fake_detect("runs/x", ["blob", "robot"], other)))
    html = write_report(tmp_path / "run", pipeline=pipeline).read_text(encoding="utf-8")
    text = " ".join(html[html.index('<section id="detect">'):].split())
    assert "<script" not in html.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert ("Laundering hurts it most with <b>halved, then enlarged back</b>: its AUC falls to 0.600, 0.400 lower, "
            "close to a coin toss.") in text
    assert "Its ranking barely changes under &lt;script&gt;" in text
    assert "After 3x3 blur or halved, then enlarged back it still ranks" not in text   # 0.6: not ranked well
    assert "After 3x3 blur it still ranks most swaps above most true renders" in text and "only 50 % of" in text
    assert "The robust detector holds: AUC 0.970 or more under every laundering" in text
    assert "labels only 70 % of them right" in text
    assert "<td>another run&#x27;s swaps: runs/&lt;script&gt;alert(1)&lt;/script&gt;</td>" in text
    assert "(the same characters), the plain detector reaches AUC 0.550 and the robust one 0.600: close to a coin" in text
    assert "wrong mostly on the outline: 60 % of |swap &minus; truth| falls there, on 15 % of the picture" in text
    assert "That is where the detector finds it: 70 % of its evidence" in text
    assert "saliency is brightest on the background (80 %)" in text
    assert "the outline alone lets the detector reach AUC 1.000, the background alone 0.550" in text
    assert text.count("<img") == 1 and f"aedemo detect {tmp_path / 'run'}" in text


def test_catching_the_swap_without_its_picture_or_with_a_broken_file(tmp_path):
    run = tmp_path / "run"
    fake_run(run, [IDENTITIES["blob"], IDENTITIES["robot"]])
    (run / "detect.png").unlink()
    text = write_report(run).read_text(encoding="utf-8")
    assert "detect.png is not in this folder" in text and "The robust detector holds" in text
    for broken in ('{"heldout": {"auc": "high"}}', "[1, 2]", "{not json"):
        (run / "detect.json").write_text(broken)
        text = write_report(run).read_text(encoding="utf-8")
        assert "detect.json could not be read; <code>aedemo detect" in text and "robust detector holds" not in text
