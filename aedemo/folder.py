"""The run folder: what a run keeps on disk, written atomically and read back with care.

    runs/<name>/config.json        every setting, seed, versions, a `reproduce` command
    runs/<name>/checkpoint.pt      latest state (atomic); checkpoint.best.pt: lowest loss so far
    runs/<name>/log.csv            step, seconds, losses, img/s, held-out swap PSNR
    runs/<name>/preview/NNNNNN.png the preview grid every `save_every` steps
    runs/<name>/timelapse.gif      the previews as an animation; loss.png: the curves

    folder = RunFolder.open(cfg, "runs/x", resume=False)   # settings checked; --resume reads them back
    folder.append_log({"step": 50, ...})
    cfg = read_config("runs/x")                             # UsageError: no run there; RunError: damaged
"""
from __future__ import annotations

import difflib
import json
import platform
import re
import shutil
from pathlib import Path

import torch

from . import __version__
from .config import RESUMABLE, TrainConfig, check, command_line, config_from_dict, schedule_text, with_identities
from .errors import RunError, UsageError
from .files import writable_dir, write_text
from .lesson.charts import write_loss_plot
from .lesson.images import save_png
from .lesson.preview import heldout_pairs, write_timelapse

LOG_FIELDS = ["step", "seconds", "loss", "img_per_s", "swap_psnr", "swap_psnr_features", "margin_db"]


def folder_name(name: str) -> str:
    """A character name made safe for a folder name (letters, digits, - and _ only)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "character"


def default_path(cfg: TrainConfig) -> Path:
    """Where a run goes when no --out is given: runs/A-B, after its first two characters."""
    first, second = with_identities(cfg).names()[:2]
    return Path("runs") / f"{folder_name(first)}-{folder_name(second)}"


class RunFolder:
    """One run's folder: its config, log, previews and the pictures made at the end."""

    def __init__(self, cfg: TrainConfig, path: Path):
        self.cfg, self.path = cfg, path
        self.heldout = None  # held-out renders for the log's swap PSNR, made at the first preview

    @classmethod
    def open(cls, cfg: TrainConfig, out: str | Path | None, resume: bool) -> RunFolder:
        """Check the settings and create a new run folder, or reopen one with --resume (its saved
        settings win, except the budget and the save interval)."""
        cfg = with_identities(cfg)
        check(cfg)
        path = Path(out) if out else default_path(cfg)
        has_run = (path / "checkpoint.pt").exists()
        if resume:
            if not has_run:
                raise UsageError(f"nothing to resume: {path} has no checkpoint.pt")
            saved = read_config(path)
            for key in RESUMABLE:
                setattr(saved, key, getattr(cfg, key))
            check(saved)
            cfg = saved
        elif has_run:
            raise UsageError(f"{path} already holds a run; add --resume to continue it, or choose another --out")
        writable_dir(path / "preview")
        remove_stale_temps(path)
        return cls(cfg, path)

    @property
    def checkpoint(self) -> Path:
        """The latest checkpoint."""
        return self.path / "checkpoint.pt"

    def write_config(self, steps: int, threads: list, finished: bool) -> None:
        """config.json: settings, versions, how far the run got and the command that reproduces it."""
        import numpy
        info = {"settings": self.cfg.to_dict(), "seed": self.cfg.seed, "steps_done": steps, "finished": finished,
                "versions": {"aedemo": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
                             "python": platform.python_version()}}
        if steps:  # before the first step there is nothing to reproduce
            info["threads_used"] = schedule_text(threads)
            info["reproduce"] = command_line(self.cfg, steps, self.path, threads)
        write_text(self.path / "config.json", json.dumps(info, indent=2) + "\n")

    def trim_log(self, step: int) -> None:
        """Drop log rows written after the checkpoint (by a run killed before it saved): they are redone."""
        log = self.path / "log.csv"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        keep = [line for line in lines if not line.split(",")[0].isdigit() or int(line.split(",")[0]) <= step]
        if len(keep) < len(lines):
            write_text(log, "\n".join(keep) + "\n")

    def heldout_pairs(self, identities: dict) -> list[tuple]:
        """The held-out renders the log scores swaps on (the same for every row of this session)."""
        if self.heldout is None:
            self.heldout = heldout_pairs(identities, self.cfg.size)
        return self.heldout

    def append_log(self, row: dict) -> None:
        """Add a row to log.csv (the columns: LOG_FIELDS, then one loss per decoder and the aligner's)."""
        log = self.path / "log.csv"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        columns = lines[0].split(",") if lines else LOG_FIELDS + sorted(k for k in row if k.startswith("loss_"))
        lines = lines or [",".join(columns)]  # a log begun by an older version keeps its columns
        lines.append(",".join(str(row.get(k, "")) for k in columns))
        write_text(log, "\n".join(lines) + "\n")

    def save_preview(self, picture, step: int) -> None:
        """The preview grid of `step`, marked synthetic."""
        save_png(picture, self.path / "preview" / f"{step:06d}.png", synthetic=True)

    def finish(self, steps: int, threads: list, finished: bool = True) -> None:
        """Final config (with the reproduce command), timelapse and loss plot; finished=False: stopped early."""
        self.write_config(steps, threads, finished)
        write_timelapse(self.path / "preview", self.path / "timelapse.gif")
        write_loss_plot(self.path / "log.csv", self.path / "loss.png")


