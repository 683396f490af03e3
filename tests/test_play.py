"""`aedemo play`: the HTTP contract on a server started on port 0, every bad input, Ctrl-C, live
training, and the page in real Chromium.

The oracle is the library itself: /swap.png must be what Run.swap draws for that pose, and
/render.png what the renderer draws; the page's swap must move toward the true swap.
"""
import base64
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner
from conftest import chromium
from PIL import Image

import aedemo
from aedemo.browser import page_picture
from aedemo.config import TrainConfig, check
from aedemo.explain import gather_codes, pca
from aedemo.identities import IDENTITIES, identity_from_dict, identity_to_dict
from aedemo.lesson.images import to_pil
from aedemo.metrics import psnr
from aedemo.pipeline import build_pipeline
from aedemo.play import make_server
from aedemo.playground import Playground
from aedemo.poses import FACTORS, MOTIONS, neutral_poses
from aedemo.renderer import render
from aedemo.run import Run

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "blob-robot"
TINY = ["--size", "32", "--crop", "24", "--batch", "4", "--width", "8", "--latent", "8", "--save-every", "2"]
HOSTILE = "<script>alert(1)</script>"


def request(port: int, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """A request with the path exactly as given (no normalising of .. or %2e)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.putrequest(method, path, skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


class Served:
    """A playground served in this process on a free port."""

    def __init__(self, run):
        self.run, self.ground = run, Playground(run)
        self.server = make_server(self.ground, "127.0.0.1", 0)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def get(self, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
        return request(self.port, path, method)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sample(one_thread):
    served = Served(aedemo.load_run(SAMPLE))
    yield served
    served.close()


def picture(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


def pixels(image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def drawn(tensor) -> np.ndarray:
    """A (3, H, W) tensor as the server quantises it."""
    return pixels(to_pil(tensor))


def test_swap_png_is_the_runs_swap(sample):
    status, headers, body = sample.get("/swap.png?from=blob&to=robot&mouth_open=1&gaze_x=-0.5&roll=12")
    assert status == 200 and headers["Content-Type"] == "image/png"
    image = picture(body)
    assert image.size == (64, 64) and image.info["Synthetic"] == "true"
    assert "synthetic" in image.info["Description"].lower()
    poses = neutral_poses(1, mouth_open=1.0, gaze_x=-0.5, roll=12.0)
    expected = sample.run.swap(render(IDENTITIES["blob"], poses), to="robot", source="blob")[0]
    assert np.abs(pixels(image) - drawn(expected)).max() <= 1


def test_render_png_is_the_true_render(sample):
    status, _, body = sample.get("/render.png?identity=robot&smile=-1&eye_open=0")
    image = picture(body)
    assert status == 200 and "Synthetic" not in image.info and image.info["Software"].startswith("aedemo")
    truth = render(IDENTITIES["robot"], neutral_poses(1, smile=-1.0, eye_open=0.0))[0]
    assert np.array_equal(pixels(image), drawn(truth))


def test_left_out_factors_are_neutral_and_names_any_case(sample):
    neutral = "&".join(f"{f.name}={f.neutral}" for f in FACTORS.values())
    assert sample.get("/swap.png")[2] == sample.get(f"/swap.png?from=blob&to=robot&{neutral}")[2]
    assert sample.get("/swap.png?to=blob")[2] == sample.get("/swap.png?from=ROBOT&to=Blob")[2]
    assert sample.get("/render.png")[2] == sample.get(f"/render.png?identity=blob&{neutral}")[2]


BAD = {
    "/swap.png?from=cat": "unknown character 'cat'",
    "/swap.png?to=robots": "did you mean robot",
    "/render.png?identity=../samples/blob-robot/config.json": "unknown character",
    "/swap.png?mouht_open=1": "unknown parameter 'mouht_open'; did you mean mouth_open",
    "/render.png?from=blob": "unknown parameter 'from'",
    "/swap.png?mouth_open=abc": "mouth_open='abc' is not a number",
    "/swap.png?mouth_open=": "is not a number",
    "/swap.png?mouth_open=nan": "not a finite number",
    "/swap.png?roll=-inf": "not a finite number",
    "/swap.png?mouth_open=1.5": "mouth_open=1.5 is out of range; mouth_open goes from 0 to 1",
    "/render.png?roll=-30.5": "out of range",
    "/swap.png?smile=1&smile=0": "'smile' is given twice",
    "/swap.png?" + "x=0&" * 300: "at most 1000 are accepted",
    "/swap.png?mouth_open": "malformed",
    "/swap.png?%ff=1": "malformed",
    "/frame.json?dir9=1": "unknown parameter 'dir9'",
    "/frame.json?dir1=3.5": "dir1=3.5 is out of range",
    "/frame.json?from=cat": "unknown character",
    "/info.json?x=1": "takes no parameters",
    "/preview.png?mouth_open=1": "unknown parameter 'mouth_open'",
}


@pytest.mark.parametrize("path", BAD)
def test_bad_input_is_400_in_one_line(sample, capfd, path):
    status, headers, body = sample.get(path)
    text = body.decode()
    assert status == 400 and headers["Content-Type"].startswith("text/plain"), (status, text)
    assert text.endswith("\n") and text.count("\n") == 1 and BAD[path] in text, text
    assert "Traceback" not in text and capfd.readouterr().err == ""


NOT_FOUND = ["/nope", "/swap.png/", "/swap.png/../setup.cfg", "/../setup.cfg", "/..%2fsetup.cfg",
             "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/web/play.js", "/aedemo/play.py", "/play.js/..",
             "/samples/blob-robot/config.json", "/checkpoint.pt", "/README.md", "../../etc/passwd",
             "http://example.com/swap.png", "/preview.png?step=../../config", "/preview.png?step=-1",
             "/preview.png?step=99999", "/preview.png?step=1e3", "/preview.png", "/bench-result?frames=9&seconds=1"]


@pytest.mark.parametrize("path", NOT_FOUND)
def test_other_paths_are_404(sample, capfd, path):
    status, _, body = sample.get(path)
    assert status == 404 and body == b"not found\n", (path, status, body[:80])
    assert capfd.readouterr().err == ""


def test_the_page_and_the_newest_preview_are_served(sample):
    status, headers, body = sample.get("/")
    assert status == 200 and b"/play.js" in body and "default-src 'self'" in headers["Content-Security-Policy"]
    for path in ("/play.js", "/play.css"):
        assert sample.get(path)[0] == 200
    step = json.loads(sample.get("/training.json")[2])["preview"]
    status, _, body = sample.get(f"/preview.png?step={step}")
    assert status == 200 and picture(body).info["Synthetic"] == "true"


def test_malformed_requests_and_failures_answer_one_line(sample, capfd, monkeypatch):
    for raw in (b"GARBAGE\r\n\r\n", b"POST /swap.png HTTP/1.1\r\nContent-Length: 0\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", sample.port), timeout=30) as s:
            s.sendall(raw)
            answer = s.makefile("rb").read().decode()
        body = answer.split("\r\n\r\n", 1)[-1]   # a request without a version gets no headers back
        assert body.split()[0] in ("400", "501") and body.count("\n") == 1 and "<" not in body, answer
    monkeypatch.setattr(sample.ground, "swap_png", lambda *a: 1 / 0)
    status, _, body = sample.get("/swap.png")
    assert status == 500 and body == b"internal error: ZeroDivisionError\n"
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "ZeroDivisionError" in err and "Traceback" not in err


def test_before_the_first_checkpoint_the_page_waits(tmp_path):
    server = make_server(Playground(), "127.0.0.1", 0, folder=tmp_path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        waiting, swap = request(port, "/info.json"), request(port, "/swap.png?mouth_open=1")
        training = json.loads(request(port, "/training.json")[2])
    finally:
        server.shutdown()
        server.server_close()
    assert waiting[0] == 200 and "no model yet" in json.loads(waiting[2])["waiting"]
    assert swap[0] == 503 and swap[2].decode().count("\n") == 1
    assert training["rows"] == [] and training["preview"] is None and training["model_step"] is None


def data_picture(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,")
    return picture(base64.b64decode(uri.split(",", 1)[1]))


def test_frame_is_the_swap_its_truth_and_the_code(sample):
    query = "from=blob&to=robot&mouth_open=0.8&eye_open=0.2"
    frame = json.loads(sample.get(f"/frame.json?{query}")[2])
    swap = data_picture(frame["swap"])
    assert swap.info["Synthetic"] == "true"
    assert np.array_equal(pixels(swap), pixels(picture(sample.get(f"/swap.png?{query}")[2])))
    poses = neutral_poses(1, mouth_open=0.8, eye_open=0.2)
    truth, masks = render(IDENTITIES["robot"], poses, masks=True)
    swapped = sample.run.swap(render(IDENTITIES["blob"], poses), to="robot", source="blob")
    assert frame["psnr_features"] == pytest.approx(float(psnr(swapped, truth, masks["features"])), abs=0.01)
    assert np.array_equal(pixels(data_picture(frame["truth"])), drawn(truth[0]))
    assert len(frame["code"]) == sample.run.model.cfg.latent and [n for n, _ in frame["decoders"]] == ["blob", "robot"]
    moved = json.loads(sample.get(f"/frame.json?{query}&dir1=2&dir2=-1")[2])
    assert moved["swap"] == frame["swap"] and moved["code"] != frame["code"]
    for (_, a), (_, b) in zip(frame["decoders"], moved["decoders"]):
        assert not np.array_equal(pixels(data_picture(a)), pixels(data_picture(b)))


def test_directions_are_the_principal_directions_explain_finds(sample):
    d = sample.ground.directions
    assert torch.allclose(d.vectors @ d.vectors.T, torch.eye(len(d.vectors), dtype=d.vectors.dtype), atol=1e-6)
    codes, _, _ = gather_codes(sample.run, 256)
    _, explained = pca(codes)
    assert d.explained[:2] == pytest.approx(explained, abs=1e-6)
    info = json.loads(sample.get("/info.json")[2])
    assert [f["name"] for f in info["factors"]] == list(FACTORS) and sorted(info["motions"]) == sorted(MOTIONS)
    for m in info["motions"].values():
        for name, values in m["poses"].items():
            assert FACTORS[name].low <= min(values) and max(values) <= FACTORS[name].high


def start(*args, cwd=ROOT) -> tuple[subprocess.Popen, str]:
    """`aedemo play ARGS --port 0 --no-browser` as a real process; returns it and the page's address."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    # a shell without job control starts background jobs with SIGINT ignored, and children inherit that;
    # a handled SIGINT here gives the child a normal Ctrl-C
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "aedemo.cli", "play", *map(str, args), "--port", "0",
                                 "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=cwd, env=env)
    finally:
        signal.signal(signal.SIGINT, previous)
    lines = []
    while True:
        lines.append(proc.stderr.readline())
        if not lines[-1]:
            proc.wait(timeout=60)
            pytest.fail(f"aedemo play ended before serving: {lines}")
        found = re.search(r"http://\S+", lines[-1])
        if found:
            return proc, found[0]


def get_json(url: str) -> dict:
    from urllib.request import urlopen
    with urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def ctrl_c(proc) -> list[str]:
    """SIGINT, as Ctrl-C sends it; the process must end with 130 and say only that it was interrupted."""
    proc.send_signal(signal.SIGINT)
    try:
        _, rest = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "Traceback" not in rest, rest
    lines = rest.strip().splitlines()
    assert lines[-1] == "interrupted", rest
    return lines


def test_ctrl_c_ends_the_server():
    proc, url = start(SAMPLE)
    assert picture(urlopen_bytes(url + "swap.png?mouth_open=1")).size == (64, 64)
    assert ctrl_c(proc) == ["interrupted"]


def urlopen_bytes(url: str) -> bytes:
    from urllib.request import urlopen
    with urlopen(url, timeout=60) as response:
        return response.read()


def processes_naming(text: str) -> list[int]:
    """Process ids whose command line holds `text` (a unique run folder: what is left of a child)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_live_training_shows_each_save_and_ends_on_the_new_model(tmp_path):
    out = tmp_path / "live"
    proc, url = start("--train", "--steps", "6", *TINY, "--out", out)
    try:
        status = get_json(url + "training.json")
        while status["state"] in ("starting", "training"):
            time.sleep(0.2)
            status = get_json(url + "training.json")
        assert status["state"] == "done" and "the sliders drive the new model" in status["message"], status
        assert [row["step"] for row in status["rows"]] == [2, 4, 6] and status["preview"] == 6
        assert picture(urlopen_bytes(url + "preview.png?step=6")).info["Synthetic"] == "true"
        assert get_json(url + "info.json")["step"] == 6 and status["model_step"] == 6
        assert picture(urlopen_bytes(url + "swap.png?mouth_open=1")).size == (32, 32)
    finally:
        ctrl_c(proc)
    assert aedemo.load_run(out).step == 6 and not list(out.rglob("*.tmp"))


def test_ctrl_c_while_training_saves_and_leaves_nothing(tmp_path):
    out = tmp_path / "long"
    proc, url = start("--train", "--steps", "100000", *TINY, "--out", out)
    try:
        while get_json(url + "training.json")["model_step"] is None:
            time.sleep(0.2)
    finally:
        lines = ctrl_c(proc)
    assert any(line.startswith("train: interrupted at step") for line in lines), lines
    assert aedemo.load_run(out).step >= 2 and not list(out.rglob("*.tmp"))
    assert processes_naming(str(out)) == []


def run_play(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "aedemo.cli", "play", *map(str, args), "--no-browser"],
                          capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


def test_command_line_mistakes_are_one_line(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    cases = [(["--port", taken.getsockname()[1]], 1, "is in use"),
             (["--time", "60"], 2, "--time is an option of --train"),
             ([SAMPLE, "--train"], 2, "RUN names one already trained"),
             (["--train", "--a", "nobody", "--port", "0"], 2, "nobody"),
             (["--train", "--out", tmp_path / "taken", "--port", "0"], 2, "already holds a run"),
             (["--host", "192.0.2.1"], 2, "cannot listen on 192.0.2.1")]
    shutil.copytree(SAMPLE, tmp_path / "taken", ignore=shutil.ignore_patterns("preview"))
    with taken:
        for args, code, text in cases:
            done = run_play(*args)
            assert done.returncode == code and done.stderr.count("\n") == 1 and text in done.stderr, (args, done.stderr)
    assert processes_naming(str(tmp_path / "taken")) == []


def test_train_options_reach_the_training_as_typed(tmp_path, monkeypatch):
    jobs = []
    monkeypatch.setattr("aedemo.play.serve", lambda ground, host, port, browser=True, job=None, log=print:
                        jobs.append(job))
    monkeypatch.chdir(tmp_path)
    args = ["--train", "--b", "cat", "--identity", "ghost", "--no-warp", "--pipeline", "frame", "--seed", "3"]
    result = CliRunner().invoke(cli, ["play", *args, "--no-browser"])
    assert result.exit_code == 0, result.output
    command = jobs[0].command()
    assert command[command.index("train") + 1:] == args[1:] + ["--out", str(Path("runs/blob-cat"))]


# ---- the page, in Debian's Chromium ----

def browse(browser, served: Served, actions) -> dict:
    """Open the page, let `actions(page)` use it, and report every request and console error."""
    with browser((served.url, "data:"), 1280) as (page, seen):
        page.goto(served.url, wait_until="load")
        page.wait_for_selector("#swap-img[data-query]")
        seen.update(actions(page))
    return seen


def shown_swap(page) -> np.ndarray:
    return pixels(data_picture(page.get_attribute("#swap-img", "src")))


def test_page_in_chromium_moves_the_mouth(sample, browser):
    def open_the_mouth(page):
        before = shown_swap(page)
        page.focus("#f-mouth_open")
        page.keyboard.press("End")       # the slider to its right end: mouth wide open
        page.wait_for_function("() => document.getElementById('swap-img').dataset.query.includes('mouth_open=1.0000')")
        return {"before": before, "after": shown_swap(page), "text": page.inner_text("body")}

    seen = browse(browser, sample, open_the_mouth)
    assert seen["errors"] == [] and seen["dialogs"] == []
    assert seen["requests"] and all(u.startswith((sample.url, "data:")) for u in seen["requests"]), seen["requests"]
    assert "SYNTHETIC" in seen["text"].upper() and "true robot" in seen["text"]
    assert not np.array_equal(seen["before"], seen["after"])
    opened, shut = (pixels(picture(sample.get(f"/render.png?identity=robot&mouth_open={v}")[2])) for v in (1, 0))
    after = seen["after"]
    assert ((after - opened) ** 2).mean() < ((after - shut) ** 2).mean()


def test_hostile_character_names_stay_text(tmp_path, one_thread, browser):
    evil = identity_from_dict({"name": HOSTILE, "head": "round", "skin": [90, 200, 250]})
    cfg = TrainConfig(size=32, crop=24, width=8, latent=8, device="cpu")
    cfg.identities = {i.name: identity_to_dict(i) for i in (evil, IDENTITIES["cat"])}
    check(cfg)
    served = Served(Run(tmp_path, cfg, build_pipeline(cfg, torch.device("cpu")), 0))
    try:
        seen = browse(browser, served, lambda page: {
            "text": page.inner_text("body"),
            "options": page.eval_on_selector_all("option", "os => os.map(o => o.text)")})
    finally:
        served.close()
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert HOSTILE in seen["options"] and HOSTILE in seen["text"]


def test_the_address_sets_the_first_pose(sample, browser):
    with browser((sample.url, "data:"), 1280) as (page, seen):
        page.goto(sample.url + "?mouth_open=1&smile=nope&roll=99", wait_until="load")
        page.wait_for_selector("#swap-img[data-query]")
        query = page.get_attribute("#swap-img", "data-query")
    assert seen["errors"] == [] and "mouth_open=1.0000" in query and f"smile={FACTORS['smile'].neutral:.4f}" in query
    assert f"roll={FACTORS['roll'].high:.4f}" in query     # clamped to the slider's range


def test_chromium_draws_the_page_with_its_pictures(tmp_path):
    out = page_picture(SAMPLE, tmp_path / "play.png", chromium=chromium(), size=(1280, 900))
    image = picture(out.read_bytes())
    assert image.size == (1280, 900) and image.info["Synthetic"] == "true"
    colours = image.convert("RGB").crop((380, 140, 1180, 400)).getcolors(maxcolors=100000)   # the three pictures
    assert len(colours) > 200, len(colours)
