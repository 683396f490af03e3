"""What the playground page shows, worked out from a loaded run: frames, the code, its directions.

    ground = Playground(aedemo.load_run("samples/blob-robot"))
    png = ground.swap_png("blob", "robot", {"mouth_open": 1.0})     # one swapped frame, as PNG bytes
    png = ground.render_png("robot", {"mouth_open": 1.0})            # the true render of that pose
    shown = ground.frame("blob", "robot", {"mouth_open": 1.0}, [1.5]) # everything the page draws

A frame is one pose: the source drawn in it, the swap, the true swap, the eyes+mouth PSNR of the
swap against the truth, the shared code of the source (each number in standard deviations of
held-out codes), and that code, moved along its principal directions, drawn by every decoder.
Live training hands the playground each new checkpoint with `load`; requests already running
finish on the model they started with.
"""
from __future__ import annotations

import base64
import functools
import io
import threading
from dataclasses import dataclass

import torch

from .errors import AedemoError, UsageError
from .explain import gather_codes
from .identities import closest_names, shown
from .lesson.images import png_info, to_pil
from .metrics import psnr
from .poses import FACTORS, MOTIONS, motion, neutral_poses
from .renderer import render

DIRECTIONS = 4          # principal directions of the code offered as sliders
DIRECTION_RANGE = 3.0   # each slider goes from -3 to +3 standard deviations of the codes along it
CODE_POSES = 256        # held-out poses per character whose codes give the directions (as explain uses)
MOTION_SECONDS = {"talk": 3.0, "nod": 4.0, "blink": 3.0, "look": 4.0, "tour": 8.0}
MOTION_RATE = 30        # motion samples a second sent to the page; it interpolates between them


class NotReady(AedemoError):
    """There is no model yet: live training has not saved its first checkpoint."""


@dataclass
class Directions:
    """The first principal directions of the shared code, found as `aedemo explain` finds them."""

    mean: torch.Tensor          # (latent,) mean code of held-out renders of every character
    scale: torch.Tensor         # (latent,) standard deviation of each code number, to colour the strip
    vectors: torch.Tensor       # (k, latent) unit directions, the most varied first
    spread: torch.Tensor        # (k,) standard deviation of the codes along each direction
    explained: list[float]      # share of the code's variance along each direction
    follows: list[tuple[str, float]]  # the pose factor each direction follows most closely, and how (|r|)


def correlation(x: torch.Tensor, y: torch.Tensor) -> float:
    """Pearson correlation of two series (0 when either does not vary)."""
    x, y = x - x.mean(), y - y.mean()
    scale = float(x.norm() * y.norm())
    return float(x @ y) / scale if scale > 0 else 0.0


def code_directions(run, n: int = CODE_POSES, k: int = DIRECTIONS) -> Directions:
    """PCA of the codes of n held-out poses of every character; each direction points the way
    its best-matching pose factor grows, so a slider to the right means more of that factor."""
    codes, _, poses = gather_codes(run, n)
    codes = codes.double()
    mean = codes.mean(0)
    centred = codes - mean
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    k = min(k, len(s))
    vectors, follows = vh[:k].clone(), []
    for i in range(k):
        along = centred @ vectors[i]
        r = {name: correlation(along, values.double()) for name, values in poses.items()}
        best = max(r, key=lambda name: abs(r[name]))
        if r[best] < 0:
            vectors[i] = -vectors[i]
        follows.append((best, abs(r[best])))
    variance = s.pow(2)
    return Directions(mean=mean, scale=codes.std(0).clamp_min(1e-6), vectors=vectors,
                      spread=s[:k] / max(1, len(codes) - 1) ** 0.5,
                      explained=[float(v) for v in variance[:k] / variance.sum()], follows=follows)


def png_bytes(image: torch.Tensor, synthetic: bool) -> bytes:
    """A (3, H, W) picture in [0, 1] as PNG bytes, with aedemo's metadata."""
    out = io.BytesIO()
    to_pil(image).save(out, format="PNG", pnginfo=png_info(synthetic))
    return out.getvalue()


