"""Files written atomically: a temp file beside the target, then os.replace.

    from aedemo.files import atomic_write
    with atomic_write("runs/x/config.json", "w") as f:
        f.write(text)

A crash, a full disk or Ctrl-C leaves either the old file or the new one, never half of one,
and no temporary file behind.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import RunError, UsageError


def writable_dir(path: str | Path) -> Path:
    """Create `path` (and parents) or raise RunError with one clear line."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RunError(f"cannot create folder {path}: {e.strerror or e}") from None
    if not os.access(path, os.W_OK):
        raise RunError(f"cannot write to folder {path}: permission denied")
    return path


def output_path(path: str | Path, kinds: dict[str, str] | None = None) -> Path:
    """Check up front that `path` can be written (creating its folder), and that it ends in one
    of `kinds` ({".png": "picture", ...}) when given: UsageError if not."""
    path = Path(path)
    if kinds and path.suffix.lower() not in kinds:
        endings = " or ".join(f"{suffix} ({what})" for suffix, what in kinds.items())
        raise UsageError(f"output {path} must end in {endings}")
    if path.is_dir():
        raise UsageError(f"output {path} is a folder; give a file name")
    try:
        writable_dir(path.parent if str(path.parent) else ".")
    except RunError as e:
        raise UsageError(str(e)) from None
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"cannot write {path}: permission denied")
    return path


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb"):
    """Open a temp file for writing; on success it replaces `path` in one step."""
    path = Path(path)
    folder = writable_dir(path.parent if str(path.parent) else ".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise RunError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs should be readable like any file
        os.replace(tmp, path)
    except OSError as e:
        _remove(tmp)
        raise RunError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: str) -> None:
    """Delete a temp file if it is still there."""
    with contextlib.suppress(OSError):
        os.unlink(path)


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file atomically and return its path."""
    with atomic_write(path, "w") as f:
        f.write(text)
    return Path(path)
