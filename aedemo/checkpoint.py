"""Checkpoints: weights, optimiser, step, random state, frame pool poses, config (and the GAN's critics) in one file.

    save_checkpoint("runs/x/checkpoint.pt", state, best_loss=0.01)   # state: an aedemo.train.TrainState
    saved = load_checkpoint("runs/x/checkpoint.pt")    # refuses anything that is not ours
    restore(state, "runs/x/checkpoint.pt")             # a resumed run goes on exactly where it stopped

Saved atomically (a crash never leaves half a file) and loaded with `weights_only=True`, so a
checkpoint can only ever contain tensors and plain data: a file that tries to run code when it
is loaded is refused, not executed.
"""
from __future__ import annotations

import io
import pickle
import warnings
from pathlib import Path

import torch

from .data import saved_pools
from .errors import RunError
from .files import atomic_write

FORMAT = "aedemo-checkpoint-1"
REQUIRED = ("format", "config", "model", "optimizer", "step", "elapsed", "rng", "best_loss")
KINDS = {"config": dict, "model": dict, "aligner": dict, "optimizer": dict, "step": int, "elapsed": (int, float),
         "rng": torch.Tensor, "best_loss": (int, float), "pool": dict, "threads": list, "adversary": dict}
TORCH_ADVICE = ("Weights only load failed", "Please file an issue", "Check the documentation", "(1)", "(2)")


def save_checkpoint(path: str | Path, state, best_loss: float) -> Path:
    """Write a training state's whole contents to `path` atomically."""
    aligner = state.pipeline.aligner
    saved = {
        "format": FORMAT,
        "config": state.cfg.to_dict(),
        "model": state.pipeline.model.state_dict(),
        "aligner": aligner.state_dict() if aligner is not None else {},
        "optimizer": state.optimizer.state_dict(),
        "step": state.step,
        "elapsed": float(state.elapsed),
        "rng": state.gen.get_state(),
        "pool": {name: pool.poses for name, pool in (state.pools or {}).items()},  # redrawn on resume
        "best_loss": float(best_loss),
        "threads": [list(change) for change in state.threads],
        "adversary": state.adversary.state_dict() if state.adversary is not None else {},  # --gan's critics
    }
    buffer = io.BytesIO()
    torch.save(saved, buffer)  # in memory first: a full disk then fails as a plain OSError, not inside torch
    with atomic_write(path) as f:
        f.write(buffer.getbuffer())
    return Path(path)


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint safely, or raise RunError with one line saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise RunError(f"no checkpoint at {path}")
    state = safe_load(path, "checkpoint")
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise RunError(f"{path} is not an aedemo checkpoint")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise RunError(f"{path} is incomplete: it lacks {', '.join(missing)}")
    wrong = [k for k, kind in KINDS.items()
             if k in state and (not isinstance(state[k], kind) or isinstance(state[k], bool))]
    if wrong or state["step"] < 0:
        raise RunError(f"{path} is damaged: wrong {', '.join(wrong or ['step'])}")
    return state


def safe_load(path: Path, what: str):
    """torch.load with weights_only=True: a file that would run code is refused, a damaged one named, in one line."""
    try:
        with warnings.catch_warnings():  # torch warns about unusual pickle protocols: our error says enough
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise RunError(f"{path} was refused: it holds more than plain tensors and numbers, and nothing in it "
                       f"was run ({_reason(e, 'unsafe content')})") from None
    except (EOFError, RuntimeError, ValueError, OSError, IndexError, KeyError, AttributeError, TypeError) as e:
        reason = "empty file" if path.is_file() and path.stat().st_size == 0 else _reason(e, "unreadable")
        raise RunError(f"{path} is damaged or not an aedemo {what} ({reason})") from None


def _reason(error: Exception, default: str) -> str:
    """The informative line of a torch.load error, without torch's advice to load unsafely."""
    lines = [line.split("WeightsUnpickler error:")[-1].strip() for line in str(error).splitlines()
             if not line.strip().startswith(TORCH_ADVICE)]
    return (next((line for line in lines if line), default).split(". ")[0])[:120]


def load_weights(module: torch.nn.Module, weights: dict, what: str, path: Path) -> None:
    """Load a state dict, turning an architecture mismatch into one clear line."""
    try:
        module.load_state_dict(weights, strict=True)
    except (RuntimeError, TypeError, KeyError) as e:
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        first = next((line for line in lines if not line.startswith("Error(s) in loading")), "")
        layer = first.split(":")[0].replace("size mismatch for ", "").replace("Missing key(s) in state_dict", "missing layers")
        raise RunError(f"{path}: the {what} weights do not match config.json"
                       f"{f' (first difference: {layer[:80]})' if layer else ''}; an edited config or a run from "
                       f"another version of aedemo? Train it again") from None


def restore(state, path: Path) -> None:
    """Put a checkpoint's weights, optimiser, random state and frame pools back into a training state."""
    saved = load_checkpoint(path)
    load_weights(state.pipeline.model, saved["model"], "model", path)
    if state.pipeline.aligner is not None:
        load_weights(state.pipeline.aligner, saved["aligner"], "aligner", path)
    try:
        state.optimizer.load_state_dict(saved["optimizer"])
        state.gen.set_state(saved["rng"])
        if saved.get("pool"):
            state.pools = saved_pools(state.identities, state.cfg, state.pipeline.device, saved["pool"])
        if state.adversary is not None:
            state.adversary.load_state_dict(saved["adversary"])
    except (ValueError, RuntimeError, KeyError, TypeError, AttributeError, IndexError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:120]
        raise RunError(f"{path}: optimiser, random state, frame pool or GAN critics do not fit ({first})") from None
    state.step, state.elapsed = int(saved["step"]), float(saved["elapsed"])
    state.best_loss = float(saved["best_loss"])
    state.threads[:] = [[int(step), int(count)] for step, count in saved.get("threads", [])]


def compact_checkpoint(src: str | Path, dst: str | Path) -> Path:
    """A smaller copy for sharing: weights kept, the optimiser's running averages dropped
    (the copy swaps and evaluates exactly; a --resume from it restarts Adam's statistics)."""
    state = load_checkpoint(src)
    state["optimizer"] = {"state": {}, "param_groups": state["optimizer"]["param_groups"]}
    with atomic_write(dst) as f:
        torch.save(state, f)
    return Path(dst)