def data_uri(image: torch.Tensor, synthetic: bool) -> str:
    """A picture as a data: address the page can show without another request."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image, synthetic)).decode("ascii")


def draw(run, name: str, poses: dict, masks: bool = False):
    """The true render of the run's character `name` in `poses`, at the run's frame size."""
    return render(run.identities[name], poses, size=run.config.size, masks=masks, device=run.device)


@functools.cache
def motions() -> dict:
    """Every motion as samples of each factor over one loop, and how long the loop lasts."""
    out = {}
    for name in MOTIONS:
        seconds = MOTION_SECONDS[name]
        poses = motion(name, frames=round(seconds * MOTION_RATE))
        out[name] = {"seconds": seconds, "poses": {k: [round(float(v), 4) for v in poses[k]] for k in FACTORS}}
    return out


class Playground:
    """The run the page drives; `load` puts a newer one in its place (live training)."""

    def __init__(self, run=None):
        self.lock = threading.Lock()
        self.run, self.directions = None, None
        if run is not None:
            self.load(run)

    def load(self, run) -> None:
        """Make `run` the one the page drives (its directions are found first, on the side)."""
        run.model.eval()
        directions = code_directions(run)
        with self.lock:
            self.run, self.directions = run, directions

    def current(self):
        """The run and its directions, or NotReady before the first checkpoint."""
        with self.lock:
            if self.run is None:
                raise NotReady("no model yet: training has not saved its first checkpoint")
            return self.run, self.directions

    @staticmethod
    def name(run, text: str) -> str:
        """The run's character called `text` (in any case): names only, never a file."""
        by_case = {n.lower(): n for n in run.identities}
        if text.lower() in by_case:
            return by_case[text.lower()]
        raise UsageError(f"unknown character {shown(text)}{closest_names(text, run.identities)} "
                         f"(this run has: {', '.join(run.identities)})")

    def pair(self, run, source: str | None, target: str | None) -> tuple[str, str]:
        """Source and target characters; one left out is the run's first that is not the other."""
        names = list(run.identities)
        source = None if source is None else self.name(run, source)
        target = None if target is None else self.name(run, target)
        source = source or next(n for n in names if n != target)
        return source, target or next(n for n in names if n != source)

    @torch.inference_mode()
    def swap_png(self, source: str | None, target: str | None, values: dict) -> bytes:
        """PNG of the swapped frame: `target` drawn in the pose, read from `source`'s frame."""
        run, _ = self.current()
        source, target = self.pair(run, source, target)
        frame = draw(run, source, neutral_poses(1, **values))
        return png_bytes(run.pipeline.swap(frame, to=target, source=source)[0], synthetic=True)

    @torch.inference_mode()
    def render_png(self, identity: str | None, values: dict) -> bytes:
        """PNG of the true render of `identity` in the pose."""
        run, _ = self.current()
        name = next(iter(run.identities)) if identity is None else self.name(run, identity)
        return png_bytes(draw(run, name, neutral_poses(1, **values))[0], synthetic=False)

    @torch.inference_mode()
    def frame(self, source: str | None, target: str | None, values: dict, offsets: list[float]) -> dict:
        """Everything the page shows for one pose (pictures as data: addresses)."""
        run, d = self.current()
        source, target = self.pair(run, source, target)
        if len(offsets) > len(d.spread):
            raise UsageError(f"this run's code has {len(d.spread)} directions, not {len(offsets)}")
        poses = neutral_poses(1, **values)
        frame = draw(run, source, poses)
        truth, masks = draw(run, target, poses, masks=True)
        codes, heads = run.pipeline.encode(frame, source)   # names are the run's own here: no checks again
        swapped = run.pipeline.decode(codes, target, frame, heads)
        code = codes[0].double()
        for offset, spread, vector in zip(offsets, d.spread, d.vectors):
            code = code + offset * spread * vector
        drawn = [(name, run.pipeline.decode(code.float()[None], name)[0]) for name in run.model.names]
        return {"step": run.step, "from": source, "to": target,
                "source": data_uri(frame[0], False), "swap": data_uri(swapped[0], True),
                "truth": data_uri(truth[0], False),
                "psnr_features": round(float(psnr(swapped, truth, masks["features"])), 2),
                "psnr": round(float(psnr(swapped, truth)), 2),
                "code": [round(float(z), 3) for z in (code - d.mean) / d.scale],
                "decoders": [[name, data_uri(image, True)] for name, image in drawn]}

    def info(self) -> dict:
        """What the page needs to build itself: characters, factors, motions, directions."""
        run, d = self.current()
        return {"run": str(run.path), "step": run.step, "identities": list(run.identities), "size": run.config.size,
                "aligned": run.config.aligned, "encoders": run.config.encoders, "latent": run.model.cfg.latent,
                "factors": [{"name": f.name, "low": f.low, "high": f.high, "neutral": f.neutral, "help": f.help}
                            for f in FACTORS.values()],
                "motions": motions(), "direction_range": DIRECTION_RANGE,
                "directions": [{"explained": round(e, 4), "follows": name, "r": round(r, 3)}
                               for e, (name, r) in zip(d.explained, d.follows)]}
