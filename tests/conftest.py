"""Shared test helpers."""
import os
import subprocess
import sys
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


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models on a shared CPU: one torch thread, so no time is lost spinning."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
