"""Headless Chromium, driven from the command line only: the playground's frame rate and its picture.

    path = find_chromium()                            # None when this machine has none
    fps = motion_fps(ground, "talk", seconds=3)       # frames a second a motion button plays at
    page_picture("samples/blob-robot", "samples/play.png")   # the README's picture of the page

No browser automation library: Chromium opens the page with a query the page itself understands.
`?bench=talk&seconds=3` makes the page play that motion, count the swaps it actually showed (loaded
and painted) and send the count to GET /bench-result, which a server answers only while a bench
waits for it. `--screenshot` makes Chromium save what it drew once the page has loaded. Each
Chromium gets a profile folder of its own, removed afterwards, and is ended with all of its
processes. Set AEDEMO_CHROMIUM (or pass `chromium=`) to use a browser found nowhere else.
"""
from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import torch
from PIL import Image

from .errors import RunError
from .lesson.images import save_png
from .play import address, make_server, use_request_threads
from .playground import Playground
from .run import load_run

ENV = "AEDEMO_CHROMIUM"
NAMES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars", "--mute-audio")
START_SECONDS = 60       # at most this long for Chromium to start and load the page (a busy CPU is slow)
WINDOW = (1280, 1700)    # the page's picture: wide enough for its three columns, tall enough for all of it
PICTURE_POSE = {"roll": 8, "gaze_x": -0.6, "gaze_y": -0.3, "mouth_open": 0.75, "smile": 0.7}  # a lively face


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium to use: `explicit`, else $AEDEMO_CHROMIUM, else the first of NAMES found; or None."""
    wanted = explicit or os.environ.get(ENV)
    if wanted:
        found = shutil.which(wanted)
        if found is None:
            raise RunError(f"no browser at {wanted} (from {'the option' if explicit else ENV})")
        return found
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def headless(chromium: str, *args: str):
    """Chromium running headless with `args` in a fresh profile; ended, with every process it
    started, and the profile removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="aedemo-chromium-", ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen([chromium, *FLAGS, f"--user-data-dir={profile}", *args],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            yield process
        finally:
            end(process)


def end(process: subprocess.Popen) -> None:
    """End a Chromium started by `headless` and every process it started (its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)   # a throwaway profile: nothing to save
    except ProcessLookupError:
        pass
    process.wait()


@contextmanager
def serving(ground):
    """A playground server on a free port of 127.0.0.1, answering in a thread of its own."""
    server = make_server(ground, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def motion_fps(ground, motion: str = "talk", seconds: float = 3.0, chromium: str | None = None) -> dict:
    """Frames a second the page shows while a motion button plays, in headless Chromium; the
    reason in one line ("skipped" or "failed") when it cannot be measured."""
    path = find_chromium(chromium)
    if path is None:
        return {"motion": motion, "skipped": f"no Chromium found ({', '.join(NAMES)}; or set {ENV})"}
    threads = torch.get_num_threads()
    use_request_threads()
    try:
        with serving(ground) as server:
            server.bench = queue.Queue()
            url = address(server) + "?" + urlencode({"bench": motion, "seconds": f"{seconds:g}"})
            with headless(path, "--window-size=1280,900", url) as browser:
                try:
                    result = server.bench.get(timeout=START_SECONDS + seconds)
                except queue.Empty:
                    code = browser.poll()
                    why = f"it ended with code {code}" if code is not None else "no result came back"
                    return {"motion": motion, "failed": f"{path}: {why} within {START_SECONDS + seconds:g} s"}
    finally:
        torch.set_num_threads(threads)
    return {"motion": motion, **result, "fps": result["frames"] / result["seconds"], "browser": path}


def page_picture(run_dir: str | Path, out: str | Path, chromium: str | None = None,
                 pose: dict | None = None, size: tuple[int, int] = WINDOW) -> Path:
    """Chromium's picture of the playground page for a run, in `pose` (default PICTURE_POSE),
    saved as a PNG marked synthetic."""
    path = find_chromium(chromium)
    if path is None:
        raise RunError(f"no Chromium found to draw the page ({', '.join(NAMES)}; or set {ENV})")
    with tempfile.TemporaryDirectory(prefix="aedemo-picture-") as folder, serving(Playground(load_run(run_dir))) as server:
        shot = Path(folder) / "page.png"
        url = address(server) + "?" + urlencode(PICTURE_POSE if pose is None else pose)
        with headless(path, f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}",
                      "--virtual-time-budget=10000", url) as browser:
            try:
                browser.wait(timeout=START_SECONDS)
            except subprocess.TimeoutExpired:
                raise RunError(f"{path} took over {START_SECONDS} s to draw the page") from None
        if not shot.is_file():
            raise RunError(f"{path} drew no picture of the page (it ended with code {browser.returncode})")
        with Image.open(shot) as picture:
            return save_png(picture.convert("RGB"), out, synthetic=True)
