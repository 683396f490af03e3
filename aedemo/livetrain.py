"""Live training for the playground: `aedemo train` in a child process, followed through its run folder.

    job = TrainingJob(["--a", "blob", "--b", "robot", "--time", "60"], Path("runs/blob-robot"))
    job.start(ground, log=print)   # returns once training has begun; the child's error if it could not
    job.status(ground)             # what /training.json answers: state, log rows, newest preview
    job.stop()                     # Ctrl-C for the child: it saves its checkpoint and exits

The child is the ordinary `aedemo train` (its own options, checks, messages and threads): it
writes a checkpoint, a log.csv row and a preview grid every --save-every steps, each file
replaced in one step. A watcher thread loads each new checkpoint into the playground, so the
sliders drive the model while it learns, and the final one when training ends. The child runs
in its own process group, so a Ctrl-C in the terminal reaches it once, through `stop`.
"""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .errors import AedemoError, RunError
from .lesson.charts import read_log
from .run import load_run

WATCH_SECONDS = 0.25    # how often the run folder is looked at for a new checkpoint
STOP_SECONDS = 5.0      # how long the child may take to save and exit after Ctrl-C (it needs well under 1 s)
LOG_COLUMNS = ("step", "seconds", "loss", "swap_psnr", "swap_psnr_features")


def read_rows(folder: Path) -> list[dict]:
    """The log.csv columns the page plots (no rows if the file is missing or unreadable)."""
    try:
        rows = read_log(folder / "log.csv")
    except (OSError, csv.Error, UnicodeDecodeError):
        return []
    return [{k: row[k] for k in LOG_COLUMNS if k in row} for row in rows]


def newest_preview(folder: Path) -> int | None:
    """The step of the newest preview grid in folder/preview, or None."""
    steps = [int(p.stem) for p in (folder / "preview").glob("[0-9]*.png") if p.stem.isdigit()]
    return max(steps, default=None)


def folder_status(folder: Path, ground) -> dict:
    """The log rows and newest preview of a run folder, and the step of the model the page drives."""
    run = ground.run
    return {"state": "idle", "folder": str(folder), "rows": read_rows(folder), "preview": newest_preview(folder),
            "model_step": None if run is None else run.step, "message": ""}


class TrainingJob:
    """One `aedemo train` child, its messages, and the watcher that loads its checkpoints."""

    def __init__(self, arguments: list[str], folder: Path):
        self.arguments, self.folder = list(arguments), Path(folder)
        self.process: subprocess.Popen | None = None
        self.state = "starting"      # starting, training, done, stopped or failed
        self.message = ""            # the child's latest line
        self.began = threading.Event()
        self.early: list[str] = []   # lines from before training began: shown, or turned into the error
        self.threads: list[threading.Thread] = []
        self.loaded = None           # modification time of the checkpoint the playground drives

    def command(self) -> list[str]:
        """The child's command line."""
        return [sys.executable, "-m", "aedemo.cli", "train", *self.arguments, "--out", str(self.folder)]

    def start(self, ground, log) -> None:
        """Start training; return once it has begun, or raise the error it stopped with."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, errors="replace", env=env,
                                        start_new_session=True)
        self.threads = [threading.Thread(target=self.relay, args=(log,), daemon=True),
                        threading.Thread(target=self.watch, args=(ground,), daemon=True)]
        self.threads[0].start()
        while not self.began.wait(0.1):
            if self.process.poll() is not None:
                self.threads[0].join(timeout=2)
                if not self.began.is_set():
                    raise self.failure()
        self.threads[1].start()

    def failure(self) -> AedemoError:
        """The error a child that never began training ended with, with its exit code."""
        last = next((line for line in reversed(self.early) if line.strip()), "training stopped before it began")
        error = RunError(last.removeprefix("error: "))
        error.exit_code = self.process.returncode if self.process.returncode in (1, 2, 130) else 1
        return error

    def relay(self, log) -> None:
        """Pass the child's lines on to the terminal, and notice when training begins."""
        for line in self.process.stderr:
            line = line.rstrip("\n")
            if line and self.state in ("starting", "training"):
                self.message = line
            if self.began.is_set():
                log(f"train: {line}")
                continue
            self.early.append(line)
            if line.startswith("training "):
                self.state = "training"
                for earlier in self.early:
                    log(f"train: {earlier}")
                self.began.set()

    def watch(self, ground) -> None:
        """Load each new checkpoint into the playground until the child has ended."""
        while True:
            ended = self.process.poll() is not None
            self.load_newest(ground)
            if ended:
                break
            time.sleep(WATCH_SECONDS)
        code = self.process.returncode
        self.state = {0: "done", 130: "stopped"}.get(code, "failed")
        if code == 0 and ground.run is not None:
            self.message = f"training ended at step {ground.run.step}: the sliders drive the new model"

    def load_newest(self, ground) -> None:
        """Load checkpoint.pt if it changed since the last look."""
        try:
            stamp = (self.folder / "checkpoint.pt").stat().st_mtime_ns
        except OSError:
            return
        if stamp == self.loaded:
            return
        try:
            ground.load(load_run(self.folder))
        except Exception as e:  # noqa: BLE001 -- the page says so, and keeps the model it has
            self.message = f"could not load the newest checkpoint: {' '.join(str(e).split()) or type(e).__name__}"
        self.loaded = stamp

    def status(self, ground) -> dict:
        """State, log rows, newest preview and the model's step, for the page."""
        return {**folder_status(self.folder, ground), "state": self.state, "message": self.message}

    def stop(self) -> None:
        """Ctrl-C for the child, if it still runs: it saves and exits (killed if it takes too long)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for thread in self.threads:
            if thread.is_alive():
                thread.join(timeout=2 * WATCH_SECONDS)
