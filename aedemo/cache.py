"""Where trained readouts are kept, so they are trained once per set of characters, not per run.

    from aedemo.cache import load_or_train
    readouts = load_or_train(run)      # RUN/readouts.pt, else shipped, else the user's cache, else trained

Readouts depend only on the characters, the frame size and their own settings, never on the
run, so each set is keyed by a fingerprint of those. They are looked for in three places:
the run folder (RUN/readouts.pt); the readouts shipped inside aedemo for the lesson's default
pair (blob and robot at 64 px), so the very first demo on a new machine trains none; and the
user's cache folder (~/.cache/aedemo, or $XDG_CACHE_HOME/aedemo), where every set trained on this
machine is kept. Whatever is found is copied into the run, so a run folder stays complete.
Every file is loaded with weights_only=True: a file that would run code is refused.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import torch

from . import readouts
from .files import atomic_write
from .identities import IDENTITIES, Identity, identity_to_dict
from .readouts import ReadoutConfig, Readouts, new_readouts

SHIPPED = Path(__file__).resolve().parent / "pretrained"   # readouts that come with aedemo


def fingerprint(identities: dict[str, Identity], size: int, cfg: ReadoutConfig) -> str:
    """A short hash of everything the readouts depend on, to know when a cache is stale."""
    spec = {"identities": [identity_to_dict(i) for i in identities.values()], "size": size, "cfg": asdict(cfg)}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def cache_folder() -> Path:
    """The user's cache folder for aedemo."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aedemo"


def load(path: Path, key: str, identities: dict, size: int, cfg: ReadoutConfig) -> Readouts | None:
    """The readouts in `path` if it holds the ones with this fingerprint, else None (ValueError if damaged)."""
    if not path.exists():
        return None
    try:
        with warnings.catch_warnings():  # torch warns about unusual pickle protocols: our line says enough
            warnings.simplefilter("ignore")
            saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved.get("fingerprint") != key:
            return None
        net = new_readouts(list(identities), size, cfg)
        net.load_state_dict(saved["state"])
        return net
    except (OSError, RuntimeError, EOFError, KeyError, AttributeError, pickle.UnpicklingError) as e:
        raise ValueError(f"{path.name} is damaged") from e


def save(net: Readouts, key: str, seconds: float, path: Path) -> None:
    """Write readouts with their fingerprint, atomically (serialised in memory first)."""
    buffer = io.BytesIO()
    torch.save({"fingerprint": key, "state": net.state_dict(), "seconds": seconds}, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        f.write(buffer.getbuffer())


def load_or_train(run, cfg: ReadoutConfig | None = None, log=None) -> Readouts:
    """The readouts for a run's characters: found (see the module docstring) or trained, and kept."""
    cfg, identities, size = cfg or readouts.ReadoutConfig(), dict(run.identities), run.config.size
    key, own = fingerprint(identities, size, cfg), run.path / "readouts.pt"
    damaged = False
    for path in (own, SHIPPED / f"readouts-{key}.pt", cache_folder() / f"readouts-{key}.pt"):
        try:
            net = load(path, key, identities, size, cfg)
        except ValueError:
            damaged = damaged or path == own
            continue
        if net is not None:
            if path != own:
                save(net, key, 0.0, own)
                if log:
                    log(f"{'readouts.pt is damaged; ' if damaged else ''}using the readouts kept in {path.parent} "
                        f"(trained once for {', '.join(identities)} at {size} px)")
            return net.to(run.device).eval()
    if log:
        log("readouts.pt is damaged; training the readouts again" if damaged else
            "training the readouts on clean renders (once for these characters; kept in readouts.pt and "
            f"{cache_folder()})")
    start = time.monotonic()
    net = readouts.train(identities, size, cfg, run.device)
    seconds = time.monotonic() - start
    save(net, key, seconds, own)
    try:
        save(net, key, seconds, cache_folder() / f"readouts-{key}.pt")
    except OSError:
        pass  # a cache that cannot be written costs time next run, nothing else
    if log:
        log(f"trained the readouts in {seconds:.0f} s")
    return net


def write_shipped(size: int = 64) -> Path:
    """Train the readouts of the lesson's default pair and put them among aedemo's own files."""
    identities = {name: IDENTITIES[name] for name in ("blob", "robot")}
    key, start = fingerprint(identities, size, ReadoutConfig()), time.monotonic()
    net = readouts.train(identities, size, ReadoutConfig())
    path = SHIPPED / f"readouts-{key}.pt"
    save(net, key, time.monotonic() - start, path)
    return path
