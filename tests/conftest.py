"""Shared test helpers."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli():
    """Run `aedemo ARGS...` as a real subprocess; returns the CompletedProcess."""
    def run(*args, timeout=300, **kw):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        return subprocess.run([sys.executable, "-m", "aedemo.cli", *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, env=env, check=False, cwd=kw.pop("cwd", ROOT), **kw)
    return run
