"""Shared test helpers."""
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli():
    """Run `aedemo ARGS...` as a real subprocess; returns the CompletedProcess."""
    def run(*args, timeout=300, **kw):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        return subprocess.run([sys.executable, "-m", "aedemo.cli", *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, env=env, check=False, cwd=kw.pop("cwd", ROOT), **kw)
    return run


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch):
    """Each test its own empty cache folder: no readouts kept by another test or by the user."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def quick_detect(monkeypatch):
    """Swap detectors trained for a few steps on a few poses: the demo's detect stage runs the same code, fast."""
    import aedemo.detect
    real = aedemo.detect.DetectConfig
    monkeypatch.setattr(aedemo.detect, "DetectConfig", lambda **kw: real(**{**kw, "steps": 2, "poses": 16,
                                                                             "heldout": 16}))


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models on a shared CPU: one torch thread, so no time is lost spinning."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def chromium() -> str:
    """Where chromium is, found the way `make browser` looks for it; the test fails without it."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).is_file(), f"{path} is missing: make browser installs it"
    return path


@contextmanager
def browser_page(allowed: tuple[str, ...], width: int):
    """A page in headless Chromium that may load only addresses starting with `allowed`; yields the
    page and what it saw: every request, console error and dialog."""
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
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(allowed)
                       else route.abort())
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
            yield page, seen
        finally:
            browser.close()


@pytest.fixture
def browser():
    """browser_page: open a page in headless Chromium that reaches nothing outside `allowed`."""
    return browser_page