def remove_stale_temps(path: Path) -> None:
    """Delete temp files a killed process left half-written (atomic_write names them .NAME.*.tmp)."""
    for folder in (path, path / "preview"):
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def shipped_sample() -> Path | None:
    """The pretrained sample run, when this copy of aedemo has it (a source checkout)."""
    sample = Path(__file__).resolve().parent.parent / "samples" / "blob-robot"
    return sample if (sample / "config.json").is_file() else None


def working_copy(path: str | Path, log) -> Path:
    """The run folder a command writes into: `path` itself, or, for the shipped sample, a copy of
    it in runs/sample, so that the sample stays exactly as shipped."""
    sample, path = shipped_sample(), Path(path)
    if sample is None or not path.is_dir() or path.resolve() != sample:
        return path
    copy = Path("runs/sample")
    if not (copy / "checkpoint.pt").exists():
        shutil.copytree(sample, copy, dirs_exist_ok=True)
    elif (copy / "checkpoint.pt").read_bytes() != (sample / "checkpoint.pt").read_bytes():
        raise UsageError(f"{copy} holds another run; move it away to work on a copy of the sample there")
    log(f"note: {path} is the shipped sample and stays as it is; working on a copy in {copy}")
    return copy


def closest_folders(path: Path) -> str:
    """A 'did you mean' hint naming the run folders beside a mistyped one."""
    parent = path.parent
    runs = [p.name for p in parent.iterdir() if (p / "config.json").is_file()] if parent.is_dir() else []
    close = difflib.get_close_matches(path.name, runs, n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(str(parent / name) for name in close)}?" if close else ""


def sample_hint() -> str:
    """Where the pretrained sample run is, when this copy of aedemo has it (a source checkout)."""
    sample = shipped_sample()
    if sample is None:
        return ""
    here = Path.cwd().resolve()
    return f", or try the pretrained sample {sample.relative_to(here) if sample.is_relative_to(here) else sample}"


def read_config(path: Path) -> TrainConfig:
    """The TrainConfig saved in a run folder: UsageError if there is no run there, RunError if it is damaged."""
    path = Path(path)
    if path.is_file():
        raise UsageError(f"{path} is a file, not a run folder (a run folder holds config.json and checkpoint.pt)")
    if not path.is_dir():
        if closest_folders(path):
            raise UsageError(f"no run folder at {path}{closest_folders(path)}")
        raise UsageError(f"no run folder at {path}; `aedemo train --out {path}` makes one{sample_hint()}")
    file = path / "config.json"
    if not file.is_file() and (path / "checkpoint.pt").exists():  # a run whose settings were lost: damaged
        raise RunError(f"{file} is missing: without the run's settings its checkpoint cannot be read")
    if not file.is_file():
        raise UsageError(f"{path} is not a run folder (no config.json); make one with `aedemo train`{sample_hint()}")
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
        cfg = config_from_dict(info["settings"])
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunError(f"{file} is not valid JSON ({e})") from None
    except RunError as e:
        raise RunError(f"{file}: {e}") from None
    except (KeyError, TypeError) as e:
        raise RunError(f"{file} is missing or has wrong settings ({e})") from None
    try:
        cfg = with_identities(cfg)
        check(cfg)
    except (UsageError, TypeError, ValueError) as e:
        raise RunError(f"{file} has a bad setting: {e}") from None
    return cfg

