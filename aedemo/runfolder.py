"""The run folder and the training loop that fills it.

    runs/<name>/config.json        every setting, seed, versions, a `reproduce` command
    runs/<name>/checkpoint.pt      latest state (atomic); checkpoint.best.pt: lowest loss so far
    runs/<name>/log.csv            step, seconds, losses, img/s, held-out swap PSNR
    runs/<name>/preview/NNNNNN.png the preview grid every `save_every` steps
    runs/<name>/timelapse.gif      the previews as an animation; loss.png: the curves

Ctrl-C saves and exits with 130; a diverging loss stops with advice and leaves the last good
checkpoint untouched.
"""
from __future__ import annotations

import json
import math
import platform
import re
import shlex
import sys
import time
from dataclasses import fields
from pathlib import Path

import torch

from . import __version__
from .checkpoint import load_checkpoint, load_weights, save_checkpoint
from .errors import Interrupted, RunError, UsageError
from .files import writable_dir, write_text
from .images import save_png
from .preview import heldout_pairs, heldout_scores, preview_grid, write_loss_plot, write_timelapse
from .progress import Progress
from .threads import ThreadGuard

LOG_FIELDS = ["step", "seconds", "loss", "img_per_s", "swap_psnr", "swap_psnr_features"]
RESUMABLE = ("steps", "time", "save_every")  # what --resume may change: budget, save interval; the rest is the run's


def folder_name(name: str) -> str:
    """A character name made safe for a folder name (letters, digits, - and _ only)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "character"


def reproduce_command(cfg, steps: int, out: Path) -> str:
    """The command line that trains this run again, step for step."""
    parts = ["aedemo", "train", "--a", cfg.a, "--b", cfg.b]
    for name in cfg.more:
        parts += ["--identity", name]
    parts += ["--steps", str(steps), "--size", str(cfg.size), "--crop", str(cfg.crop), "--latent", str(cfg.latent),
              "--width", str(cfg.width), "--save-every", str(cfg.save_every),
              "--batch", str(cfg.batch), "--lr", repr(cfg.lr),
              "--decay-at", str(cfg.decay_at), "--warp" if cfg.warp else "--no-warp",
              "--encoders", cfg.encoders, "--pipeline", "aligned" if cfg.aligned else "frame",
              "--feature-weight", repr(cfg.feature_weight), "--precision", cfg.precision,
              "--seed", str(cfg.seed), "--out", str(out)]
    return shlex.join(parts)


class RunWriter:
    """Owns one run folder: config, log, previews, checkpoints."""

    def __init__(self, cfg, path: Path, resume: bool):
        self.cfg, self.path, self.resume = cfg, path, resume
        self.best_loss, self.elapsed_before = math.inf, 0.0
        self.heldout = None  # held-out renders for the log's swap PSNR, made at the first preview

    @classmethod
    def open(cls, cfg, out: str | None, resume: bool) -> RunWriter:
        """Create a new run folder, or reopen one with --resume (its saved settings win)."""
        from .train import TrainConfig, check_config
        path = Path(out or f"runs/{folder_name(cfg.names()[0])}-{folder_name(cfg.names()[1])}")
        has_run = (path / "checkpoint.pt").exists()
        if resume:
            if not has_run:
                raise UsageError(f"nothing to resume: {path} has no checkpoint.pt")
            saved = read_config(path)
            for key in RESUMABLE:
                setattr(saved, key, getattr(cfg, key))
            check_config(saved)
            cfg = saved
        elif has_run:
            raise UsageError(f"{path} already holds a run; add --resume to continue it, or choose another --out")
        writable_dir(path / "preview")
        remove_stale_temps(path)
        assert isinstance(cfg, TrainConfig)
        return cls(cfg, path, resume)

    def write_config(self, steps: int) -> None:
        """config.json: settings, versions and the reproduce command."""
        import numpy
        info = {"settings": self.cfg.to_dict(), "seed": self.cfg.seed, "steps_done": steps,
                "versions": {"aedemo": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
                             "python": platform.python_version()}}
        if steps:  # before the first step there is nothing to reproduce
            info["reproduce"] = reproduce_command(self.cfg, steps, self.path)
        write_text(self.path / "config.json", json.dumps(info, indent=2) + "\n")

    def restore(self, trainer) -> None:
        """With --resume, put the saved state back into the trainer."""
        if not self.resume:
            self.write_config(0)
            return
        state = load_checkpoint(self.path / "checkpoint.pt")
        load_weights(trainer.model, state["model"], "model", self.path / "checkpoint.pt")
        if trainer.aligner is not None:
            load_weights(trainer.aligner, state["aligner"], "aligner", self.path / "checkpoint.pt")
        try:
            trainer.optimizer.load_state_dict(state["optimizer"])
            trainer.gen.set_state(state["rng"])
            if state.get("pool"):
                trainer.redraw_pools(state["pool"])
        except (ValueError, RuntimeError, KeyError, TypeError, AttributeError, IndexError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:120]
            raise RunError(f"{self.path / 'checkpoint.pt'}: optimiser, random state or frame pool does not fit "
                           f"({first})") from None
        trainer.step, self.elapsed_before, self.best_loss = int(state["step"]), float(state["elapsed"]), float(state["best_loss"])
        self.trim_log(trainer.step)

    def trim_log(self, step: int) -> None:
        """Drop log rows written after the checkpoint (by a run killed before it saved): they are redone."""
        log = self.path / "log.csv"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        keep = [line for line in lines if not line.split(",")[0].isdigit() or int(line.split(",")[0]) <= step]
        if len(keep) < len(lines):
            write_text(log, "\n".join(keep) + "\n")

    def save(self, trainer, elapsed: float, interval_loss: float) -> None:
        """Checkpoint (and the best-loss copy when this interval beat every earlier one)."""
        save_checkpoint(self.path / "checkpoint.pt", trainer, elapsed, min(self.best_loss, interval_loss))
        if interval_loss < self.best_loss:
            self.best_loss = interval_loss
            save_checkpoint(self.path / "checkpoint.best.pt", trainer, elapsed, interval_loss)

    def log_and_preview(self, trainer, elapsed: float, loss_row: dict, img_per_s: float) -> dict:
        """Append a log.csv row and write a preview grid for the current step."""
        pipeline = trainer.pipeline()
        if self.heldout is None:  # the same held-out renders for every preview of this session
            self.heldout = heldout_pairs(trainer.identities, trainer.cfg.size)
        scores = heldout_scores(pipeline, self.heldout)
        row = {"step": trainer.step, "seconds": round(elapsed, 2), "img_per_s": round(img_per_s, 1),
               **{k: round(v, 6) for k, v in loss_row.items()}, **{k: round(v, 3) for k, v in scores.items()}}
        log = self.path / "log.csv"
        fields = LOG_FIELDS + sorted(k for k in row if k.startswith("loss_"))
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else [",".join(fields)]
        lines.append(",".join(str(row.get(k, "")) for k in fields))
        write_text(log, "\n".join(lines) + "\n")
        title = f"step {trainer.step}   swap PSNR {scores['swap_psnr']:.1f} dB (eyes+mouth {scores['swap_psnr_features']:.1f})"
        save_png(preview_grid(pipeline, trainer.identities, title=title), self.path / "preview" / f"{trainer.step:06d}.png",
                 synthetic=True)
        return row

    def loop(self, trainer, progress: bool, clock=time.monotonic, log=None):
        """Train until the step or time budget is spent; save on the way and at the end."""
        from .run import load_run
        cfg = trainer.cfg
        if cfg.steps is not None and trainer.step >= cfg.steps:
            raise UsageError(f"the run is already at step {trainer.step}; give a larger --steps to continue")
        if log:
            budget = " or ".join(x for x in (cfg.time and f"for {cfg.time:g} s",
                                             cfg.steps and f"until step {cfg.steps}") if x)
            log(f"training {' and '.join(trainer.identities)} from step {trainer.step} {budget} "
                f"on {trainer.device.type}; previews and log.csv every {cfg.save_every} steps in {self.path}")
        bar = Progress(total_steps=cfg.steps, budget_s=cfg.time, start_step=trainer.step,
                       enabled=progress and sys.stderr.isatty())
        start = clock()
        interval, images_done, interval_start = [], 0, start
        guard = ThreadGuard(enabled=cfg.time is not None and trainer.device.type == "cpu")
        try:
            while True:
                now = clock() - start
                if (cfg.steps is not None and trainer.step >= cfg.steps) or (cfg.time is not None and now >= cfg.time):
                    break
                losses = trainer.train_step()
                message = guard.step_took(clock() - start - now)
                if message and log:
                    bar.close()
                    log(message)
                total = sum(v for k, v in losses.items() if k != "loss_align")
                if not all(math.isfinite(v) for v in losses.values()) or total > 1e3:
                    raise RunError(f"training diverged at step {trainer.step} (loss {total:.3g}); the last good "
                                   f"checkpoint is kept. Try a lower learning rate, e.g. --lr {cfg.lr / 10:g}")
                interval.append(losses)
                images_done += cfg.batch * len(trainer.identities)
                bar.update(trainer.step, total, images_done / max(clock() - start, 1e-9), clock() - start)
                if trainer.step % cfg.save_every == 0:
                    self.checkpoint_interval(trainer, interval, clock() - start, clock() - interval_start)
                    interval, interval_start = [], clock()
        except KeyboardInterrupt:
            bar.close()
            if interval:
                self.checkpoint_interval(trainer, interval, clock() - start, clock() - interval_start, preview=False)
            if not (self.path / "checkpoint.pt").exists():
                raise Interrupted(f"interrupted before the first step ended; no checkpoint was saved in {self.path}, "
                                  "so the same command starts the run again") from None
            budget = (f"--time {max(1, math.ceil(cfg.time - (clock() - start)))}" if cfg.time is not None
                      else f"--steps {cfg.steps}")  # --time counts from the resume, --steps from the start
            raise Interrupted(f"interrupted at step {trainer.step}; saved {self.path / 'checkpoint.pt'}. Continue "
                              f"with: aedemo train --out {self.path} --resume {budget}") from None
        finally:
            guard.restore()
        bar.close()
        if interval:
            self.checkpoint_interval(trainer, interval, clock() - start, clock() - interval_start)
        self.finish(trainer)
        return load_run(self.path, device=trainer.device)

    def checkpoint_interval(self, trainer, interval: list[dict], elapsed: float, seconds: float,
                            preview: bool = True) -> None:
        """Log, preview and save after an interval of steps."""
        mean = {k: sum(d[k] for d in interval) / len(interval) for k in interval[0]}
        mean["loss"] = sum(v for k, v in mean.items() if k.startswith("loss_") and k != "loss_align")
        img_per_s = len(interval) * trainer.cfg.batch * len(trainer.identities) / max(seconds, 1e-9)
        if preview:
            self.log_and_preview(trainer, self.elapsed_before + elapsed, mean, img_per_s)
        self.save(trainer, self.elapsed_before + elapsed, mean["loss"])

    def finish(self, trainer) -> None:
        """Final config (with the reproduce command), timelapse and loss plot."""
        self.write_config(trainer.step)
        write_timelapse(self.path / "preview", self.path / "timelapse.gif")
        write_loss_plot(self.path / "log.csv", self.path / "loss.png")


def remove_stale_temps(path: Path) -> None:
    """Delete temp files a killed process left half-written (atomic_write names them .NAME.*.tmp)."""
    for folder in (path, path / "preview"):
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


SETTING_TYPES = {"int": ((int,), "a whole number"), "float": ((int, float), "a number"),
                 "bool": ((bool,), "true or false"), "str": ((str,), "a string"), "dict": ((dict,), "a JSON object"),
                 "tuple[str, ...]": ((list,), "a list")}


def check_setting_types(settings) -> None:
    """Refuse a config.json whose settings have the wrong JSON types (an edited or foreign file)."""
    from .train import TrainConfig
    if not isinstance(settings, dict):
        raise RunError("'settings' must be a JSON object")
    for f in fields(TrainConfig):
        value = settings.get(f.name)
        if f.name not in settings or (value is None and "None" in f.type):
            continue
        kinds, label = SETTING_TYPES.get(f.type.replace(" | None", ""), ((object,), "valid"))
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise RunError(f"setting '{f.name}' must be {label}, not {value!r:.60}")
        if isinstance(value, int) and not -2**63 <= value < 2**63:
            raise RunError(f"setting '{f.name}' is too large ({value!r:.30})")
    more, identities = settings.get("more", []), settings.get("identities", {})
    if not all(isinstance(name, str) for name in more):
        raise RunError("setting 'more' must be a list of identity names")
    if identities and (len(identities) < 2 or any(not isinstance(s, dict) or s.get("name") != n
                                                  for n, s in identities.items())):
        raise RunError("setting 'identities' must map two or more names to their specs")


def sample_hint() -> str:
    """Where the pretrained sample run is, when this copy of aedemo has it (a source checkout)."""
    sample = Path(__file__).resolve().parent.parent / "samples" / "blob-robot"
    if not (sample / "config.json").is_file():
        return ""
    here = Path.cwd().resolve()
    return f", or try the pretrained sample {sample.relative_to(here) if sample.is_relative_to(here) else sample}"


def read_config(path: Path):
    """The TrainConfig saved in a run folder: UsageError if there is no run there, RunError if it is damaged."""
    from .train import TrainConfig, check_config
    path = Path(path)
    if path.is_file():
        raise UsageError(f"{path} is a file, not a run folder (a run folder holds config.json and checkpoint.pt)")
    if not path.is_dir():
        raise UsageError(f"no run folder at {path}; `aedemo train --out {path}` makes one{sample_hint()}")
    file = path / "config.json"
    if not file.is_file() and (path / "checkpoint.pt").exists():  # a run whose settings were lost: damaged
        raise RunError(f"{file} is missing: without the run's settings its checkpoint cannot be read")
    if not file.is_file():
        raise UsageError(f"{path} is not a run folder (no config.json); make one with `aedemo train`{sample_hint()}")
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
        check_setting_types(info["settings"])
        cfg = TrainConfig.from_dict(info["settings"])
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunError(f"{file} is not valid JSON ({e})") from None
    except RunError as e:
        raise RunError(f"{file}: {e}") from None
    except (KeyError, TypeError) as e:
        raise RunError(f"{file} is missing or has wrong settings ({e})") from None
    try:
        check_config(cfg)
    except (UsageError, TypeError, ValueError) as e:
        raise RunError(f"{file} has a bad setting: {e}") from None
    return cfg
